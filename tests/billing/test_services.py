"""Billing services: bills priced from readings, re-billing, the dispute steps, four eyes, holds."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone, translation

from billing import selectors, services
from billing.models import Adjustment, BillStatus, DisputeKind, Meter, ReadingSource, Step
from notifications.messages import render
from notifications.models import Notification
from tests.tickets.factories import staff
from tickets import selectors as selectors_of_tickets
from tickets.timeline import timeline_rows

from .factories import WORKED_READINGS, bills_from, household, meter, reading

TZ = timezone.get_current_timezone()
NOW = dt.datetime(2027, 3, 10, 10, 0, tzinfo=TZ)


def at(day, hour=10):
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=TZ)


@pytest.fixture
def worked(org):
    """The customer of the worked example: 850 m3 billed earlier in 2026, then the three bills."""
    m = meter(org.customer)
    bills, readings = bills_from(m, WORKED_READINGS)
    return m, bills, readings


def messages(exc):
    return [str(m) for m in exc.value.messages]


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "Check ordered · re-read ordered: {}"), ("zh-hans", "已派发核查 · 已派发复核抄表：{}")],
)
def test_the_check_ordered_is_stored_as_a_code_and_read_in_the_readers_language(
    org, worked, language, expected
):
    dispute = services.register_dispute(
        customer=org.customer,
        kind=DisputeKind.ESTIMATE,
        bills=[worked[1][2]],
        description="估抄读数过高",
        channel="service_hall",
        actor=org.clerk,
        now=NOW,
    )
    dispute = services.order_check(dispute=dispute, actor=org.clerk, now=NOW)
    note = dispute.ticket.events.get(kind="note")
    assert note.message == ""
    assert note.data == {
        "step": "billing.check_ordered",
        "service": "MTR-READ",
        "ticket": dispute.check_ticket.reference,
    }
    with translation.override(language):
        rows = timeline_rows(dispute.ticket, selectors_of_tickets.timeline(dispute.ticket))
    assert expected.format(dispute.check_ticket.reference) in [f"{r.title} · {r.summary}" for r in rows]


def test_bills_from_readings_are_priced_like_the_worked_example(worked):
    _m, bills, _readings = worked
    assert [b.amount for b in bills[1:]] == [D("459.30"), D("1432.89"), D("106.50")]
    assert [(x.tier, x.volume_m3, x.amount) for x in bills[2].lines.all()] == [
        (3, D("270.492"), D("692.19")),
        (3, D("279.508"), D("740.70")),
    ]
    assert bills[2].is_estimated and not bills[1].is_estimated


def test_the_worked_example_dispute_proposes_minus_152_68(org, worked):
    _m, bills, readings = worked
    dispute = services.register_dispute(
        customer=org.customer,
        kind=DisputeKind.ESTIMATE,
        bills=[bills[2]],
        description="估抄读数过高",
        channel="service_hall",
        actor=org.clerk,
        now=NOW,
    )
    assert dispute.disputed_reading == readings[3]
    services.order_check(dispute=dispute, actor=org.clerk, now=NOW)
    services.record_reread(
        dispute=dispute, read_on=dt.date(2027, 1, 12), value_m3="2320", actor=org.tech, now=NOW
    )
    dispute.refresh_from_db()
    assert dispute.corrected_reading.value_m3 == D("2278.750")
    assert dispute.corrected_reading.corrects == readings[3]
    readings[3].refresh_from_db()
    assert readings[3].value_m3 == D("2600")  # the original is never changed in place
    comparison = services.rebill_as_json(services.rebill_dispute(dispute))
    assert comparison["total_difference"] == "-152.68"
    assert [(b["old"]["amount"], b["new"]["amount"]) for b in comparison["bills"]] == [
        ("1432.89", "595.95"),
        ("106.50", "790.76"),
    ]
    adjustment = services.propose_adjustment(dispute=dispute, actor=org.clerk, now=NOW)
    assert adjustment.amount == D("-152.68")
    assert adjustment.status == Adjustment.Status.PROPOSED  # above the front desk's limit of 50
    assert dispute.check_ticket.status == "resolved"


@pytest.fixture
def proposed(org, worked):
    _m, bills, _readings = worked
    dispute = services.register_dispute(
        customer=org.customer,
        kind=DisputeKind.ESTIMATE,
        bills=[bills[2]],
        description="估抄",
        channel="service_hall",
        actor=org.clerk,
        now=NOW,
    )
    services.record_reread(
        dispute=dispute, read_on=dt.date(2027, 1, 12), value_m3="2320", actor=org.clerk, now=NOW
    )
    return services.propose_adjustment(dispute=dispute, actor=org.clerk, now=NOW)


def test_four_eyes_the_proposer_never_approves(org, proposed):
    with pytest.raises(ValidationError) as exc:
        services.approve_adjustment(adjustment=proposed, actor=org.clerk, now=NOW)
    assert messages(exc) == ["You proposed this adjustment; a second person must approve it."]


def test_four_eyes_the_approver_needs_a_limit_above_the_amount(org, proposed):
    other_clerk = staff(username="clerk2", role="front_desk", org_unit=org.outlet)
    with pytest.raises(ValidationError) as exc:
        services.approve_adjustment(adjustment=proposed, actor=other_clerk, now=NOW)
    assert messages(exc) == ["-152.68 CNY is above what your role may approve; ask a manager."]


def test_apply_needs_approval_and_happens_once(org, proposed):
    with pytest.raises(ValidationError) as exc:
        services.apply_adjustment(adjustment=proposed, actor=org.supervisor, now=NOW)
    assert messages(exc) == ["An adjustment must be approved before it is applied."]
    services.approve_adjustment(adjustment=proposed, actor=org.supervisor, now=NOW)
    services.apply_adjustment(adjustment=proposed, actor=org.supervisor, now=NOW)
    with pytest.raises(ValidationError) as exc:
        services.apply_adjustment(adjustment=proposed, actor=org.supervisor, now=NOW)
    assert messages(exc)[0].startswith("This adjustment was already applied on")
    proposed.refresh_from_db()
    assert proposed.status == Adjustment.Status.APPLIED
    assert Adjustment.objects.filter(dispute=proposed.dispute, status="applied").count() == 1
    assert {line.bill.status for line in proposed.lines.all()} == {BillStatus.ADJUSTED}
    steps = list(proposed.dispute.events.values_list("step", "actor__username"))
    assert steps == [
        (Step.REGISTERED, "clerk"),
        (Step.FINDING, "clerk"),
        (Step.PROPOSED, "clerk"),
        (Step.APPROVED, "supervisor"),
        (Step.APPLIED, "supervisor"),
    ]


def test_a_small_adjustment_within_the_proposers_limit_needs_no_second_person(org):
    m = meter(org.customer)
    bills, readings = bills_from(
        m,
        [
            (dt.date(2026, 3, 1), 100),
            (dt.date(2026, 5, 1), 110, ReadingSource.ESTIMATED),
            (dt.date(2026, 7, 1), 130),
        ],
    )
    dispute = services.register_dispute(
        customer=org.customer,
        kind=DisputeKind.READING,
        bills=[bills[0]],
        description="读数有误",
        channel="service_hall",
        actor=org.clerk,
        now=NOW,
    )
    services.record_reread(
        dispute=dispute, read_on=dt.date(2026, 5, 2), value_m3="105", actor=org.clerk, now=NOW
    )
    adjustment = services.propose_adjustment(dispute=dispute, actor=org.clerk, now=NOW)
    assert adjustment.amount == D("0.01")  # 5 m3 move to the next bill at the same price: only rounding
    assert adjustment.status == Adjustment.Status.APPROVED and not adjustment.needs_second_person


def test_informing_the_customer_closes_the_dispute_and_lifts_the_hold(org, proposed):
    bill = proposed.lines.first().bill
    assert selectors.is_on_hold(bill)
    services.approve_adjustment(adjustment=proposed, actor=org.supervisor, now=NOW)
    services.apply_adjustment(adjustment=proposed, actor=org.supervisor, now=NOW)
    dispute = services.inform_customer(dispute=proposed.dispute, channel="sms", actor=org.clerk, now=NOW)
    assert dispute.step == Step.INFORMED and dispute.closed_at == NOW
    assert not selectors.is_on_hold(bill)
    event = dispute.events.get(step=Step.INFORMED)
    assert event.data == {
        "channel": "sms",
        "old_amount": "1539.39",
        "new_amount": "1386.71",
        "adjustment": "-152.68",
    }
    dispute.ticket.refresh_from_db()
    assert dispute.ticket.status == "closed"
    reply = dispute.ticket.events.filter(kind="reply").get()
    assert reply.is_public and reply.message == ""  # worded when read, in the reader's language
    assert reply.data["step"] == "billing.outcome" and reply.data["adjustment"] == "-152.68"
    sms = Notification.objects.get(ticket=dispute.ticket, channel="sms", kind="reply")
    assert sms.address == org.customer.mobile and "the difference of -152.68 CNY" in sms.rendered_body
    assert "差额 -152.68 元" in render(sms, language="zh-hans")[1]
    supervisor_alert = Notification.objects.get(recipient=org.supervisor, kind="billing_adjustment")
    expected = f"Adjustment -152.68 CNY on {dispute.reference} waits for approval"
    assert supervisor_alert.rendered_title == expected
    for language, text in (
        ("en", "from 1539.39 CNY to 1386.71 CNY"),
        ("zh-hans", "由 1539.39 元重新核算为 1386.71 元"),
    ):
        page = Client(HTTP_ACCEPT_LANGUAGE=language).post(
            "/track/", {"reference": dispute.reference, "phone": org.customer.mobile}
        )
        assert text in page.content.decode()


def test_no_late_fee_counts_while_a_dispute_is_open(org, worked):
    _m, bills, _readings = worked
    bill = bills[2]  # due 2027-01-21, 1432.89 unpaid
    assert selectors.late_fee_due(bill, on=dt.date(2027, 1, 31)) == D("4.30")  # 3 days x 0.1%
    services.register_dispute(
        customer=org.customer,
        kind=DisputeKind.LATE_FEE,
        bills=[bill],
        description="争议期间不应收滞纳金",
        channel="service_hall",
        actor=org.clerk,
        now=at(dt.date(2027, 1, 28)),
        received_at=at(dt.date(2027, 1, 28)),
    )
    assert selectors.late_fee_due(bill, on=dt.date(2027, 2, 28)) == D("0.00")


def test_meter_test_outside_tolerance_rebills_the_affected_period_and_waives_the_fee(org):
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
    dispute.refresh_from_db()
    assert dispute.check_ticket.service_type.code == "MTR-TEST"
    services.record_meter_test(dispute=dispute, error_pct="4", actor=org.tech, now=NOW)
    dispute.refresh_from_db()
    assert dispute.test_fee_waived
    comparison = services.rebill_dispute(dispute)
    assert [b.new_volume for b in comparison.bills] == [D("100.000"), D("100.000")]
    assert comparison.total_difference == D("-16.32")  # 4 m3 at 2.039 less in each bill


def test_meter_test_within_tolerance_changes_nothing(org):
    m = meter(org.customer)
    bills, _readings = bills_from(m, [(dt.date(2026, 3, 1), 0), (dt.date(2026, 5, 1), 104)])
    dispute = services.register_dispute(
        customer=org.customer,
        kind=DisputeKind.METER_FAULT,
        bills=bills,
        description="表走得快",
        channel="service_hall",
        actor=org.clerk,
        now=NOW,
    )
    services.record_meter_test(dispute=dispute, error_pct="-1.5", actor=org.tech, now=NOW)
    dispute.refresh_from_db()
    assert not dispute.test_fee_waived
    with pytest.raises(ValidationError) as exc:
        services.propose_adjustment(dispute=dispute, actor=org.clerk, now=NOW)
    assert messages(exc) == ["Re-billing changes no bill; there is nothing to adjust."]


@pytest.mark.parametrize(
    ("day", "value", "field", "message"),
    [
        (
            dt.date(2026, 8, 1),
            "90",
            "value_m3",
            "90 m³ is lower than the reading of 2026-07-01 (100.000 m³) on the same meter.",
        ),
        (dt.date(2027, 3, 11), "120", "read_on", "A reading cannot be dated in the future."),
        (dt.date(2026, 8, 1), "120.0001", "value_m3", "A reading has at most 3 decimals."),
    ],
)
def test_bad_readings_are_refused_with_a_field_error(org, day, value, field, message):
    m = meter(org.customer)
    reading(m, dt.date(2026, 7, 1), 100)
    with pytest.raises(ValidationError) as exc:
        services.record_reading(
            meter=m, read_on=day, value_m3=value, source="actual", actor=org.clerk, now=NOW
        )
    assert exc.value.message_dict == {field: [message]}


def test_a_removed_meter_takes_no_readings(org):
    m = meter(org.customer, status=Meter.Status.REMOVED, removed_on=dt.date(2026, 6, 1))
    with pytest.raises(ValidationError) as exc:
        services.record_reading(
            meter=m, read_on=dt.date(2026, 7, 1), value_m3="5", source="actual", actor=org.clerk, now=NOW
        )
    assert exc.value.message_dict == {
        "meter": [f"Meter {m.serial} was removed on 2026-06-01; it takes no readings."]
    }


def test_a_bill_overlapping_another_of_the_same_meter_is_refused(org):
    m = meter(org.customer)
    bills, readings = bills_from(m, [(dt.date(2026, 3, 1), 0), (dt.date(2026, 5, 1), 10)])
    middle = reading(m, dt.date(2026, 4, 1), 5)
    with pytest.raises(ValidationError) as exc:
        services.create_bill(
            opening=middle, closing=readings[1], due_on=dt.date(2026, 5, 20), external_id="X"
        )
    assert exc.value.message_dict["closing_reading_id"][0].startswith(
        f"The period overlaps bill {bills[0].external_id}"
    )


def test_the_household_allowance_applies_from_the_day_recorded(org):
    household(org.customer, 5, dt.date(2026, 1, 1))
    m = meter(org.customer)
    bills, _readings = bills_from(m, [(dt.date(2026, 3, 1), 0), (dt.date(2026, 11, 1), 700)])
    assert [(x.tier, x.volume_m3) for x in bills[0].lines.all()] == [(1, D("700.000"))]


def test_a_withdrawn_adjustment_is_never_applied_and_a_new_one_may_be_proposed(org, proposed):
    services.withdraw_adjustment(adjustment=proposed, actor=org.supervisor, now=NOW, reason="重新核对")
    with pytest.raises(ValidationError) as exc:
        services.approve_adjustment(adjustment=proposed, actor=org.supervisor, now=NOW)
    assert messages(exc) == ["Only a proposed adjustment can be approved; this one is Withdrawn."]
    again = services.propose_adjustment(dispute=proposed.dispute, actor=org.clerk, now=NOW)
    assert again.external_id.endswith("-2") and again.amount == D("-152.68")
    assert list(proposed.dispute.events.values_list("step", flat=True))[-2:] == [
        Step.WITHDRAWN,
        Step.PROPOSED,
    ]
