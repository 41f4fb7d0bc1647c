"""Admin: deliveries with their outcome and a "retry now" action; the escalation ledger, read-only."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from notifications.models import Notification
from tests.tickets import escalation_support as support
from tests.tickets.escalation_support import DUE, account_ticket
from tickets.models import Escalation
from tickets.sweep import sweep_due_milestones

ladder = support.ladder
NOTIFICATIONS = "/admin/notifications/notification/"
ESCALATIONS = "/admin/tickets/escalation/"


@pytest.fixture
def admin_client(client, ladder):
    user = get_user_model().objects.create_superuser("root", "root@gas.example", "x")
    client.force_login(user)
    return client


@pytest.fixture
def sms_file(settings, tmp_path):
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = str(tmp_path / "sms.log")
    return tmp_path / "sms.log"


def failed_sms(ladder, **kwargs):
    return Notification.objects.create(
        recipient=ladder.supervisor,
        address="13912340002",
        channel=Notification.Channel.SMS,
        kind="breach",
        title="Deadline breached",
        created_at=timezone.now(),
        status=Notification.DeliveryStatus.FAILED,
        attempts=5,
        last_error="SMS gateway answered HTTP 503",
        **kwargs,
    )


def test_notifications_list_filters_by_status_and_channel(
    admin_client, ladder, django_assert_max_num_queries
):
    failed_sms(ladder)
    Notification.objects.create(
        recipient=ladder.clerk,
        channel=Notification.Channel.IN_APP,
        kind="breach",
        title="Deadline approaching",
        created_at=timezone.now(),
        status=Notification.DeliveryStatus.SENT,
    )

    with django_assert_max_num_queries(12):
        page = admin_client.get(NOTIFICATIONS, {"status__exact": "failed", "channel__exact": "sms"})

    assert page.status_code == 200
    assert ">supervisor<" in page.content.decode()  # the recipient column
    assert list(page.context["cl"].result_list) == list(Notification.objects.filter(status="failed"))
    assert admin_client.get(f"{NOTIFICATIONS}add/").status_code == 403


def test_retry_now_delivers_a_failed_sms_at_once(admin_client, ladder, sms_file):
    row = failed_sms(ladder)
    in_app = Notification.objects.create(
        recipient=ladder.clerk,
        channel=Notification.Channel.IN_APP,
        kind="breach",
        title="x",
        created_at=timezone.now(),
        status=Notification.DeliveryStatus.SENT,
    )

    selected = {"action": "retry_now", "_selected_action": [row.pk, in_app.pk]}
    response = admin_client.post(NOTIFICATIONS, selected, follow=True)

    assert response.status_code == 200
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (Notification.DeliveryStatus.SENT, 1, "")
    sent = [json.loads(line) for line in sms_file.read_text().splitlines()]
    assert [m["to"] for m in sent] == ["139****0002"]  # the log masks the number
    assert "1 sent, 0 to retry later, 0 failed" in response.content.decode()


def test_retry_now_is_offered_only_to_supervisors_and_administrators(client, ladder):
    clerk = ladder.clerk
    clerk.is_staff = True
    clerk.save(update_fields=["is_staff"])
    clerk.user_permissions.add(
        *get_user_model()
        ._meta.apps.get_model("auth", "Permission")
        .objects.filter(codename="view_notification")
    )
    client.force_login(clerk)

    page = client.get(NOTIFICATIONS)

    assert page.status_code == 200
    assert "retry_now" not in page.content.decode()


def test_escalations_are_listed_read_only(admin_client, ladder):
    ticket = account_ticket(ladder)
    sweep_due_milestones(now=DUE)
    escalation = Escalation.objects.get(ticket=ticket, level=1)

    listing = admin_client.get(ESCALATIONS, {"q": ticket.reference})
    detail = admin_client.get(f"{ESCALATIONS}{escalation.pk}/change/")

    assert listing.status_code == 200 and ticket.reference in listing.content.decode()
    assert len(listing.context["cl"].result_list) == 2  # warning and breach
    assert detail.status_code == 200 and 'name="_save"' not in detail.content.decode()
    assert admin_client.post(f"{ESCALATIONS}{escalation.pk}/delete/").status_code == 403
    assert admin_client.get(f"{ESCALATIONS}add/").status_code == 403
