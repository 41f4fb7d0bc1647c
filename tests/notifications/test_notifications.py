"""Notifications: the bell, the list, mark as read, the API, delivery backends and the daily digest."""

import datetime as dt
import json

import pytest
from django.core import mail
from django.urls import reverse

from notifications import delivery, digest, selectors
from notifications.models import Notification
from tests.tickets import escalation_support as support
from tests.tickets.escalation_support import DUE, WARN, account_ticket
from tests.tickets.factories import at
from tickets.messages import EMERGENCY, subject_for
from tickets.sweep import sweep_due_milestones

ladder = support.ladder
MINUTE = dt.timedelta(minutes=1)


def _in_app(user, title, *, ticket=None, read=False, created=None, kind="system"):
    case = {}
    if ticket is not None:
        subject = subject_for(ticket)
        case = {
            "subject_type_id": subject.type_id,
            "subject_id": subject.id,
            "reference": subject.reference,
            "link": subject.link,
            "org_unit_id": subject.org_unit_id,
        }
    return Notification.objects.create(
        recipient=user,
        channel="in_app",
        kind=kind,
        title=title,
        created_at=created or at(2026, 11, 24, 9, 0),
        status="sent",
        read_at=at(2026, 11, 24, 10, 0) if read else None,
        **case,
    )


def test_the_bell_shows_the_unread_count_with_one_query(ladder, client, django_assert_max_num_queries):
    _in_app(ladder.supervisor, "a")
    _in_app(ladder.supervisor, "b")
    _in_app(ladder.supervisor, "c", read=True)
    client.force_login(ladder.supervisor)

    html = client.get(reverse("notifications:list")).content.decode()

    assert 'class="bell-count">2<' in html
    from django.template import Context, Template
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = ladder.supervisor
    from notifications.context_processors import notifications as bell

    with django_assert_max_num_queries(1):
        rendered = Template("{{ unread_notifications }}").render(Context(bell(request)))
    assert rendered == "2"


def test_the_list_shows_unread_first_and_marks_read_by_post(ladder, client):
    ticket = account_ticket(ladder)
    old_unread = _in_app(ladder.supervisor, "old unread", ticket=ticket, created=at(2026, 11, 20, 9, 0))
    _in_app(ladder.supervisor, "new but read", read=True, created=at(2026, 11, 24, 9, 0))
    _in_app(ladder.clerk, "someone else's")
    client.force_login(ladder.supervisor)

    html = client.get(reverse("notifications:list")).content.decode()
    assert html.index("old unread") < html.index("new but read")
    assert "someone else&#x27;s" not in html and "someone else's" not in html

    assert client.get(reverse("notifications:read", args=[old_unread.pk])).status_code == 405
    response = client.post(reverse("notifications:read", args=[old_unread.pk]), {"open": "1"})
    assert response.status_code == 302 and response["Location"].endswith(f"/tickets/{ticket.reference}/")
    old_unread.refresh_from_db()
    assert old_unread.read_at is not None


def test_nobody_marks_another_persons_notification(ladder, client):
    theirs = _in_app(ladder.clerk, "clerk's")
    client.force_login(ladder.supervisor)
    assert client.post(reverse("notifications:read", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_as_read(ladder, client):
    _in_app(ladder.supervisor, "a")
    _in_app(ladder.supervisor, "b")
    client.force_login(ladder.supervisor)
    client.post(reverse("notifications:read_all"))
    assert selectors.unread_count(ladder.supervisor) == 0


def test_api_lists_mine_and_marks_read(ladder, api_client):
    ticket = account_ticket(ladder)
    mine = _in_app(ladder.supervisor, "mine", ticket=ticket)
    _in_app(ladder.clerk, "not mine")
    api_client.force_authenticate(ladder.supervisor)

    data = api_client.get("/api/v1/notifications/").json()
    assert [n["title"] for n in data["results"]] == ["mine"]
    assert data["results"][0]["ticket"] == ticket.reference and data["results"][0]["is_read"] is False

    response = api_client.post(f"/api/v1/notifications/{mine.pk}/read/")
    assert response.status_code == 200 and response.json()["is_read"] is True
    assert api_client.get("/api/v1/notifications/unread-count/").json() == {"unread": 0}
    other = Notification.objects.get(title="not mine")
    assert api_client.post(f"/api/v1/notifications/{other.pk}/read/").status_code == 404


def test_api_needs_a_login(api_client, db):
    assert api_client.get("/api/v1/notifications/").status_code in (401, 403)


def test_escalation_notifications_are_delivered_by_email_and_sms(ladder, settings, tmp_path):
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = str(tmp_path / "sms.log")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    ticket = account_ticket(ladder)
    for now in (WARN + MINUTE, DUE + MINUTE, at(2026, 11, 25, 17, 31)):
        sweep_due_milestones(now=now)

    counts = delivery.deliver_pending(now=at(2026, 11, 25, 17, 32))

    # Email: clerk and tech (warning and breach), supervisor (breach), branch manager; SMS: branch manager.
    assert counts == {"sent": 7}
    assert sorted(m.to[0] for m in mail.outbox) == [
        "branch_mgr@gas.example",
        "clerk@gas.example",
        "clerk@gas.example",
        "supervisor@gas.example",
        "tech@gas.example",
        "tech@gas.example",
    ]
    assert ticket.reference in mail.outbox[0].subject
    [line] = (tmp_path / "sms.log").read_text().splitlines()
    sms = json.loads(line)
    assert sms["to"] == "139****0003" and ticket.reference in sms["text"]  # the log masks the number
    assert not Notification.objects.filter(status="pending").exists()
    # Delivering again sends nothing twice.
    assert delivery.deliver_pending(now=at(2026, 11, 25, 17, 40)) == {}


def test_digest_tells_each_supervisor_about_their_part_of_the_organisation(ladder, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    breached = account_ticket(ladder, now=at(2026, 11, 20, 10, 0))  # due Monday 23rd 17:30
    due_today = account_ticket(ladder, now=at(2026, 11, 24, 9, 0))  # due Wednesday 25th 17:30
    far = account_ticket(ladder, now=at(2026, 11, 20, 10, 0), customer=ladder.far_customer)
    now = at(2026, 11, 25, 8, 0)

    result = digest.send_supervisor_digests(now=now)

    digests = {n.recipient.username: n for n in Notification.objects.filter(kind="digest", channel="in_app")}
    assert set(digests) == {"supervisor", "branch_mgr", "centre_mgr"}
    assert result == {"digests": 3}
    supervisor = digests["supervisor"]
    assert breached.reference in supervisor.rendered_body and due_today.reference in supervisor.rendered_body
    assert far.reference not in supervisor.rendered_body
    assert far.reference in digests["centre_mgr"].rendered_body
    assert Notification.objects.filter(kind="digest", channel="email").count() == 3
    # Once a day.
    assert digest.send_supervisor_digests(now=now + dt.timedelta(hours=1)) == {"digests": 0}


@pytest.mark.parametrize("role_user", ["clerk", "tech"])
def test_failed_deliveries_page_is_for_supervisors_only(ladder, client, role_user):
    client.force_login(getattr(ladder, role_user))
    assert client.get(reverse("notifications:failed")).status_code == 403


def test_the_web_address_is_in_email_and_sms_texts_but_not_in_the_app(ladder, settings):
    settings.PUBLIC_BASE_URL = "https://service.example.org"
    ticket = account_ticket(ladder)
    subject = subject_for(ticket)
    case = {
        "subject_type_id": subject.type_id,
        "subject_id": subject.id,
        "reference": subject.reference,
        "link": subject.link,
        "org_unit_id": subject.org_unit_id,
    }
    rows = {
        channel: Notification.objects.create(
            recipient=ladder.supervisor,
            channel=channel,
            kind="emergency",
            template=EMERGENCY,
            params={"service": "Gas leak", "address": "南岸区朝阳东路56号", "description": "闻到燃气味"},
            created_at=at(2026, 11, 24, 9, 0),
            address="13800138000",
            **case,
        )
        for channel in ("in_app", "sms")
    }
    address = f"https://service.example.org{subject.link}"
    assert address not in rows["in_app"].rendered_body
    assert rows["in_app"].rendered_body.endswith("闻到燃气味")
    assert address in rows["sms"].rendered_body
