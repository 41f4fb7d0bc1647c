"""The staff ticket pages: intake and receipt, queues, the ticket page and its actions, the public
catalogue of commitments. Driven through the pages as a clerk uses them."""

import datetime as dt
import io
import re

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from tests.factories import StaffFactory
from tests.tickets.factories import Org, at, make_ticket
from tickets import services
from tickets.models import Channel, Status, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

MONDAY_9 = at(2026, 3, 2, 9, 0)  # an ordinary working Monday
PNG = bytes.fromhex(  # a 1x1 PNG that decodes (photos are re-encoded on upload)
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c63f8cfc0f01f00050001ff89993d1d0000000049454e44ae426082"
)


@pytest.fixture
def org():
    return Org()


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY_9, tick=False) as traveller:
        yield traveller


@pytest.fixture
def clerk_client(client, org):
    client.force_login(org.clerk)
    return client


def text_of(response) -> str:
    return response.content.decode()


def intake(client, **overrides):
    data = {
        "customer": "",
        "service_type": "RPR-RES",
        "channel": Channel.SERVICE_HALL,
        "priority": "normal",
        "description": "灶具打不着火",
        "received_at": "",
        "contact_name": "",
        "contact_phone": "",
        "contact_address": "",
        "hotline_order_no": "",
        "hotline_due_at": "",
        "action": "create",
    }
    data.update(overrides)
    return client.post(reverse("tickets:new"), data)


# ---------------------------------------------------------------- intake and receipt


def test_front_desk_finds_the_customer_by_account_number(clerk_client, org, clock):
    page = clerk_client.get(reverse("tickets:new"), {"q": org.customer.account_no})
    assert page.status_code == 200
    assert org.customer.name in text_of(page)
    assert f"?customer={org.customer.account_no}" in text_of(page)
    assert org.customer.mobile not in text_of(page)  # masked in the list


def test_intake_offers_only_the_services_of_the_customers_segment(clerk_client, org, clock):
    page = text_of(clerk_client.get(reverse("tickets:new"), {"customer": org.restaurant.account_no}))
    assert 'value="RPR-CI"' in page
    assert 'value="RPR-RES"' not in page
    household = text_of(clerk_client.get(reverse("tickets:new"), {"customer": org.customer.account_no}))
    assert 'value="RPR-RES"' in household and 'value="RPR-CI"' not in household


def test_front_desk_defaults_to_the_service_hall_and_agents_to_the_hotline(client, org, clock):
    client.force_login(org.clerk)
    assert re.search(r'<option value="service_hall" selected>', text_of(client.get(reverse("tickets:new"))))
    client.force_login(org.agent)
    page = text_of(client.get(reverse("tickets:new")))
    assert re.search(r'<option value="hotline" selected>', page)
    assert "data-always-visible" in page  # the 12345 order fields


def test_intake_creates_the_ticket_and_shows_the_receipt_with_the_promised_dates(clerk_client, org, clock):
    response = intake(
        clerk_client, customer=org.customer.account_no, description="厨房有燃气味，灶具打不着火"
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("tickets:receipt", args=[ticket.reference])
    receipt = clerk_client.get(response["Location"])
    page = text_of(receipt)
    assert ticket.reference in page
    assert org.customer.account_no in page
    assert org.customer.mobile not in page and org.customer.mobile[-4:] in page  # masked phone
    assert "厨房有燃气味" in page
    # RPR-RES: contact 30 minutes, arrive 4 hours, repair 24 hours from 09:00 Monday.
    assert "2026-03-02 09:30" in page and "2026-03-02 13:00" in page and "2026-03-03 09:00" in page
    assert org.outlet.name in page
    assert ticket.created_by == org.clerk and ticket.channel == Channel.SERVICE_HALL


def test_walk_in_needs_a_contact_phone_and_then_goes_to_the_clerks_outlet(clerk_client, org, clock):
    refused = intake(clerk_client, contact_name="王先生")
    assert refused.status_code == 400
    assert refused.context["form"].errors["contact_phone"] == [
        "Without an account number, give a phone number to call back."
    ]
    assert not Ticket.objects.exists()
    created = intake(
        clerk_client, contact_name="王先生", contact_phone="13900001111", contact_address="解放碑1号"
    )
    assert created.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.customer is None and ticket.org_unit == org.outlet and ticket.contact_phone == "13900001111"


def test_received_at_in_the_future_is_a_field_error_and_creates_nothing(clerk_client, org, clock):
    response = intake(clerk_client, customer=org.customer.account_no, received_at="2026-03-02T10:00")
    assert response.status_code == 400
    assert response.context["form"].errors["received_at"] == ["The receipt time cannot be in the future."]
    assert "The receipt time cannot be in the future." in text_of(response)
    assert not Ticket.objects.exists()


def test_a_walk_ins_phone_is_checked_by_the_service_and_shown_beside_the_field(clerk_client, org, clock):
    response = intake(clerk_client, contact_name="王先生", contact_phone="12345")

    assert response.status_code == 400
    message = (
        "Enter a mobile number (11 digits starting with 13-19) or a landline with its area code, "
        "e.g. 023-61234567."
    )
    assert response.context["form"].errors["contact_phone"] == [message]
    assert message in text_of(response)
    assert not Ticket.objects.exists()


def test_received_at_earlier_sets_the_deadlines_from_that_time(clerk_client, org, clock):
    intake(clerk_client, customer=org.customer.account_no, received_at="2026-03-02T08:00")
    ticket = Ticket.objects.get()
    assert ticket.received_at == at(2026, 3, 2, 8, 0)
    assert ticket.milestones.get(code="contact").due_at == at(2026, 3, 2, 8, 30)


def test_12345_order_needs_its_order_number(clerk_client, org, clock):
    response = intake(
        clerk_client, customer=org.customer.account_no, service_type="H12345", channel=Channel.CITY_HOTLINE
    )
    assert response.status_code == 400
    assert response.context["form"].errors["hotline_order_no"] == ["Give the 12345 order number."]
    ok = intake(
        clerk_client,
        customer=org.customer.account_no,
        service_type="H12345",
        channel=Channel.CITY_HOTLINE,
        hotline_order_no="CQ12345-0001",
        is_safety_or_supply="on",
    )
    assert ok.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.hotline_order_no == "CQ12345-0001" and ticket.is_safety_or_supply


def test_preview_endpoint_returns_the_promised_dates(clerk_client, org, clock):
    response = clerk_client.get(
        reverse("tickets:preview"), {"service_type": "INS-RES", "customer": org.customer.account_no}
    )
    assert response.status_code == 200
    rows = {row["code"]: row for row in response.json()["milestones"]}
    assert rows["accept"]["due_at"] == "2026-03-02T17:30:00+08:00"  # 0 working days: the same day
    assert rows["survey_design"]["due_at"] == "2026-03-09T17:30:00+08:00"
    assert rows["works_complete"]["due_at"] is None  # starts when the survey is done
    assert not Ticket.objects.exists()


def test_preview_endpoint_refuses_a_future_receipt_time(clerk_client, org, clock):
    response = clerk_client.get(
        reverse("tickets:preview"), {"service_type": "RPR-RES", "received_at": "2026-03-03T09:00"}
    )
    assert response.status_code == 400
    assert response.json()["errors"]["received_at"] == ["The receipt time cannot be in the future."]


def test_preview_without_javascript_rerenders_the_form_with_the_dates(clerk_client, org, clock):
    response = intake(clerk_client, customer=org.customer.account_no, description="", action="preview")
    page = text_of(response)
    assert response.status_code == 200
    assert "2026-03-02 09:30" in page
    assert 'class="errorlist' not in page  # the missing description is not judged on preview
    assert not Ticket.objects.exists()


def test_intake_needs_login(client, org):
    response = client.get(reverse("tickets:new"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_receipt_of_an_invisible_ticket_is_not_found(client, org, clock):
    ticket = make_ticket(org, customer=org.far_customer, actor=org.agent, now=MONDAY_9)
    client.force_login(org.clerk)
    assert client.get(reverse("tickets:receipt", args=[ticket.reference])).status_code == 404


# ---------------------------------------------------------------- queues


def test_my_queue_shows_my_tickets_nearest_deadline_first_with_sla_badges(client, org, clock):
    later = make_ticket(org, code="INS-RES", now=MONDAY_9)
    sooner = make_ticket(org, code="RPR-RES", now=MONDAY_9)
    other = make_ticket(org, code="RPR-RES", now=MONDAY_9)
    for ticket in (later, sooner):
        services.assign_ticket(ticket=ticket, assignee=org.tech, actor=org.clerk, now=MONDAY_9)
    client.force_login(org.tech)
    page = text_of(client.get(reverse("tickets:queue"), {"scope": "mine"}))
    assert sooner.reference in page and later.reference in page and other.reference not in page
    assert page.index(sooner.reference) < page.index(later.reference)
    assert 'class="badge sla-on_time"' in page


def test_team_queue_filters_by_service_type_channel_and_sla(client, org, clock):
    repair = make_ticket(org, code="RPR-RES", now=at(2026, 3, 2, 8, 0))
    install = make_ticket(org, code="INS-RES", now=MONDAY_9, channel=Channel.HOTLINE)
    client.force_login(org.supervisor)
    url = reverse("tickets:queue")
    by_type = text_of(client.get(url, {"scope": "team", "service_type": "INS-RES"}))
    assert install.reference in by_type and repair.reference not in by_type
    by_channel = text_of(client.get(url, {"scope": "team", "channel": Channel.HOTLINE}))
    assert install.reference in by_channel and repair.reference not in by_channel
    # 08:00 + 30 minutes contact: breached by 09:00 once the sweep has run; the badge says so in words.
    Ticket.objects.filter(pk=repair.pk).update(sla_state="breached")
    breached = text_of(client.get(url, {"scope": "team", "sla": "breached"}))
    assert repair.reference in breached and install.reference not in breached
    assert re.search(r'class="badge sla-breached">[^<]+<', breached)


def test_team_queue_hides_other_branches_tickets(client, org, clock):
    mine = make_ticket(org, now=MONDAY_9)
    far = make_ticket(org, customer=org.far_customer, actor=org.agent, now=MONDAY_9)
    client.force_login(org.supervisor)
    page = text_of(client.get(reverse("tickets:queue"), {"scope": "team"}))
    assert mine.reference in page and far.reference not in page
    assert "scope=all" not in page  # no "all" tab for an outlet supervisor


def test_supervisors_land_on_their_teams_queue_and_clerks_on_their_own(client, org, clock):
    unassigned = make_ticket(org, now=MONDAY_9)
    client.force_login(org.supervisor)
    assert unassigned.reference in text_of(client.get(reverse("tickets:queue")))
    client.force_login(org.clerk)
    assert unassigned.reference not in text_of(client.get(reverse("tickets:queue")))


def test_supervisors_home_page_counts_their_teams_open_tickets(client, org, clock):
    make_ticket(org, now=MONDAY_9)
    make_ticket(org, now=MONDAY_9)
    make_ticket(org, customer=org.far_customer, actor=org.agent, now=MONDAY_9)
    client.force_login(org.supervisor)
    page = text_of(client.get(reverse("home")))
    assert re.search(r'scope=team"><span class="count">2</span>', page)
    client.force_login(org.clerk)
    assert 'scope=team"><span' not in text_of(client.get(reverse("home")))


def test_queue_pages_with_an_opaque_cursor(client, org, clock):
    tickets = [make_ticket(org, now=at(2026, 3, 2, 8, minute)) for minute in range(0, 30)]
    client.force_login(org.supervisor)
    first = client.get(reverse("tickets:queue"), {"scope": "team"})
    next_url = first.context["next_url"]
    assert next_url and "after=" in next_url
    second = client.get(reverse("tickets:queue") + next_url)
    shown_first = {t.reference for t in first.context["tickets"]}
    shown_second = {t.reference for t in second.context["tickets"]}
    assert not shown_first & shown_second
    assert shown_first | shown_second == {t.reference for t in tickets}
    assert "?" not in first.context["previous_url"]
    back = client.get(reverse("tickets:queue") + second.context["previous_url"])
    assert [t.reference for t in back.context["tickets"]] == [t.reference for t in first.context["tickets"]]
    assert not back.context["previous_url"]


def test_queue_runs_a_constant_number_of_queries(client, org, clock):
    def queries_for_queue():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("tickets:queue"), {"scope": "team"})
        assert response.status_code == 200
        return len(captured)

    client.force_login(org.supervisor)
    for _ in range(5):
        t = make_ticket(org, now=MONDAY_9)
        services.assign_ticket(ticket=t, assignee=org.tech, actor=org.clerk, now=MONDAY_9)
    five = queries_for_queue()
    for _ in range(25):
        t = make_ticket(org, now=MONDAY_9, customer=org.restaurant, code="RPR-CI")
        services.assign_ticket(ticket=t, assignee=org.supervisor, actor=org.clerk, now=MONDAY_9)
    thirty = queries_for_queue()
    assert five == thirty
    assert thirty <= 12


def test_user_input_is_escaped_on_the_ticket_page_and_in_the_queue(client, org, clock):
    ticket = make_ticket(org, now=MONDAY_9, description='<script>alert("x")</script><b>bold</b>')
    client.force_login(org.supervisor)
    for page in (
        text_of(client.get(reverse("tickets:detail", args=[ticket.reference]))),
        text_of(client.get(reverse("tickets:queue"), {"scope": "team"})),
    ):
        assert '<script>alert("x")' not in page and "<b>bold</b>" not in page
        assert "&lt;script&gt;" in page


# ---------------------------------------------------------------- the ticket page and its actions


def test_ticket_page_shows_details_milestones_and_masked_phone(client, org, clock):
    ticket = make_ticket(org, code="INS-RES", now=MONDAY_9)
    client.force_login(org.supervisor)
    page = text_of(client.get(reverse("tickets:detail", args=[ticket.reference])))
    assert ticket.reference in page
    assert org.customer.mobile not in page and org.customer.mobile[:3] + "****" in page
    assert 'data-countdown="2026-03-09T17:30:00+08:00"' in page  # survey_design, 5 working days
    assert "2026-03-09 17:30" in page  # the absolute time, for readers without JavaScript


def test_ticket_page_runs_a_constant_number_of_queries(client, org, clock, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    ticket = make_ticket(org, code="INS-RES", now=MONDAY_9)
    client.force_login(org.supervisor)
    url = reverse("tickets:detail", args=[ticket.reference])

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    few = queries()
    for n in range(10):
        services.add_note(ticket=ticket, text=f"note {n}", actor=org.tech, now=MONDAY_9)
        services.add_reply(ticket=ticket, text=f"reply {n}", actor=org.supervisor, now=MONDAY_9)
    upload = SimpleUploadedFile("photo.png", PNG, content_type="image/png")
    services.add_attachment(ticket=ticket, file=upload, actor=org.tech, now=MONDAY_9)
    assert queries() == few


def test_ticket_page_of_an_invisible_ticket_is_not_found(client, org, clock):
    ticket = make_ticket(org, customer=org.far_customer, actor=org.agent, now=MONDAY_9)
    client.force_login(org.supervisor)
    assert client.get(reverse("tickets:detail", args=[ticket.reference])).status_code == 404


def test_pause_without_a_reason_is_refused_and_with_a_reason_shows_on_the_timeline(client, org, clock):
    ticket = make_ticket(org, now=MONDAY_9)
    services.assign_ticket(ticket=ticket, assignee=org.tech, actor=org.clerk, now=MONDAY_9)
    client.force_login(org.tech)
    url = reverse("tickets:pause", args=[ticket.reference])
    refused = client.post(url, {"reason": ""})
    assert refused.status_code == 400
    assert refused.context["pause_form"].errors["reason"]
    ticket.refresh_from_db()
    assert ticket.status == Status.ASSIGNED
    done = client.post(url, {"reason": "客户不在家"}, follow=True)
    assert done.redirect_chain[-1][0] == reverse("tickets:detail", args=[ticket.reference])
    page = text_of(done)
    assert "event-paused" in page and "客户不在家" in page
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_CUSTOMER
    resumed = client.post(reverse("tickets:resume", args=[ticket.reference]), follow=True)
    assert "event-resumed" in text_of(resumed)


def test_transition_offers_only_allowed_statuses_and_needs_a_reason_to_cancel(client, org, clock):
    ticket = make_ticket(org, now=MONDAY_9)
    client.force_login(org.supervisor)
    page = client.get(reverse("tickets:detail", args=[ticket.reference]))
    offered = [value for value, _label in page.context["transition_form"].fields["to"].choices if value]
    assert set(offered) == {Status.ACCEPTED, Status.ASSIGNED, Status.CANCELLED}
    url = reverse("tickets:transition", args=[ticket.reference])
    illegal = client.post(url, {"to": Status.RESOLVED})
    assert illegal.status_code == 400
    no_reason = client.post(url, {"to": Status.CANCELLED, "reason": ""})
    assert no_reason.status_code == 400 and no_reason.context["transition_form"].errors["reason"]
    client.post(url, {"to": Status.ACCEPTED})
    ticket.refresh_from_db()
    assert ticket.status == Status.ACCEPTED


def test_assign_to_a_colleague_of_the_subtree(client, org, clock):
    ticket = make_ticket(org, now=MONDAY_9)
    client.force_login(org.supervisor)
    page = client.get(reverse("tickets:detail", args=[ticket.reference]))
    choices = dict(page.context["assign_form"].fields["assignee"].choices)
    assert str(org.tech.pk) in choices and str(org.far_tech.pk) not in choices
    client.post(reverse("tickets:assign", args=[ticket.reference]), {"assignee": org.tech.pk})
    ticket.refresh_from_db()
    assert ticket.assignee == org.tech and ticket.status == Status.ASSIGNED
    outsider = client.post(reverse("tickets:assign", args=[ticket.reference]), {"assignee": org.far_tech.pk})
    assert outsider.status_code == 400


def test_meet_milestone_records_it(client, org, clock):
    ticket = make_ticket(org, code="INS-RES", now=MONDAY_9)
    client.force_login(org.supervisor)
    client.post(reverse("tickets:meet_milestone", args=[ticket.reference]), {"code": "survey_design"})
    survey = ticket.milestones.get(code="survey_design")
    assert survey.met_at == MONDAY_9
    assert ticket.milestones.get(code="works_complete").due_at is not None
    refused = client.post(
        reverse("tickets:meet_milestone", args=[ticket.reference]), {"code": "survey_design"}
    )
    assert refused.status_code == 400


def test_a_note_is_internal_and_a_reply_is_public(client, org, clock):
    ticket = make_ticket(org, now=MONDAY_9)
    client.force_login(org.supervisor)
    client.post(reverse("tickets:add_note", args=[ticket.reference]), {"text": "内部：客户曾多次来电"})
    client.post(reverse("tickets:add_reply", args=[ticket.reference]), {"text": "师傅今天下午上门"})
    note = TicketEvent.objects.get(ticket=ticket, kind=TicketEvent.Kind.NOTE)
    reply = TicketEvent.objects.get(ticket=ticket, kind=TicketEvent.Kind.REPLY)
    assert not note.is_public and reply.is_public
    page = text_of(client.get(reverse("tickets:detail", args=[ticket.reference])))
    note_item = re.search(r'<li class="event event-note internal">(.*?)</li>', page, re.S).group(1)
    reply_item = re.search(r'<li class="event event-reply public">(.*?)</li>', page, re.S).group(1)
    assert "内部：客户曾多次来电" in note_item and "内部：客户曾多次来电" not in reply_item
    assert "师傅今天下午上门" in reply_item
    empty = client.post(reverse("tickets:add_note", args=[ticket.reference]), {"text": ""})
    assert empty.status_code == 400


def test_attachment_downloads_through_the_app_only_for_those_who_see_the_ticket(
    client, org, clock, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    ticket = make_ticket(org, now=MONDAY_9)
    client.force_login(org.supervisor)
    upload = io.BytesIO(PNG)
    upload.name = "meter.png"
    response = client.post(reverse("tickets:add_attachment", args=[ticket.reference]), {"file": upload})
    assert response.status_code == 302
    attachment = ticket.attachments.get()
    url = reverse("tickets:attachment", args=[ticket.reference, attachment.uuid])
    assert url in text_of(client.get(reverse("tickets:detail", args=[ticket.reference])))
    download = client.get(url)
    assert download.status_code == 200 and b"".join(download.streaming_content) == attachment.file.read()
    assert "attachment" in download["Content-Disposition"]
    client.force_login(org.far_tech)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to the login page


def test_wrong_attachment_type_is_a_field_error(client, org, clock, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    ticket = make_ticket(org, now=MONDAY_9)
    client.force_login(org.supervisor)
    upload = io.BytesIO(b"MZ not a photo")
    upload.name = "virus.png"
    response = client.post(reverse("tickets:add_attachment", args=[ticket.reference]), {"file": upload})
    assert response.status_code == 400
    assert response.context["attachment_form"].errors["file"]
    assert not ticket.attachments.exists()


# ---------------------------------------------------------------- home widgets and public commitments


def test_home_widgets_count_my_open_tickets(client, org, clock):
    from django.template import Context, Template
    from django.test import RequestFactory

    for _ in range(2):
        t = make_ticket(org, now=MONDAY_9)
        services.assign_ticket(ticket=t, assignee=org.tech, actor=org.clerk, now=MONDAY_9)
    # Past its deadline: breached by the clock, whether or not a sweep has run.
    Ticket.objects.filter(pk=t.pk).update(next_due_at=MONDAY_9 - dt.timedelta(minutes=1))
    request = RequestFactory().get("/")
    request.user = org.tech
    html = Template('{% include "tickets/_home_widgets.html" %}').render(Context({"request": request}))
    counts = re.findall(r'<span class="count">(\d+)</span>', html)
    assert counts == ["2", "0", "1"]
    assert reverse("tickets:queue") in html


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("zh-hans", ["燃气泄漏抢险（城区）", "到达现场", "30 分钟内"]),
        ("en", ["Gas leak emergency, urban", "On site", "within 30 minutes", "within 3 working days"]),
    ],
)
def test_public_commitments_page_needs_no_login(client, language, expected):
    response = client.get(reverse("tickets:commitments"), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    page = text_of(response)
    for text in expected:
        assert text in page


def test_staff_see_the_nav_links(client, org):
    staff = StaffFactory(username="desk2", role=Role.FRONT_DESK, org_unit=org.outlet)
    client.force_login(staff)
    page = text_of(client.get(reverse("tickets:new")))
    assert reverse("tickets:queue") in page and reverse("tickets:new") in page
