"""The Django admin shows personal data masked and read only, for superusers and administrators alike."""

import pytest
import time_machine
from django.contrib.auth import get_user_model

from accounts.models import Customer, PersonalDataView, Role
from tests.tickets.factories import Org, at, make_ticket
from tickets import services

from .factories import make_staff

NOW = at(2026, 3, 2, 9, 0)
FULL = ("13812345678", "023-61234567", "11010519491231002X", "13800001111", "13900002222")


@pytest.fixture
def org(db):
    with time_machine.travel(NOW, tick=False):
        org = Org()
        Customer.objects.filter(pk=org.customer.pk).update(
            mobile="13812345678", landline="023-61234567", id_number="11010519491231002X"
        )
        org.customer.refresh_from_db()
        org.ticket = make_ticket(org, now=NOW, contact_phone="13800001111")
        services.update_ticket(ticket=org.ticket, actor=org.clerk, now=NOW, contact_phone="13900002222")
        yield org


@pytest.fixture(params=["superuser", "administrator"])
def admin_client(request, client, org):
    if request.param == "superuser":
        user = get_user_model().objects.create_superuser("root", "root@gas.example", "x")
    else:
        user = make_staff(Role.ADMINISTRATOR, org.centre)
    client.force_login(user)
    return client


def _page(client, url):
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200, url
    return response.content.decode()


def test_customer_change_page_masks_phones_and_id_number(admin_client, org):
    page = _page(admin_client, f"/admin/accounts/customer/{org.customer.pk}/change/")

    assert "138****5678" in page and "023-****4567" in page and "1101**********002X" in page
    assert not any(value in page for value in FULL)
    assert 'name="mobile"' not in page and 'name="id_number"' not in page
    assert page.count("138****5678") == 1  # shown once, where the field is
    assert not PersonalDataView.objects.exists()


def test_saving_the_customer_in_the_admin_keeps_the_phones(admin_client, org):
    customer = org.customer
    response = admin_client.post(f"/admin/accounts/customer/{customer.pk}/change/", {
        "account_no": customer.account_no, "name": "改名", "category": customer.category_id,
        "address": customer.address, "outlet": customer.outlet_id, "status": "active",
        "mobile": "13700000000",
    })  # fmt: skip

    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.name, customer.mobile) == ("改名", "13812345678")


def test_ticket_and_timeline_admin_pages_mask_the_contact_phone(admin_client, org):
    ticket_page = _page(admin_client, f"/admin/tickets/ticket/{org.ticket.pk}/change/")
    event = org.ticket.events.get(kind="field")
    event_page = _page(admin_client, f"/admin/tickets/ticketevent/{event.pk}/change/")

    assert "139****2222" in ticket_page and "138****1111" in event_page and "139****2222" in event_page
    assert not any(value in ticket_page + event_page for value in FULL)


def test_complaint_admin_page_masks_the_complainants_phone(admin_client, org):
    from tests.complaints.factories import file

    complaint = file(org, now=NOW, complainant_phone="13812345678")
    page = _page(admin_client, f"/admin/complaints/complaint/{complaint.pk}/change/")

    assert "138****5678" in page and "13812345678" not in page
