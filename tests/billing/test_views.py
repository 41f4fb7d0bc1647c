"""Billing pages: the customer page section, the bill explanation, registering a dispute, its steps."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from billing.models import Dispute
from tests.tickets.factories import staff

from .factories import WORKED_READINGS, bills_from, meter

NOW = dt.datetime(2027, 3, 10, 10, 0, tzinfo=timezone.get_current_timezone())


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def worked(org, clock):
    m = meter(org.customer)
    return bills_from(m, WORKED_READINGS)


def page(client, user, url, **kwargs):
    client.force_login(user)
    return client.get(url, **kwargs)


def test_the_customer_page_shows_meters_bills_with_lines_and_holds(client, org, worked):
    bills, _readings = worked
    response = page(client, org.clerk, f"/customers/{org.customer.account_no}/")
    html = response.content.decode()
    assert "Meters, readings and bills" in html
    assert bills[2].meter.serial in html
    assert "1432.89" in html and "270.492" in html and "estimated reading" in html
    assert f"/billing/bills/{bills[2].external_id}/" in html
    assert "On hold" not in html


def test_the_bill_explanation_reads_each_line_with_the_tier_position(client, org, worked):
    bills, _readings = worked
    response = page(client, org.clerk, f"/billing/bills/{bills[2].external_id}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "From 2026-11-01 to 2026-12-01: 270.492 m³ at the tier 3 price of ¥2.559 per m³ = ¥692.19." in html
    assert "This year (2026) 1050.000 m³ had been used before this line, 1320.492 m³ after it." in html
    assert "window.print()" in html


def test_a_bill_of_another_branch_is_not_found(client, org, clock):
    far_bills, _ = bills_from(meter(org.far_customer), [(dt.date(2026, 3, 1), 0), (dt.date(2026, 5, 1), 10)])
    assert page(client, org.clerk, f"/billing/bills/{far_bills[0].external_id}/").status_code == 404


def test_the_front_desk_registers_a_dispute_and_the_supervisor_approves(client, org, worked):
    bills, _readings = worked
    client.force_login(org.clerk)
    response = client.post(
        f"/billing/customers/{org.customer.account_no}/disputes/new/",
        {"kind": "estimate", "bills": [bills[2].pk], "description": "估抄偏高"},
    )
    dispute = Dispute.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/billing/disputes/{dispute.reference}/"
    url = f"/billing/disputes/{dispute.reference}"
    response = client.post(f"{url}/reread/", {"reread-read_on": "2027-01-12", "reread-value_m3": "2000"})
    assert response.status_code == 400
    assert "2000 m³ is lower than the last actual reading (2050.000 m³)." in response.content.decode()
    client.post(f"{url}/reread/", {"reread-read_on": "2027-01-12", "reread-value_m3": "2320"})
    client.post(f"{url}/propose/", {"propose-reason": ""})
    html = client.get(f"{url}/").content.decode()
    assert "-152.68" in html and "You proposed this adjustment" in html
    assert 'id="step-approve"' not in html
    response = page(client, org.supervisor, f"{url}/")
    assert 'id="step-approve"' in response.content.decode()
    assert client.post(f"{url}/approve/").status_code == 302
    assert client.post(f"{url}/apply/").status_code == 302
    response = client.post(f"{url}/inform/", {"inform-channel": "letter"})
    assert response.status_code == 302
    dispute.refresh_from_db()
    assert dispute.step == "informed" and not dispute.is_open
    html = page(client, org.clerk, f"/customers/{org.customer.account_no}/").content.decode()
    assert "On hold" not in html


def test_registering_without_a_bill_shows_the_field_error(client, org, worked):
    response = page(client, org.clerk, f"/billing/customers/{org.customer.account_no}/disputes/new/")
    assert response.status_code == 200
    response = client.post(
        f"/billing/customers/{org.customer.account_no}/disputes/new/",
        {"kind": "estimate", "description": "x"},
    )
    assert response.status_code == 200 and "This field is required." in response.content.decode()


def test_a_technician_cannot_register_a_dispute(client, org, worked):
    response = page(client, org.tech, f"/billing/customers/{org.customer.account_no}/disputes/new/")
    assert response.status_code == 403


def test_the_import_page_is_for_administrators(client, org):
    assert page(client, org.clerk, "/billing/imports/").status_code == 403
    admin = staff(username="billing_admin", role="administrator", org_unit=org.centre)
    response = page(client, admin, "/billing/imports/")
    assert response.status_code == 200
    assert "external_id, meter_serial, read_on, value_m3, source" in response.content.decode()


def test_tariffs_are_edited_in_the_admin_and_bills_only_read(admin_client, org):
    response = admin_client.get("/admin/billing/tariffplan/")
    assert response.status_code == 200 and "RES-GEN" in response.content.decode()
    plan_id = response.context["cl"].result_list[0].pk
    assert admin_client.get(f"/admin/billing/tariffplan/{plan_id}/change/").status_code == 200
    assert admin_client.get("/admin/billing/bill/add/").status_code == 403


def test_the_dispute_page_counts_down_to_each_open_deadline(client, org, worked):
    bills, _readings = worked
    client.force_login(org.clerk)
    client.post(
        f"/billing/customers/{org.customer.account_no}/disputes/new/",
        {"kind": "estimate", "bills": [bills[2].pk], "description": "估抄偏高"},
    )
    html = client.get(f"/billing/disputes/{Dispute.objects.get().reference}/").content.decode()
    assert "data-countdown=" in html and 'id="countdown-labels"' in html and "js/tickets.js" in html
