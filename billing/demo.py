"""Demo billing data for `manage.py seed_demo` (connected to accounts.signals.demo_seeded).

For the first demo customers of every outlet: a meter, readings every two months over the last
24 months (now and then an estimate), bills priced by the tariff engine, most of them paid;
and two disputes: one whose adjustment waits for the supervisor, one closed. Idempotent: a
customer who already has a demo meter is skipped.
"""

import datetime as dt
import logging
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.models import Customer, OrgUnit, Segment
from accounts.roles import Role
from notifications.services import withheld

from . import services
from .models import Dispute, DisputeKind, Household, Meter, MeterReading, MeterType, ReadingSource
from .seed import seed_billing_rules

logger = logging.getLogger(__name__)

CUSTOMERS_PER_OUTLET = 8
MONTHS = 24
HEATING = {12, 1, 2}


def _month_start(day: dt.date, back: int) -> dt.date:
    month = day.year * 12 + day.month - 1 - back
    return dt.date(month // 12, month % 12 + 1, 1)


def _bimonthly_volume(rng, segment, month) -> Decimal:
    base = 40 if segment == Segment.RESIDENTIAL else 400
    if month in HEATING:
        base *= 2
    return Decimal(rng.randint(base * 80, base * 130)) / 100


def _seed_customer(customer, *, rng, today) -> list:
    """Meter, readings and bills of one customer; returns the bills, oldest first."""
    meter = Meter.objects.create(
        serial=f"DEMO{customer.account_no}",
        external_id=f"DEMO-M-{customer.account_no}",
        meter_type=MeterType.SMART if rng.random() < 0.3 else MeterType.DIAPHRAGM,
        customer=customer,
        fitted_on=_month_start(today, MONTHS + 30),
        verify_by=_month_start(today, -rng.randint(-3, 60)),
    )
    if customer.category.segment == Segment.RESIDENTIAL and rng.random() < 0.15:
        Household.objects.get_or_create(
            customer=customer, recorded_on=_month_start(today, 18), defaults={"persons": 5}
        )
    value = Decimal(rng.randint(500, 3000))
    readings = []
    for back in range(MONTHS, -1, -2):
        day = _month_start(today, back)
        if readings:
            value += _bimonthly_volume(rng, customer.category.segment, day.month)
        estimated = 0 < back < MONTHS and rng.random() < 0.12
        readings.append(
            MeterReading.objects.create(
                meter=meter,
                external_id=f"DEMO-R-{customer.account_no}-{day:%Y%m}",
                read_on=day,
                value_m3=value,
                source=ReadingSource.ESTIMATED if estimated else ReadingSource.ACTUAL,
            )
        )
    bills = []
    for opening, closing in zip(readings, readings[1:], strict=False):
        bill = services.create_bill(
            opening=opening,
            closing=closing,
            due_on=closing.read_on + dt.timedelta(days=20),
            external_id=f"DEMO-B-{customer.account_no}-{opening.read_on:%Y%m}",
        )
        if closing.read_on < today - dt.timedelta(days=45):
            bill.amount_paid = bill.amount
            bill.status = "paid"
            bill.save(update_fields=["amount_paid", "status"])
        bills.append(bill)
    return bills


def _staff(role):
    return (
        get_user_model()
        .objects.filter(is_active=True, staff_profile__role=role, staff_profile__org_unit__code="OUT01")
        .first()
    )


def _demo_disputes(customer_bills, *, now):
    """An estimated reading disputed at the desk: re-read, adjustment proposed, waiting for the supervisor."""
    clerk = _staff(Role.FRONT_DESK)
    if clerk is None:
        return 0
    made = 0
    for customer, bills in customer_bills:
        if customer.outlet.code != "OUT01" or customer.category.segment != Segment.RESIDENTIAL:
            continue
        # The latest bill when a re-read can follow its reading by today, else the one before.
        today = timezone.localtime(now).date()
        last = bills[-1] if bills[-1].period_end < today else bills[-2]
        estimated = last.closing_reading
        if estimated.source != ReadingSource.ESTIMATED:
            MeterReading.objects.filter(pk=estimated.pk).update(source=ReadingSource.ESTIMATED)
            last.is_estimated = True
            last.save(update_fields=["is_estimated"])
            estimated.refresh_from_db()
        dispute = services.register_dispute(
            customer=customer,
            kind=DisputeKind.ESTIMATE,
            bills=[last],
            description="客户认为上期估抄读数偏高，要求复核",
            channel="service_hall",
            actor=clerk,
            now=now,
        )
        lower = estimated.value_m3 - (last.volume_m3 / 2).quantize(Decimal("0.001"))
        reread_on = min(estimated.read_on + dt.timedelta(days=2), today)
        services.record_reread(dispute=dispute, read_on=reread_on, value_m3=str(lower), actor=clerk, now=now)
        if made == 0:
            services.propose_adjustment(
                dispute=dispute, reason="估抄纠正 / estimate corrected", actor=clerk, now=now
            )
        made += 1
        if made == 2:
            break
    return made


def seed_demo_billing(*, now, per_outlet=CUSTOMERS_PER_OUTLET) -> int:
    """Create the demo billing data once per customer; returns the number of customers seeded."""
    seed_billing_rules()
    today = timezone.localtime(now).date()
    rng = random.Random(12)
    seeded = []
    for outlet in OrgUnit.objects.filter(kind=OrgUnit.Kind.OUTLET).order_by("code"):
        customers = Customer.objects.filter(outlet=outlet).select_related("category", "outlet").order_by("pk")
        for customer in customers[:per_outlet]:
            if Meter.objects.filter(external_id=f"DEMO-M-{customer.account_no}").exists():
                continue
            seeded.append((customer, _seed_customer(customer, rng=rng, today=today)))
    if seeded and not Dispute.objects.exists():
        with withheld():  # fictional customers: no SMS or email leaves the machine
            _demo_disputes(seeded, now=now)
    logger.info("billing demo: %s customers with meters, readings and bills", len(seeded))
    return len(seeded)
