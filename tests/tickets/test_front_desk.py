"""The front desk's daily path: the customer page with their cases and "new" buttons, complaint
intake's customer lookup, search by the last 4 digits of a phone, the complaint worklist's
countdowns and SLA filter."""

import pytest
import time_machine
from django.db.models import F
from django.test import Client

from accounts.selectors import classify_query, search_customers
from complaints.models import Source
from tests.complaints.factories import file
from tests.factories import CustomerFactory
from tickets.models import Ticket

from .factories import at, make_ticket

pytestmark = pytest.mark.django_db

MON = at(2026, 3, 2, 9, 0)


@pytest.fixture(autouse=True)
def _sms_on_console(settings):
    settings.SMS_BACKEND = "console"


def signed_in(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_customer_page_lists_cases_newest_first_and_offers_new_ticket_and_complaint(org):
    older = make_ticket(org, now=MON)
    complaint = file(
        org, now=at(2026, 3, 3, 9, 0), customer=org.customer, source=Source.SERVICE_HALL, actor=org.clerk
    )
    make_ticket(org, now=MON, customer=org.far_customer, actor=org.far_tech)
    with time_machine.travel(at(2026, 3, 3, 10, 0), tick=False):
        page = signed_in(org.clerk).get(f"/customers/{org.customer.account_no}/").content.decode()
    cases = page[page.index('id="customer-cases"') :]
    assert cases.index(complaint.reference) < cases.index(older.reference)
    assert f'href="/complaints/{complaint.reference}/"' in cases  # a complaint opens on its own page
    assert f'href="/tickets/{older.reference}/"' in cases
    assert Ticket.objects.filter(customer=org.far_customer).get().reference not in page
    assert f'href="/tickets/new/?customer={org.customer.account_no}"' in page
    assert f'href="/complaints/intake/?customer={org.customer.account_no}"' in page
    assert "New ticket" in page and "New complaint" in page


def test_technician_gets_no_new_buttons(org):
    page = signed_in(org.tech).get(f"/customers/{org.customer.account_no}/").content.decode()
    assert "/tickets/new/?customer=" not in page and "/complaints/intake/?customer=" not in page
    assert "No cases yet." in page


def test_complaint_intake_finds_and_fills_in_the_customer(org):
    client = signed_in(org.clerk)
    page = client.get("/complaints/intake/", {"q": org.customer.mobile[-4:]}).content.decode()
    assert org.customer.name in page and f"?customer={org.customer.account_no}" in page
    assert org.customer.mobile not in page  # masked in the results
    page = client.get("/complaints/intake/", {"customer": org.customer.account_no}).content.decode()
    assert f'value="{org.customer.account_no}"' in page and f'value="{org.customer.name}"' in page
    assert f'action="/complaints/intake/?customer={org.customer.account_no}"' in page
    page = client.get("/complaints/intake/", {"customer": org.far_customer.account_no}).content.decode()
    assert f"No customer account {org.far_customer.account_no}." in page  # another outlet's: not shown


@pytest.mark.parametrize(
    "query, kind, value, rest",
    [
        ("5678", "phone_tail", "5678", ""),
        ("5678 张", "phone_tail", "5678", "张"),
        ("解放碑 5678", "phone_tail", "5678", "解放碑"),
        ("１２３４", "fragment", "１２３４", ""),  # full-width digits are not a phone tail
        ("123", "fragment", "123", ""),
        ("13812345678", "mobile", "13812345678", ""),
    ],
)
def test_classify_phone_tail(query, kind, value, rest):
    search = classify_query(query)
    assert (search.kind, search.value, search.rest) == (kind, value, rest)


def test_search_by_last_four_digits_alone_or_with_a_name_or_address(org):
    zhang = CustomerFactory(
        outlet=org.outlet,
        category=org.residential,
        name="张伟",
        mobile="13900005678",
        address="渝中区民族路1号",
    )
    li = CustomerFactory(
        outlet=org.outlet,
        category=org.residential,
        name="李娜",
        mobile="",
        landline="023-61235678",
        address="渝中区解放碑路8号",
    )
    CustomerFactory(outlet=org.outlet, category=org.residential, name="张三", mobile="13900005679")
    CustomerFactory(outlet=org.far_outlet, category=org.residential, name="张远", mobile="13700005678")

    def found(q):
        return {c.name for c in search_customers(org.clerk, q)}

    assert found("5678") == {zhang.name, li.name}  # mobile and landline; not another outlet's customer
    assert found("5678 张") == {zhang.name}
    assert found("解放碑 5678") == {li.name}
    assert found("0000") == set()


def test_complaint_worklist_countdowns_at_risk_filter_and_nearest_deadline_first(org):
    later = file(
        org, now=at(2026, 3, 2, 11, 0), complainant_phone="13900002222", complainant_address="渝中区较场口1号"
    )
    sooner = file(org, now=MON)
    # At risk by the clock at 12:00: its warning time has passed, its deadline has not (no sweep needed).
    Ticket.objects.filter(pk=later.ticket_id).update(next_warn_at=at(2026, 3, 2, 11, 30))
    Ticket.objects.filter(pk=sooner.ticket_id).update(next_warn_at=F("next_due_at"))
    client = signed_in(org.agent)
    with time_machine.travel(at(2026, 3, 2, 12, 0), tick=False):
        page = client.get("/complaints/").content.decode()
        assert page.index(sooner.reference) < page.index(later.reference)
        assert "data-countdown=" in page and 'id="countdown-labels"' in page and "js/tickets.js" in page
        at_risk = client.get("/complaints/", {"sla": "at_risk"}).content.decode()
    assert later.reference in at_risk and sooner.reference not in at_risk
