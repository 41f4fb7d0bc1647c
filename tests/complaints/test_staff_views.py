"""The staff pages: worklist with filters, the complaint page and its steps, intake, visibility, escaping."""

import datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from accounts.models import Role
from complaints import services
from complaints.models import Complaint, Remedy, Severity, Source
from tests.tickets.factories import make_ticket, staff

from .factories import MON, file

pytestmark = pytest.mark.django_db

SCRIPT = '<script>alert("x")</script>'


def signed_in(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def detail_url(complaint, step=""):
    url = reverse("complaints:detail", args=[complaint.reference])
    return url + (f"{step}/" if step else "")


def test_pages_need_a_login(org):
    complaint = file(org)
    for url in (reverse("complaints:worklist"), detail_url(complaint), reverse("complaints:intake")):
        response = Client().get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_technicians_do_not_handle_complaints(org):
    assert signed_in(org.tech).get(reverse("complaints:worklist")).status_code == 403


def test_worklist_filters(org, django_assert_max_num_queries):
    file(org, code="safety", severity=Severity.HIGH, complainant_phone="13900000001", complainant_address="")
    file(org, code="billing.late_fee", complainant_phone="13900000002", complainant_address="")
    repeat = file(
        org,
        code="billing.late_fee",
        complainant_phone="13900000002",
        complainant_address="",
        now=MON + datetime.timedelta(hours=1),
    )
    file(
        org,
        source=Source.CITY_HOTLINE,
        code="other",
        hotline_order_no="12345-77",
        complainant_phone="13900000003",
        complainant_address="",
    )
    client = signed_in(org.agent)

    def refs(**params):
        with django_assert_max_num_queries(12):
            response = client.get(reverse("complaints:worklist"), params)
        assert response.status_code == 200
        return {c.reference for c in response.context["page"]}

    assert len(refs()) == 4
    assert len(refs(category="safety")) == 1
    assert len(refs(category="billing")) == 2
    assert len(refs(severity="high")) == 1
    assert refs(repeat="1") == {repeat.reference}
    assert len(refs(source="city_hotline")) == 1
    assert len(refs(q="12345-77")) == 1
    with time_machine.travel(MON + datetime.timedelta(minutes=5), tick=False):
        assert len(refs(breached="1")) == 0  # fresh complaints: nothing is late yet
    with time_machine.travel(MON + datetime.timedelta(days=10), tick=False):
        assert len(refs(breached="1")) == 4  # by the clock, with no sweep run
    assert refs(status="closed") == set()


def test_worklist_shows_only_the_users_part_of_the_organisation(org):
    mine = file(org, customer=org.customer, complainant_phone=org.customer.mobile)
    theirs = file(
        org, customer=org.far_customer, complainant_phone=org.far_customer.mobile, complainant_address=""
    )
    clerk_refs = {
        c.reference for c in signed_in(org.clerk).get(reverse("complaints:worklist")).context["page"]
    }
    assert clerk_refs == {mine.reference}
    assert signed_in(org.clerk).get(detail_url(theirs)).status_code == 404


def test_complaint_page_steps_end_to_end(org):
    complaint = file(
        org,
        complainant_name=SCRIPT,
        description=SCRIPT,
        requested_remedy=SCRIPT,
        complainant_address=SCRIPT + "路1号",
    )
    client = signed_in(org.agent)
    page = client.get(detail_url(complaint))
    html = page.content.decode()
    assert page.status_code == 200
    assert SCRIPT not in html and "&lt;script&gt;" in html  # escaped on staff pages too
    assert "Acknowledge" in html

    assert client.post(detail_url(complaint, "acknowledge"), {"acknowledge-note": ""}).status_code == 302
    assert client.post(detail_url(complaint, "contact"), {"contact-note": "电话联系"}).status_code == 302
    response = client.post(
        detail_url(complaint, "investigate"),
        {
            "investigation-findings": "属实",
            "investigation-is_substantiated": "yes",
            "investigation-root_cause": "staff_conduct",
            "investigation-department_at_fault": org.outlet.pk,
        },
    )
    assert response.status_code == 302
    answer = "您好：\n已向您致歉并加强培训。" + SCRIPT
    response = client.post(
        detail_url(complaint, "respond"),
        {"response-response_text": answer, "response-remedy": "apology", "response-remedy_amount": ""},
    )
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.response_text == answer
    html = client.get(detail_url(complaint)).content.decode()
    assert SCRIPT not in html
    response = client.post(
        detail_url(complaint, "close"), {"close-customer_accepted": "yes", "close-note": ""}
    )
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.closed_at is not None and complaint.ticket.status == "closed"


def test_step_errors_show_on_the_page(org):
    complaint = file(org)
    client = signed_in(org.agent)
    response = client.post(
        detail_url(complaint, "respond"),
        {"response-response_text": "答复", "response-remedy": "compensation", "response-remedy_amount": ""},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Acknowledge the complaint before answering it." in html
    assert "Compensation and bill credits need an amount above zero." in html
    assert not Complaint.objects.get().responded_at


def test_steps_are_post_only(org):
    complaint = file(org)
    assert signed_in(org.agent).get(detail_url(complaint, "acknowledge")).status_code == 405


def test_link_related_ticket_from_the_page(org):
    complaint = file(org)
    repair = make_ticket(org, now=MON)
    client = signed_in(org.agent)
    assert client.post(detail_url(complaint, "link"), {"link-reference": repair.reference}).status_code == 302
    assert list(complaint.related_tickets.all()) == [repair]
    response = client.post(detail_url(complaint, "link"), {"link-reference": "GS20990101-00009"})
    assert response.status_code == 400
    assert "No ticket with this reference is visible to you." in response.content.decode()


def test_repeat_chain_is_shown(org):
    first = file(org)
    second = file(org, now=MON + datetime.timedelta(days=2))
    html = signed_in(org.agent).get(detail_url(second)).content.decode()
    assert "Repeat chain" in html and first.reference in html


def test_intake_for_a_12345_order(org):
    client = signed_in(org.agent)
    assert client.get(reverse("complaints:intake")).status_code == 200
    response = client.post(
        reverse("complaints:intake"),
        {
            "source": "city_hotline",
            "category": "supply",
            "severity": "high",
            "name": "赵六",
            "phone": "023-61234567",
            "account_no": org.customer.account_no,
            "address": "",
            "description": "12345转办：燃气压力低",
            "hotline_order_no": "12345-20260302-01",
            "hotline_due_at": f"{timezone.localtime() + datetime.timedelta(days=1):%Y-%m-%dT%H:%M}",
            "received_at": "",
            "requested_remedy": "",
            "email": "",
        },
    )
    assert response.status_code == 302, response.context["form"].errors if response.context else ""
    complaint = Complaint.objects.get()
    assert complaint.ticket.service_type.code == "H12345"
    assert complaint.customer == org.customer and complaint.ticket.org_unit == org.outlet
    assert complaint.complainant_address == org.customer.address
    assert set(complaint.ticket.milestones.values_list("code", flat=True)) == {"sign", "feedback"}


def test_intake_errors(org):
    response = signed_in(org.agent).post(
        reverse("complaints:intake"),
        {
            "source": "city_hotline",
            "category": "other",
            "severity": "medium",
            "name": "赵六",
            "phone": "12",
            "description": "x",
            "account_no": "9999999999",
        },
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["phone"] == [
        "Enter a mobile number (11 digits starting with 13-19) or a landline with its area code, "
        "e.g. 023-61234567."
    ]
    assert "No gas account has this number." in form.errors["account_no"]


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        (
            {"received_at": f"{timezone.localtime() + datetime.timedelta(days=1):%Y-%m-%dT%H:%M}"},
            "received_at",
            "The receipt time cannot be in the future.",
        ),
        ({"hotline_order_no": ""}, "hotline_order_no", "A 12345 order needs the hotline's order number."),
        ({"source": "service_hall"}, "hotline_order_no", "Only a 12345 order has a hotline order number"),
    ],
    ids=["received-in-the-future", "12345-without-its-order-number", "order-number-off-12345"],
)
def test_intake_shows_the_services_rule_beside_its_field(org, overrides, field, message):
    data = {
        "source": "city_hotline",
        "category": "supply",
        "severity": "high",
        "name": "赵六",
        "phone": "023-61234567",
        "description": "12345转办：燃气压力低",
        "hotline_order_no": "12345-20260302-01",
        **overrides,
    }

    response = signed_in(org.agent).post(reverse("complaints:intake"), data)

    assert response.status_code == 400
    errors = response.context["form"].errors[field]
    assert len(errors) == 1 and errors[0].startswith(message)
    assert escape(message) in response.content.decode()
    assert not Complaint.objects.exists()


def test_figures_are_for_supervisors(org):
    assert signed_in(org.clerk).get(reverse("complaints:figures")).status_code == 403
    supervisor = staff(username="centre_boss", role=Role.CENTRE_MANAGER, org_unit=org.centre)
    complaint = services.acknowledge_complaint(complaint=file(org), actor=org.agent, now=MON)
    services.respond_to_complaint(
        complaint=complaint, response_text="答复", remedy=Remedy.NONE, actor=org.agent, now=MON
    )
    response = signed_in(supervisor).get(
        reverse("complaints:figures"), {"start": "2026-01-01", "end": "2026-12-31"}
    )
    assert response.status_code == 200
    assert response.context["figures"]["total"] == 1
    assert response.context["figures"]["on_time_share"] == 100.0


def test_complaint_page_query_count_is_bounded(org, django_assert_max_num_queries):
    first = file(org)
    complaint = file(org, now=MON + datetime.timedelta(days=1), attachments=[])
    for n in range(5):
        services.link_related(complaint=complaint, ticket=make_ticket(org, now=MON), actor=org.agent, now=MON)
        file(org, now=MON + datetime.timedelta(days=2, hours=n))
    client = signed_in(org.agent)
    with django_assert_max_num_queries(14):
        response = client.get(detail_url(complaint))
    assert response.status_code == 200
    assert first.reference in response.content.decode()
