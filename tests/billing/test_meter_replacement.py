"""A meter tested outside the legal tolerance is replaced at no cost: ordered by the test, then recorded."""

import datetime as dt
from decimal import Decimal as D

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from billing import services
from billing.models import DisputeKind, Meter, MeterReplacement, Step
from tickets import selectors as selectors_of_tickets
from tickets.timeline import timeline_rows

from .factories import bills_from, meter, reading

TZ = timezone.get_current_timezone()
NOW = dt.datetime(2026, 7, 20, 10, 0, tzinfo=TZ)


def messages(exc):
    return [str(m) for m in exc.value.messages]


def _tested(org, error_pct):
    """A meter-fault dispute on a meter whose test found `error_pct`."""
    m = meter(org.customer)
    bills, _readings = bills_from(
        m, [(dt.date(2026, 3, 1), 0), (dt.date(2026, 5, 1), 104), (dt.date(2026, 7, 1), 208)]
    )
    dispute = services.register_dispute(
        customer=org.customer,
        kind=DisputeKind.METER_FAULT,
        bills=bills,
        description="表走得快",
        channel="service_hall",
        actor=org.clerk,
        now=NOW,
    )
    services.order_check(dispute=dispute, actor=org.clerk, now=NOW)
    services.record_meter_test(dispute=dispute, error_pct=error_pct, actor=org.tech, now=NOW)
    dispute.refresh_from_db()
    return dispute, m


@pytest.fixture
def failed(org):
    return _tested(org, "4")


def test_a_failed_meter_test_orders_a_free_replacement_and_recording_it_removes_the_old_meter(org, failed):
    dispute, old = failed
    ordered = MeterReplacement.objects.get(dispute=dispute)
    assert (ordered.old_meter, ordered.is_free_of_charge, ordered.is_done) == (old, True, False)
    rows = timeline_rows(dispute.ticket, selectors_of_tickets.timeline(dispute.ticket))
    expected = f"Meter {old.serial} failed the test: it is replaced at no cost and the test fee is waived."
    assert expected in [r.summary for r in rows]
    replacement = services.record_meter_replacement(
        dispute=dispute, new_serial="SN-NEW-1", replaced_on=dt.date(2026, 7, 18), actor=org.tech, now=NOW
    )
    old.refresh_from_db()
    assert (old.status, old.removed_on) == (Meter.Status.REMOVED, dt.date(2026, 7, 18))
    new = Meter.objects.get(serial="SN-NEW-1")
    assert (new.customer, new.meter_type, new.fitted_on, new.status) == (
        org.customer,
        old.meter_type,
        dt.date(2026, 7, 18),
        Meter.Status.IN_SERVICE,
    )
    assert replacement.new_meter == new and replacement.replaced_by == org.tech
    event = dispute.events.get(step=Step.METER_REPLACED)
    assert event.data == {
        "old_meter": old.serial,
        "new_meter": "SN-NEW-1",
        "replaced_on": "2026-07-18",
        "free_of_charge": True,
    }
    with translation.override("zh-hans"):
        rows = timeline_rows(dispute.ticket, selectors_of_tickets.timeline(dispute.ticket))
    expected = f"已换表 · 原表 {old.serial} 已于 2026-07-18 免费更换为 SN-NEW-1。"
    assert expected in [f"{r.title} · {r.summary}" for r in rows]
    # The affected period is still re-billed: 4 m3 less in each of the two bills.
    assert services.rebill_dispute(dispute).total_difference == D("-16.32")


def test_a_meter_within_the_tolerance_is_not_replaced(org):
    dispute, _m = _tested(org, "-1.5")
    assert not MeterReplacement.objects.exists()
    with pytest.raises(ValidationError) as exc:
        services.record_meter_replacement(
            dispute=dispute, new_serial="SN-X", replaced_on=dt.date(2026, 7, 18), actor=org.tech, now=NOW
        )
    assert messages(exc) == ["No meter replacement was ordered: the meter test found no fault."]


@pytest.mark.parametrize(
    ("serial", "day", "message"),
    [
        ("", dt.date(2026, 7, 18), "Enter the new meter's serial (at most 40 characters)."),
        ("SN-F", dt.date(2026, 7, 21), "A replacement cannot be dated in the future."),
        (
            "SN-E",
            dt.date(2019, 12, 31),
            "The old meter was fitted on 2020-01-01; it cannot be replaced before.",
        ),
        ("SN-R", dt.date(2026, 6, 30), "The old meter has readings after this day; it was still in service."),
        ("TAKEN", dt.date(2026, 7, 18), "Serial TAKEN belongs to another meter."),
    ],
)
def test_a_bad_replacement_is_refused_and_changes_nothing(org, failed, serial, day, message):
    dispute, old = failed
    Meter.objects.filter(pk=meter(org.restaurant).pk).update(serial="TAKEN")
    with pytest.raises(ValidationError) as exc:
        services.record_meter_replacement(
            dispute=dispute, new_serial=serial, replaced_on=day, actor=org.tech, now=NOW
        )
    assert messages(exc) == [message]
    old.refresh_from_db()
    assert old.status == Meter.Status.IN_SERVICE
    assert not MeterReplacement.objects.get(dispute=dispute).is_done


def test_a_meter_is_replaced_once_and_takes_no_readings_after(org, failed):
    dispute, old = failed
    services.record_meter_replacement(
        dispute=dispute, new_serial="SN-NEW-2", replaced_on=dt.date(2026, 7, 18), actor=org.tech, now=NOW
    )
    with pytest.raises(ValidationError) as exc:
        services.record_meter_replacement(
            dispute=dispute, new_serial="SN-NEW-3", replaced_on=dt.date(2026, 7, 19), actor=org.tech, now=NOW
        )
    assert messages(exc) == ["The meter was already replaced on 2026-07-18."]
    old.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        services.record_reading(
            meter=old,
            read_on=dt.date(2026, 7, 19),
            value_m3="300",
            source="actual",
            actor=org.tech,
            now=NOW,
        )
    assert messages(exc) == [f"Meter {old.serial} was removed on 2026-07-18; it takes no readings."]
    reading(Meter.objects.get(serial="SN-NEW-2"), dt.date(2026, 7, 19), 0)


def test_the_dispute_page_and_the_customer_page_show_the_replacement(client, org, failed):
    dispute, old = failed
    client.force_login(org.tech)
    with time_machine.travel(NOW, tick=False):
        page = client.get(f"/billing/disputes/{dispute.reference}/").content.decode()
        assert f"meter {old.serial} to be replaced at no cost to the customer (ordered)" in page
        assert "Record the meter replacement (no cost)" in page
        response = client.post(
            f"/billing/disputes/{dispute.reference}/replace_meter/",
            {"replace_meter-new_serial": "SN-NEW-4", "replace_meter-replaced_on": "2026-07-18"},
        )
        assert response.status_code == 302
        page = client.get(f"/billing/disputes/{dispute.reference}/").content.decode()
    assert (
        f"meter {old.serial} removed and replaced by SN-NEW-4 on 2026-07-18, at no cost to the customer"
        in page
    )
    assert "Record the meter replacement" not in page
    client.force_login(org.clerk)
    customer_page = client.get(f"/customers/{org.customer.account_no}/").content.decode()
    assert "replaced by SN-NEW-4 at no cost" in customer_page


def test_the_api_records_the_replacement_and_shows_it_on_the_dispute(api_client, org, failed):
    dispute, old = failed
    api_client.force_authenticate(org.tech)
    url = f"/api/v1/billing/disputes/{dispute.reference}/replace-meter/"
    with time_machine.travel(NOW, tick=False):
        response = api_client.post(
            url, {"new_serial": "SN-NEW-5", "replaced_on": "2026-07-18"}, format="json"
        )
        assert response.status_code == 200, response.json()
        body = response.json()["meter_replacement"]
        assert (body["old_meter"], body["new_meter"], body["is_free_of_charge"], body["replaced_on"]) == (
            old.serial,
            "SN-NEW-5",
            True,
            "2026-07-18",
        )
        again = api_client.post(url, {"new_serial": "SN-NEW-6", "replaced_on": "2026-07-18"}, format="json")
    assert again.status_code == 400
    assert "The meter was already replaced on 2026-07-18." in str(again.json())
