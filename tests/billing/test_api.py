"""The billing API: a customer's billing, the dispute steps with four eyes, the adjustments feed, imports."""

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from billing import imports
from billing.models import Adjustment, ImportRun, MeterReading
from tests.conftest import requires_postgres
from tests.tickets.factories import staff

from .factories import WORKED_READINGS, bills_from, meter

TZ = timezone.get_current_timezone()
NOW = dt.datetime(2027, 3, 10, 10, 0, tzinfo=TZ)
HEADER = "external_id,meter_serial,read_on,value_m3,source\n"


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def worked(org):
    m = meter(org.customer)
    bills, readings = bills_from(m, WORKED_READINGS)
    return m, bills, readings


def as_user(api_client, user):
    api_client.force_authenticate(user)
    return api_client


def test_a_customers_billing_has_meters_readings_bills_with_lines_and_holds(api_client, org, worked, clock):
    m, bills, _readings = worked
    response = as_user(api_client, org.clerk).get(f"/api/v1/billing/customers/{org.customer.account_no}/")
    assert response.status_code == 200
    data = response.json()
    assert [x["serial"] for x in data["meters"]] == [m.serial]
    assert len(data["readings"]) == 5
    nov = next(b for b in data["bills"] if b["period_start"] == "2026-11-01")
    assert nov["amount"] == "1432.89" and nov["is_estimated"] and not nov["on_hold"]
    assert [(x["tier"], x["volume_m3"], x["amount"]) for x in nov["lines"]] == [
        (3, "270.492", "692.19"),
        (3, "279.508", "740.70"),
    ]


def test_a_customer_of_another_branch_is_not_found(api_client, org, clock):
    response = as_user(api_client, org.clerk).get(f"/api/v1/billing/customers/{org.far_customer.account_no}/")
    assert response.status_code == 404


def register(api_client, org, bill, **extra):
    payload = {
        "account_no": org.customer.account_no,
        "kind": "estimate",
        "bills": [bill.external_id],
        "description": "估抄读数过高",
        **extra,
    }
    return api_client.post("/api/v1/billing/disputes/", payload, format="json")


def test_four_eyes_through_the_api(api_client, org, worked, clock):
    _m, bills, _readings = worked
    client = as_user(api_client, org.clerk)
    response = register(client, org, bills[2])
    assert response.status_code == 201, response.json()
    reference = response.json()["reference"]
    url = f"/api/v1/billing/disputes/{reference}"
    response = client.get(f"/api/v1/billing/customers/{org.customer.account_no}/")
    held = next(b for b in response.json()["bills"] if b["external_id"] == bills[2].external_id)
    assert held["on_hold"] and held["held_by"] == [reference]

    response = client.post(f"{url}/reread/", {"read_on": "2027-01-12", "value_m3": "2320"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["corrected_reading"]["value_m3"] == "2278.750"

    response = client.post(f"{url}/rebill/")
    assert response.status_code == 200
    assert response.json()["total_difference"] == "-152.68"
    first = response.json()["bills"][0]
    assert (first["old"]["amount"], first["new"]["amount"], first["difference"]) == (
        "1432.89",
        "595.95",
        "-836.94",
    )
    assert first["new"]["lines"][0] == {
        "from": "2026-11-01",
        "to": "2026-12-01",
        "cycle": 2026,
        "season": "normal",
        "tier": 3,
        "volume_m3": "112.500",
        "price": "2.5590",
        "amount": "287.89",
    }

    response = client.post(f"{url}/propose/", {"reason": "估抄纠正"}, format="json")
    assert response.status_code == 200
    assert response.json()["adjustments"][0]["status"] == "proposed"

    response = client.post(f"{url}/approve/", {}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["You proposed this adjustment; a second person must approve it."]
    }

    response = client.post(f"{url}/apply/", {}, format="json")
    assert response.json() == {"non_field_errors": ["An adjustment must be approved before it is applied."]}

    supervisor = as_user(api_client, org.supervisor)
    assert supervisor.post(f"{url}/approve/", {}, format="json").status_code == 200
    assert supervisor.post(f"{url}/apply/", {}, format="json").status_code == 200
    again = supervisor.post(f"{url}/apply/", {}, format="json")
    assert again.status_code == 400
    assert again.json()["non_field_errors"][0].startswith("This adjustment was already applied")
    response = supervisor.post(f"{url}/inform/", {"channel": "sms"}, format="json")
    data = response.json()
    assert (data["step"], data["is_open"], data["ticket_status"]) == ("informed", False, "closed")
    assert [(e["step"], e["actor"]) for e in data["events"]] == [
        ("registered", "clerk"),
        ("finding", "clerk"),
        ("proposed", "clerk"),
        ("approved", "supervisor"),
        ("applied", "supervisor"),
        ("informed", "supervisor"),
    ]


def test_registering_a_dispute_on_a_bill_of_another_customer_is_a_field_error(api_client, org, worked, clock):
    other = meter(org.restaurant)
    other_bills, _ = bills_from(other, [(dt.date(2026, 3, 1), 0), (dt.date(2026, 5, 1), 10)])
    response = register(as_user(api_client, org.clerk), org, other_bills[0])
    assert response.status_code == 400
    assert response.json() == {"bills": [f"Not a bill of this customer: {other_bills[0].external_id}"]}


def test_a_technician_records_the_reread_but_registers_no_dispute(api_client, org, worked, clock):
    _m, bills, _readings = worked
    response = register(as_user(api_client, org.tech), org, bills[2])
    assert response.status_code == 403


@pytest.fixture
def approved(org, worked, api_client, clock):
    _m, bills, _readings = worked
    client = as_user(api_client, org.clerk)
    reference = register(client, org, bills[2]).json()["reference"]
    url = f"/api/v1/billing/disputes/{reference}"
    client.post(f"{url}/reread/", {"read_on": "2027-01-12", "value_m3": "2320"}, format="json")
    client.post(f"{url}/propose/", {}, format="json")
    as_user(api_client, org.supervisor).post(f"{url}/approve/", {}, format="json")
    return Adjustment.objects.get()


def test_the_adjustments_feed_in_csv_marks_them_exported(api_client, org, approved, clock):
    admin = staff(username="billing_system", role="administrator", org_unit=org.centre)
    response = as_user(api_client, admin).get("/api/v1/billing/adjustments/?status=approved&format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(r["external_id"], r["old_amount"], r["new_amount"], r["difference"]) for r in rows] == [
        (approved.external_id, "1432.89", "595.95", "-836.94"),
        (approved.external_id, "106.50", "790.76", "684.26"),
    ]
    approved.refresh_from_db()
    assert approved.exported_at == NOW
    response = api_client.get("/api/v1/billing/adjustments/?status=approved&exported=false")
    assert response.json() == []
    response = api_client.get("/api/v1/billing/adjustments/")
    assert [(a["external_id"], a["amount"]) for a in response.json()] == [(approved.external_id, "-152.68")]


def test_front_desk_cannot_fetch_the_adjustments_feed(api_client, org, clock):
    assert as_user(api_client, org.clerk).get("/api/v1/billing/adjustments/").status_code == 403


@requires_postgres
def test_a_small_import_is_answered_at_once_with_its_refusals(api_client, org, clock):
    admin = staff(username="billing_system", role="administrator", org_unit=org.centre)
    m = meter(org.customer)
    content = f"{HEADER}E1,{m.serial},2027-02-01,5,actual\nE2,x,2027-02-01\n"
    upload = SimpleUploadedFile("readings.csv", content.encode(), content_type="text/csv")
    response = as_user(api_client, admin).post(
        "/api/v1/billing/imports/", {"kind": "readings", "file": upload}
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["status"], data["created"], data["refused"], data["percent"]) == ("done", 1, 1, 100)
    assert data["refusals"] == [
        {
            "row_number": 3,
            "external_id": "E2",
            "code": "columns",
            "reason": "The row has 3 columns; 5 are expected.",
        }
    ]
    assert api_client.get(f"/api/v1/billing/imports/{data['id']}/").json()["created"] == 1


@requires_postgres
def test_a_large_import_is_queued_for_the_worker(api_client, org, clock, monkeypatch, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    monkeypatch.setattr(imports, "INLINE_MAX_BYTES", 10)
    admin = staff(username="billing_system", role="administrator", org_unit=org.centre)
    m = meter(org.customer)
    content = f"{HEADER}F1,{m.serial},2027-02-01,5,actual\n"
    upload = SimpleUploadedFile("readings.csv", content.encode(), content_type="text/csv")
    response = as_user(api_client, admin).post(
        "/api/v1/billing/imports/", {"kind": "readings", "file": upload}
    )
    assert response.status_code == 202
    data = response.json()
    assert (data["status"], data["percent"]) == ("queued", 0)
    imports.run_queued_import(data["id"])  # what the worker does with the message
    assert imports.run_queued_import(data["id"]) is None  # a second delivery finds it claimed
    data = api_client.get(f"/api/v1/billing/imports/{data['id']}/").json()
    assert (data["status"], data["created"], data["done_rows"], data["total_rows"]) == ("done", 1, 1, 1)
    assert MeterReading.objects.filter(external_id="F1").exists()
    assert ImportRun.objects.count() == 1


def test_a_wrong_import_kind_is_a_field_error(api_client, org, clock):
    admin = staff(username="billing_system", role="administrator", org_unit=org.centre)
    upload = SimpleUploadedFile("x.csv", b"a\n", content_type="text/csv")
    response = as_user(api_client, admin).post(
        "/api/v1/billing/imports/", {"kind": "tariffs", "file": upload}
    )
    assert response.status_code == 400
    assert response.json() == {"kind": ['"tariffs" is not a valid choice.']}


def test_withdrawing_through_the_api(api_client, org, approved, clock):
    url = f"/api/v1/billing/disputes/{approved.dispute.reference}"
    response = as_user(api_client, org.supervisor).post(
        f"{url}/withdraw/", {"reason": "重算有误"}, format="json"
    )
    assert response.status_code == 200
    data = response.json()
    assert data["step"] == "finding" and data["adjustments"][0]["status"] == "withdrawn"
    response = api_client.post(f"{url}/apply/", {}, format="json")
    assert response.status_code == 400
    assert response.json() == {"adjustment": ["This dispute has no such adjustment."]}
