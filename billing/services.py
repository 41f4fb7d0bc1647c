"""Billing state changes: readings, bills, and the dispute steps with re-billing and four eyes.

Dispute steps (each one function, keyword arguments, `now=` as the clock, one transaction, a
DisputeEvent with who and when):
register -> order_check (child re-read or meter-test ticket) -> record_reread / record_meter_test
(outside the tolerance a free meter replacement is ordered: record_meter_replacement)
-> record_finding -> propose_adjustment -> approve_adjustment -> apply_adjustment -> inform_customer.
The dispute's ticket (BIL-DISP) and the child ticket are changed only through tickets' services.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from accounts.roles import ROLES_TOLD_OF_WAITING_ADJUSTMENTS
from notifications import messages
from notifications.services import notify
from tickets import services as ticket_services
from tickets.messages import subject_for
from tickets.models import Channel, ServiceType, Status, TicketEvent

from . import pricing, selectors, timeline
from .models import (
    Adjustment,
    AdjustmentLine,
    ApprovalLimit,
    Bill,
    BillLine,
    BillStatus,
    Dispute,
    DisputeEvent,
    DisputeKind,
    Meter,
    MeterReading,
    MeterReplacement,
    MeterTestRule,
    ReadingSource,
    Step,
    TariffPlan,
)
from .timeline import METER_TEST_SERVICE

DISPUTE_SERVICE = "BIL-DISP"
REREAD_SERVICE = "MTR-READ"
# A re-read within this many days of the disputed date is taken as the value at that date (tariffs.md).
REREAD_EXACT_DAYS = 3
CHECK_BY_METER_TEST = {DisputeKind.METER_FAULT}
CHECK_BY_REREAD = {DisputeKind.READING, DisputeKind.ESTIMATE}


def local_today(now: dt.datetime) -> dt.date:
    return timezone.localtime(now).date()


def parse_money(value, field: str) -> Decimal:
    """A money amount in yuan: at most 2 decimals, else a field error."""
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field: _("Enter an amount in yuan, e.g. 128.50.")}) from None
    if not amount.is_finite() or amount.as_tuple().exponent < -2:
        raise ValidationError({field: _("An amount has at most 2 decimals (fen).")})
    return amount


def parse_volume(value, field: str) -> Decimal:
    try:
        volume = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field: _("Enter a reading in m³, e.g. 2320.5.")}) from None
    if not volume.is_finite() or volume.as_tuple().exponent < -3:
        raise ValidationError({field: _("A reading has at most 3 decimals.")})
    if volume < 0:
        raise ValidationError({field: _("A reading cannot be negative.")})
    return volume


# ---------------------------------------------------------------- readings and bills


def check_reading(*, meter: Meter, read_on: dt.date, value: Decimal, today: dt.date, ignore=()) -> None:
    """The rules a new reading must pass (also applied set-based by the import).

    `ignore`: readings not to compare with (a re-read is checked against the actual readings,
    not against the disputed estimate it corrects).
    """
    if read_on > today:
        raise ValidationError({"read_on": _("A reading cannot be dated in the future.")})
    if meter.status == Meter.Status.REMOVED and meter.removed_on and read_on > meter.removed_on:
        raise ValidationError(
            {
                "meter": _("Meter %(serial)s was removed on %(day)s; it takes no readings.")
                % {"serial": meter.serial, "day": meter.removed_on.isoformat()}
            }
        )
    before = (
        MeterReading.objects.filter(meter=meter, read_on__lt=read_on, corrects__isnull=True)
        .exclude(pk__in=[r.pk for r in ignore])
        .order_by("-read_on")
        .first()
    )
    if before is not None and value < before.value_m3:
        raise ValidationError(
            {
                "value_m3": _(
                    "%(value)s m³ is lower than the reading of %(day)s (%(before)s m³) on the same meter."
                )
                % {"value": value, "day": before.read_on.isoformat(), "before": before.value_m3}
            }
        )
    after = (
        MeterReading.objects.filter(meter=meter, read_on__gt=read_on, corrects__isnull=True)
        .exclude(pk__in=[r.pk for r in ignore])
        .order_by("read_on")
        .first()
    )
    if after is not None and value > after.value_m3:
        raise ValidationError(
            {
                "value_m3": _(
                    "%(value)s m³ is higher than the later reading of %(day)s (%(after)s m³) on this meter."
                )
                % {"value": value, "day": after.read_on.isoformat(), "after": after.value_m3}
            }
        )


def record_reading(
    *, meter, read_on, value_m3, source, actor, now, external_id=None, ignore=()
) -> MeterReading:
    value = parse_volume(value_m3, "value_m3")
    if source not in ReadingSource.values:
        raise ValidationError({"source": _("Choose actual, estimated, self-read or remote.")})
    check_reading(meter=meter, read_on=read_on, value=value, today=local_today(now), ignore=ignore)
    if MeterReading.objects.filter(meter=meter, read_on=read_on, corrects__isnull=True).exists():
        raise ValidationError(
            {"read_on": _("This meter already has a reading on %(day)s.") % {"day": read_on}}
        )
    return MeterReading.objects.create(
        meter=meter, read_on=read_on, value_m3=value, source=source, read_by=actor, external_id=external_id
    )


def _line_rows(bill: Bill, priced: pricing.PricedBill) -> list[BillLine]:
    return [
        BillLine(
            bill=bill,
            position=i,
            segment_start=line.start,
            segment_end=line.end,
            cycle=line.cycle,
            season=line.season,
            tier=line.tier,
            volume_m3=line.volume,
            price=line.price,
            amount=line.amount,
        )
        for i, line in enumerate(priced.lines, start=1)
    ]


def overlapping_bill(meter, start, end, *, exclude_external_id=None):
    qs = Bill.objects.filter(meter=meter, period_start__lt=end, period_end__gt=start).exclude(
        status=BillStatus.VOID
    )
    if exclude_external_id:
        qs = qs.exclude(external_id=exclude_external_id)
    return qs.first()


def create_bill(
    *, opening, closing, due_on, external_id, amount=None, amount_paid=Decimal("0"), status=BillStatus.ISSUED
) -> Bill:
    """A bill between two readings of one meter, priced by the engine (its lines always are).

    A bill from the billing system keeps its own amount when given; the lines explain it.
    """
    meter = opening.meter
    customer = meter.customer
    if closing.meter_id != meter.pk:
        raise ValidationError({"closing_reading_id": _("The two readings belong to different meters.")})
    if closing.read_on <= opening.read_on:
        raise ValidationError(
            {"closing_reading_id": _("The closing reading must be later than the opening one.")}
        )
    volume = closing.value_m3 - opening.value_m3
    if volume < 0:
        raise ValidationError({"closing_reading_id": _("The closing reading is lower than the opening one.")})
    other = overlapping_bill(meter, opening.read_on, closing.read_on)
    if other is not None:
        raise ValidationError(
            {
                "closing_reading_id": _(
                    "The period overlaps bill %(other)s (%(start)s to %(end)s) of the same meter."
                )
                % {"other": other.external_id, "start": other.period_start, "end": other.period_end}
            }
        )
    plan = selectors.plan_for(customer)
    if plan is None:
        raise ValidationError({"account_no": _("No tariff plan covers this customer's category.")})
    usage = selectors.cycle_usage_before(customer, opening.read_on)
    try:
        priced = pricing.price_bill(
            selectors.engine_plan(plan, customer), opening.read_on, closing.read_on, volume, usage
        )
    except pricing.PricingError as exc:
        raise ValidationError({"amount": str(exc)}) from None
    with transaction.atomic():
        bill = Bill.objects.create(
            customer=customer,
            meter=meter,
            external_id=external_id,
            plan=plan,
            opening_reading=opening,
            closing_reading=closing,
            period_start=opening.read_on,
            period_end=closing.read_on,
            volume_m3=volume,
            amount=priced.amount if amount is None else amount,
            due_on=due_on,
            amount_paid=amount_paid,
            status=status,
            is_estimated=ReadingSource.ESTIMATED in (opening.source, closing.source),
        )
        BillLine.objects.bulk_create(_line_rows(bill, priced))
    return bill


# ---------------------------------------------------------------- re-billing


@dataclass(frozen=True)
class RebilledBill:
    bill: Bill
    old_volume: Decimal
    new_volume: Decimal
    old_amount: Decimal
    new: pricing.PricedBill

    @property
    def difference(self) -> Decimal:
        return self.new.amount - self.old_amount


@dataclass(frozen=True)
class Rebill:
    bills: tuple[RebilledBill, ...]

    @property
    def total_difference(self) -> Decimal:
        return sum((b.difference for b in self.bills), Decimal("0"))


def _affected_bills(meter_id, from_day: dt.date) -> list[Bill]:
    """The bills of the meter from the one containing `from_day` to the end of the next cycle."""
    return list(
        Bill.objects.filter(
            meter_id=meter_id, period_end__gte=from_day, period_start__lt=dt.date(from_day.year + 2, 1, 1)
        )
        .exclude(status=BillStatus.VOID)
        .select_related("opening_reading", "closing_reading", "customer", "plan")
        .order_by("period_start")
    )


def rebill_bills(*, customer, bills: list[Bill], volumes: dict[int, Decimal]) -> Rebill:
    """Price `bills` again in order with new volumes (by bill id; others keep theirs).

    Tier positions follow: the cycle usage before the first bill comes from the customer's
    other bills, then each re-priced bill moves it as the engine goes.
    """
    if not bills:
        return Rebill(())
    plan = selectors.engine_plan(bills[0].plan, customer)
    usage = selectors.cycle_usage_before(customer, bills[0].period_start, exclude_bills=[b.pk for b in bills])
    return _reprice(plan, usage, bills, volumes)


def _reprice(plan: pricing.Plan, usage: pricing.CycleUsage, bills: list[Bill], volumes) -> Rebill:
    result = []
    for bill in bills:
        volume = volumes.get(bill.pk, bill.volume_m3)
        priced = pricing.price_bill(plan, bill.period_start, bill.period_end, volume, usage)
        result.append(RebilledBill(bill, bill.volume_m3, priced.volume, bill.amount, priced))
    return Rebill(tuple(result))


# The affected bills of a meter with their readings' values, each with the customer's volume billed
# earlier in its cycle, and the plans' prices and the customer's households: one round trip.
AFFECTED_BILLS = """
WITH b AS (
    SELECT {bill_columns}, o.value_m3 AS opening_value, c.value_m3 AS closing_value
      FROM billing_bill bill
      JOIN billing_meterreading o ON o.id = bill.opening_reading_id
      JOIN billing_meterreading c ON c.id = bill.closing_reading_id
     WHERE bill.meter_id = %(meter)s AND bill.period_end >= %(since)s AND bill.period_start < %(until)s
       AND bill.status <> %(void)s
)
SELECT b.*,
       (SELECT sum(l.volume_m3) FROM billing_billline l JOIN billing_bill x ON x.id = l.bill_id
         WHERE x.customer_id = b.customer_id AND x.status <> %(void)s
           AND l.cycle = extract(year FROM b.period_start)::int AND l.segment_start < b.period_start),
       (SELECT array_agg(ARRAY[p.effective_from::text, p.season, p.tier::text, p.price::text])
          FROM billing_tariffprice p WHERE p.plan_id = b.plan_id),
       (SELECT array_agg(ARRAY[h.recorded_on::text, h.persons::text] ORDER BY h.recorded_on)
          FROM billing_household h WHERE h.customer_id = b.customer_id),
       {plan_columns}
  FROM b JOIN billing_tariffplan pl ON pl.id = b.plan_id
 ORDER BY b.period_start
"""
_PLAN_FIELDS = (
    "id",
    "code",
    "cycle",
    "tier_bounds",
    "heating_months",
    "large_household_persons",
    "large_household_allowance",
)


def _from_first_changed(bills: list[Bill], volumes: dict, disputed: MeterReading) -> list[Bill]:
    """The bills to re-price: from the first one the correction changes (earlier ones keep their place)."""
    if any(v < 0 for v in volumes.values()):
        raise ValidationError({"value_m3": _("The corrected reading would give a bill a negative volume.")})
    first = next((i for i, b in enumerate(bills) if volumes[b.pk] != b.volume_m3), None)
    if first is None:
        first = next((i for i, b in enumerate(bills) if b.closing_reading_id == disputed.pk), 0)
    return bills[first:]


def _rebill_from_reading_orm(*, disputed: MeterReading, corrected_value: Decimal) -> Rebill:
    bills = _affected_bills(disputed.meter_id, disputed.read_on)
    volumes = {}
    for bill in bills:
        opening = corrected_value if bill.opening_reading_id == disputed.pk else bill.opening_reading.value_m3
        closing = corrected_value if bill.closing_reading_id == disputed.pk else bill.closing_reading.value_m3
        volumes[bill.pk] = closing - opening
    bills = _from_first_changed(bills, volumes, disputed)
    return rebill_bills(customer=bills[0].customer if bills else None, bills=bills, volumes=volumes)


def rebill_from_reading(*, disputed: MeterReading, corrected_value: Decimal) -> Rebill:
    """Re-bill after a corrected reading: the bills it closes or opens, and every later bill it moves.

    Bills, readings, cycle usage, prices and households come in one query (re-billing is interactive)
    on PostgreSQL; elsewhere (the embedded SQLite default) through the ORM.
    """
    if connection.vendor != "postgresql":
        return _rebill_from_reading_orm(disputed=disputed, corrected_value=corrected_value)
    bill_fields = [f.attname for f in Bill._meta.concrete_fields]
    sql = AFFECTED_BILLS.format(
        bill_columns=", ".join(f"bill.{name}" for name in bill_fields),
        plan_columns=", ".join(f"pl.{name}" for name in _PLAN_FIELDS),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "meter": disputed.meter_id,
                "since": disputed.read_on,
                "until": dt.date(disputed.read_on.year + 2, 1, 1),
                "void": BillStatus.VOID,
            },
        )
        rows = cursor.fetchall()
    n = len(bill_fields)
    bills, volumes = [], {}
    for row in rows:
        bill = Bill.from_db(connection.alias, bill_fields, row[:n])
        opening, closing = row[n], row[n + 1]
        opening = corrected_value if bill.opening_reading_id == disputed.pk else opening
        closing = corrected_value if bill.closing_reading_id == disputed.pk else closing
        volumes[bill.pk] = closing - opening
        bill.usage_before, bill.price_rows, bill.household_rows = row[n + 2 : n + 5]
        bill.plan_row = row[n + 5 :]
        bills.append(bill)
    bills = _from_first_changed(bills, volumes, disputed)
    if not bills:
        return Rebill(())
    head = bills[0]
    # A raw cursor returns JSON columns as text (Django's loaders run only through the ORM).
    plan = TariffPlan.from_db(
        connection.alias,
        _PLAN_FIELDS,
        [
            json.loads(v) if name in ("tier_bounds", "heating_months") and isinstance(v, str) else v
            for name, v in zip(_PLAN_FIELDS, head.plan_row, strict=True)
        ],
    )
    engine = selectors.build_engine_plan(
        plan,
        [
            (dt.date.fromisoformat(day), season, int(tier), Decimal(price))
            for day, season, tier, price in head.price_rows or ()
        ],
        [(dt.date.fromisoformat(day), int(persons)) for day, persons in head.household_rows or ()],
    )
    usage = pricing.CycleUsage()
    if head.usage_before is not None:
        usage.add(head.period_start.year, head.usage_before)
    return _reprice(engine, usage, bills, volumes)


def rebill_for_meter_error(*, meter: Meter, error_pct: Decimal, until: dt.date, months: int) -> Rebill:
    """A meter that ran fast (+) or slow (-): volumes / (1 + error), at most `months` before `until`."""
    month = until.year * 12 + until.month - 1 - months
    since = dt.date(month // 12, month % 12 + 1, min(until.day, 28))
    # A bill reaching into the window is re-billed whole.
    bills = list(
        Bill.objects.filter(meter=meter, period_end__gt=since, period_start__lt=until)
        .exclude(status=BillStatus.VOID)
        .select_related("customer")
        .prefetch_related("lines")
        .order_by("period_start")
    )
    factor = 1 + error_pct / 100
    volumes = {b.pk: pricing.round_m3(b.volume_m3 / factor) for b in bills}
    return rebill_bills(customer=meter.customer, bills=bills, volumes=volumes)


def rebill_as_json(rebill: Rebill) -> dict:
    """Old against new, bill by bill and line by line, and the total difference (for the API and the page)."""

    def line(line):
        return {
            "from": line.start.isoformat(),
            "to": line.end.isoformat(),
            "cycle": line.cycle,
            "season": line.season,
            "tier": line.tier,
            "volume_m3": str(line.volume),
            "price": str(line.price),
            "amount": str(line.amount),
        }

    return {
        "bills": [
            {
                "bill": b.bill.external_id,
                "from": b.bill.period_start.isoformat(),
                "to": b.bill.period_end.isoformat(),
                "old": {
                    "volume_m3": str(b.old_volume),
                    "amount": str(b.old_amount),
                    "lines": [
                        {
                            "from": x.segment_start.isoformat(),
                            "to": x.segment_end.isoformat(),
                            "cycle": x.cycle,
                            "season": x.season,
                            "tier": x.tier,
                            "volume_m3": str(x.volume_m3),
                            "price": str(x.price),
                            "amount": str(x.amount),
                        }
                        for x in b.bill.lines.all()
                    ],
                },
                "new": {
                    "volume_m3": str(b.new.volume),
                    "amount": str(b.new.amount),
                    "lines": [line(x) for x in b.new.lines],
                },
                "difference": str(b.difference),
            }
            for b in rebill.bills
        ],
        "total_difference": str(rebill.total_difference),
    }


# ---------------------------------------------------------------- disputes


def _event(dispute, step, *, actor, now, **data) -> DisputeEvent:
    return DisputeEvent.objects.create(dispute=dispute, step=step, actor=actor, at=now, data=data)


def _locked(dispute) -> Dispute:
    return (
        Dispute.objects.select_for_update(of=("self",))
        .select_related("ticket", "customer")
        .get(pk=dispute.pk)
    )


def _check_open(dispute):
    if dispute.closed_at is not None:
        raise ValidationError({"non_field_errors": _("This dispute is closed.")})


def _move_ticket_to_work(ticket, *, actor, now):
    """New -> accepted -> in progress, through tickets' own services."""
    ticket.refresh_from_db()
    if ticket.status == Status.NEW:
        ticket = ticket_services.accept_ticket(ticket=ticket, actor=actor, now=now)
    if ticket.status in (Status.ACCEPTED, Status.ASSIGNED):
        ticket = ticket_services.start_work(ticket=ticket, actor=actor, now=now)
    return ticket


def _meet(ticket, code, *, actor, now):
    if ticket.milestones.filter(code=code, met_at__isnull=True, started_at__isnull=False).exists():
        ticket_services.meet_milestone(ticket=ticket, code=code, actor=actor, now=now)


def register_dispute(
    *,
    customer,
    kind,
    bills,
    description,
    channel,
    actor,
    now,
    disputed_reading: MeterReading | None = None,
    received_at=None,
) -> Dispute:
    """Register a billing dispute: a BIL-DISP ticket with its dispute file; the bills go on hold."""
    errors = {}
    if kind not in DisputeKind.values:
        errors["kind"] = [_("Choose what the customer disputes.")]
    bills = list(bills)
    if not bills:
        errors["bills"] = [_("Choose the disputed bill or bills.")]
    elif any(b.customer_id != customer.pk for b in bills):
        errors["bills"] = [_("A disputed bill must be one of this customer's bills.")]
    if kind in CHECK_BY_REREAD and disputed_reading is None and bills:
        disputed_reading = max(bills, key=lambda b: b.period_end).closing_reading
    if disputed_reading is not None and disputed_reading.meter.customer_id != customer.pk:
        errors["disputed_reading"] = [_("The disputed reading must be on one of this customer's meters.")]
    if errors:
        raise ValidationError(errors)
    service_type = ServiceType.objects.get(code=DISPUTE_SERVICE)
    with transaction.atomic():
        ticket = ticket_services.create_ticket(
            service_type=service_type,
            channel=channel,
            description=description,
            actor=actor,
            now=now,
            customer=customer,
            received_at=received_at,
        )
        dispute = Dispute.objects.create(
            ticket=ticket,
            customer=customer,
            kind=kind,
            disputed_reading=disputed_reading,
            opened_at=ticket.received_at,
        )
        dispute.bills.set(bills)
        _event(
            dispute, Step.REGISTERED, actor=actor, now=now, kind=kind, bills=[b.external_id for b in bills]
        )
        _move_ticket_to_work(ticket, actor=actor, now=now)
    return dispute


def order_check(*, dispute, actor, now, note="") -> Dispute:
    """A child ticket for the field crew: a re-read (MTR-READ) or a meter test (MTR-TEST)."""
    with transaction.atomic():
        dispute = _locked(dispute)
        _check_open(dispute)
        if dispute.check_ticket_id is not None:
            raise ValidationError(
                {
                    "non_field_errors": _("A re-read or meter test was already ordered (%(ref)s).")
                    % {"ref": dispute.check_ticket.reference}
                }
            )
        code = METER_TEST_SERVICE if dispute.kind in CHECK_BY_METER_TEST else REREAD_SERVICE
        what = _("meter test") if code == METER_TEST_SERVICE else _("re-read")
        child = ticket_services.create_ticket(
            service_type=ServiceType.objects.get(code=code),
            channel=Channel.SERVICE_HALL,
            description=_("%(what)s for billing dispute %(ref)s. %(note)s")
            % {"what": what, "ref": dispute.reference, "note": note},
            actor=actor,
            now=now,
            customer=dispute.customer,
            org_unit=dispute.ticket.org_unit,
        )
        dispute.check_ticket = child
        dispute.step = Step.CHECK_ORDERED
        dispute.save(update_fields=["check_ticket", "step"])
        _event(dispute, Step.CHECK_ORDERED, actor=actor, now=now, ticket=child.reference, service=code)
        ticket_services.record_step(
            ticket=dispute.ticket,
            step=timeline.CHECK_ORDERED,
            kind=TicketEvent.Kind.NOTE,
            params={"service": code, "ticket": child.reference},
            actor=actor,
            now=now,
        )
    return dispute


def _finish_check_ticket(dispute, *, actor, now):
    child = dispute.check_ticket
    if child is None:
        return
    child = _move_ticket_to_work(child, actor=actor, now=now)
    _meet(child, "send_for_test", actor=actor, now=now)
    if child.status == Status.IN_PROGRESS:
        ticket_services.resolve_ticket(ticket=child, actor=actor, now=now)


def record_reread(*, dispute, read_on: dt.date, value_m3, actor, now) -> Dispute:
    """The re-read is an actual reading; the corrected value at the disputed date is a new reading."""
    value = parse_volume(value_m3, "value_m3")
    with transaction.atomic():
        dispute = _locked(dispute)
        _check_open(dispute)
        disputed = dispute.disputed_reading
        if disputed is None:
            raise ValidationError(
                {"non_field_errors": _("This dispute names no disputed reading to correct.")}
            )
        if dispute.corrected_reading_id is not None:
            raise ValidationError({"non_field_errors": _("The re-read was already recorded.")})
        meter = disputed.meter
        if read_on <= disputed.read_on:
            raise ValidationError(
                {
                    "read_on": _("The re-read must be later than the disputed reading (%(day)s).")
                    % {"day": disputed.read_on.isoformat()}
                }
            )
        last_actual = (
            MeterReading.objects.filter(meter=meter, read_on__lt=disputed.read_on, corrects__isnull=True)
            .exclude(source=ReadingSource.ESTIMATED)
            .order_by("-read_on")
            .first()
        )
        if last_actual is None:
            raise ValidationError({"non_field_errors": _("No actual reading precedes the disputed one.")})
        if value < last_actual.value_m3:
            raise ValidationError(
                {
                    "value_m3": _("%(value)s m³ is lower than the last actual reading (%(before)s m³).")
                    % {"value": value, "before": last_actual.value_m3}
                }
            )
        reread = record_reading(
            ignore=[disputed],
            meter=meter,
            read_on=read_on,
            value_m3=value,
            source=ReadingSource.ACTUAL,
            actor=actor,
            now=now,
        )
        corrected = pricing.corrected_reading(
            disputed_on=disputed.read_on,
            last_actual_on=last_actual.read_on,
            last_actual=last_actual.value_m3,
            reread_on=read_on,
            reread=value,
            exact_within_days=REREAD_EXACT_DAYS,
        )
        correction = MeterReading.objects.create(
            meter=meter,
            read_on=disputed.read_on,
            value_m3=corrected,
            source=ReadingSource.ACTUAL,
            read_by=actor,
            corrects=disputed,
        )
        dispute.corrected_reading = correction
        dispute.step = Step.FINDING if dispute.step == Step.REGISTERED else dispute.step
        dispute.save(update_fields=["corrected_reading", "step"])
        _event(
            dispute,
            Step.FINDING,
            actor=actor,
            now=now,
            reread_on=read_on.isoformat(),
            reread=str(reread.value_m3),
            disputed=str(disputed.value_m3),
            corrected=str(corrected),
        )
        _meet(dispute.ticket, "reread", actor=actor, now=now)
        _finish_check_ticket(dispute, actor=actor, now=now)
    return dispute


def record_meter_test(*, dispute, error_pct, actor, now) -> Dispute:
    """The test result in percent; outside the tolerance the test fee is waived, the meter replaced free."""
    try:
        error = Decimal(str(error_pct))
    except InvalidOperation:
        raise ValidationError({"error_pct": _("Enter the error in percent, e.g. 3.5 or -2.1.")}) from None
    if not error.is_finite() or abs(error) >= 100:
        raise ValidationError({"error_pct": _("Enter the error in percent, e.g. 3.5 or -2.1.")})
    with transaction.atomic():
        dispute = _locked(dispute)
        _check_open(dispute)
        meter = _dispute_meter(dispute)
        rule = MeterTestRule.objects.filter(meter_type=meter.meter_type).first()
        tolerance = rule.tolerance_pct if rule else Decimal("2")
        outside = abs(error) > tolerance
        dispute.meter_error_pct = error
        dispute.test_fee_waived = outside
        dispute.step = Step.FINDING
        dispute.save(update_fields=["meter_error_pct", "test_fee_waived", "step"])
        _event(
            dispute,
            Step.FINDING,
            actor=actor,
            now=now,
            error_pct=str(error),
            tolerance_pct=str(tolerance),
            outside_tolerance=outside,
            meter=meter.serial,
            replacement_ordered=outside,
        )
        if outside:
            _order_meter_replacement(dispute, meter, actor=actor, now=now)
        _meet(dispute.ticket, "reread", actor=actor, now=now)
        _finish_check_ticket(dispute, actor=actor, now=now)
    return dispute


def _order_meter_replacement(dispute, meter, *, actor, now) -> MeterReplacement:
    """Outside the legal tolerance the meter is replaced at no cost (once per dispute)."""
    replacement, created = MeterReplacement.objects.get_or_create(
        dispute=dispute, defaults={"old_meter": meter, "ordered_at": now, "ordered_by": actor}
    )
    if created:
        ticket_services.record_step(
            ticket=dispute.ticket,
            step=timeline.REPLACEMENT_ORDERED,
            kind=TicketEvent.Kind.NOTE,
            params={"meter": meter.serial},
            actor=actor,
            now=now,
        )
    return replacement


def record_meter_replacement(*, dispute, new_serial, replaced_on: dt.date, actor, now) -> MeterReplacement:
    """The crew fitted the replacement: the old meter is removed that day, the new one is in service."""
    new_serial = (new_serial or "").strip()
    if not new_serial or len(new_serial) > 40:
        raise ValidationError({"new_serial": _("Enter the new meter's serial (at most 40 characters).")})
    if replaced_on > local_today(now):
        raise ValidationError({"replaced_on": _("A replacement cannot be dated in the future.")})
    with transaction.atomic():
        dispute = _locked(dispute)
        _check_open(dispute)
        replacement = (
            MeterReplacement.objects.select_for_update()
            .select_related("old_meter")
            .filter(dispute=dispute)
            .first()
        )
        if replacement is None:
            raise ValidationError(
                {"non_field_errors": _("No meter replacement was ordered: the meter test found no fault.")}
            )
        if replacement.is_done:
            raise ValidationError(
                {
                    "non_field_errors": _("The meter was already replaced on %(day)s.")
                    % {"day": replacement.replaced_on.isoformat()}
                }
            )
        old = replacement.old_meter
        if replaced_on < old.fitted_on:
            raise ValidationError(
                {
                    "replaced_on": _("The old meter was fitted on %(day)s; it cannot be replaced before.")
                    % {"day": old.fitted_on.isoformat()}
                }
            )
        if old.readings.filter(read_on__gt=replaced_on, corrects__isnull=True).exists():
            raise ValidationError(
                {"replaced_on": _("The old meter has readings after this day; it was still in service.")}
            )
        if Meter.objects.filter(serial=new_serial).exists():
            raise ValidationError(
                {"new_serial": _("Serial %(serial)s belongs to another meter.") % {"serial": new_serial}}
            )
        old.status, old.removed_on = Meter.Status.REMOVED, replaced_on
        old.save(update_fields=["status", "removed_on"])
        new = Meter.objects.create(
            serial=new_serial, meter_type=old.meter_type, customer=old.customer, fitted_on=replaced_on
        )
        replacement.new_meter, replacement.replaced_on, replacement.replaced_by = new, replaced_on, actor
        replacement.save(update_fields=["new_meter", "replaced_on", "replaced_by"])
        _event(
            dispute,
            Step.METER_REPLACED,
            actor=actor,
            now=now,
            old_meter=old.serial,
            new_meter=new.serial,
            replaced_on=replaced_on.isoformat(),
            free_of_charge=True,
        )
        ticket_services.record_step(
            ticket=dispute.ticket,
            step=timeline.METER_REPLACED,
            kind=TicketEvent.Kind.NOTE,
            params={"old_meter": old.serial, "new_meter": new.serial, "replaced_on": replaced_on.isoformat()},
            actor=actor,
            now=now,
        )
    return replacement


def _dispute_meter(dispute) -> Meter:
    if dispute.disputed_reading_id:
        return dispute.disputed_reading.meter
    bill = dispute.bills.select_related("meter").order_by("-period_end").first()
    if bill is None:
        raise ValidationError({"non_field_errors": _("This dispute names no bill or reading.")})
    return bill.meter


def record_finding(*, dispute, finding, actor, now) -> Dispute:
    finding = (finding or "").strip()
    if not finding:
        raise ValidationError({"finding": _("Write what the check found.")})
    with transaction.atomic():
        dispute = _locked(dispute)
        _check_open(dispute)
        dispute.finding = finding
        dispute.step = Step.FINDING
        dispute.save(update_fields=["finding", "step"])
        _event(dispute, Step.FINDING, actor=actor, now=now, finding=finding)
        _meet(dispute.ticket, "reread", actor=actor, now=now)
        _meet(dispute.ticket, "result", actor=actor, now=now)
    return dispute


def rebill_dispute(dispute) -> Rebill:
    """What the bills should have been, by what the check found (a corrected reading or a meter error)."""
    if dispute.corrected_reading_id:
        return rebill_from_reading(
            disputed=dispute.disputed_reading, corrected_value=dispute.corrected_reading.value_m3
        )
    if dispute.meter_error_pct is not None:
        meter = _dispute_meter(dispute)
        rule = MeterTestRule.objects.filter(meter_type=meter.meter_type).first()
        if rule is None or abs(dispute.meter_error_pct) <= rule.tolerance_pct:
            return Rebill(())
        until = meter.removed_on or local_today(dispute.opened_at)
        return rebill_for_meter_error(
            meter=meter, error_pct=dispute.meter_error_pct, until=until, months=rule.rebill_months
        )
    raise ValidationError(
        {"non_field_errors": _("Record the re-read or the meter test first: re-billing needs its result.")}
    )


def approval_limit(user) -> Decimal | None:
    """Up to which amount `user` may approve (None: not at all); the limits are data per role."""
    profile = getattr(user, "staff_profile", None)
    if profile is not None:
        return _limit(profile.role)
    return Decimal("Infinity") if user.is_superuser else None


ADJUSTMENT_WAITING = "billing.adjustment_waiting"
messages.register(
    ADJUSTMENT_WAITING, title=gettext_lazy("Adjustment %(amount)s CNY on %(ref)s waits for approval")
)


def _limit(role) -> Decimal | None:
    row = ApprovalLimit.objects.filter(role=role).first()
    return row.max_amount if row else None


def _notify_approvers(adjustment, *, now):
    """In-app: the supervisors of the dispute's unit see that an adjustment waits for them."""
    from accounts.models import StaffProfile

    unit = adjustment.dispute.ticket.org_unit
    users = [
        p.user
        for p in StaffProfile.objects.filter(
            org_unit=unit, role__in=ROLES_TOLD_OF_WAITING_ADJUSTMENTS
        ).select_related("user")
        if p.user_id != adjustment.proposed_by_id
    ]
    notify(
        recipients=users,
        kind="billing_adjustment",
        template=ADJUSTMENT_WAITING,
        params={"amount": str(adjustment.amount), "ref": adjustment.dispute.reference},
        subject=subject_for(adjustment.dispute.ticket),
        now=now,
    )


def propose_adjustment(*, dispute, actor, now, reason="") -> Adjustment:
    """New minus old for every re-priced bill; above the proposer's limit it needs a second person."""
    with transaction.atomic():
        dispute = _locked(dispute)
        _check_open(dispute)
        if dispute.adjustments.filter(
            status__in=[Adjustment.Status.PROPOSED, Adjustment.Status.APPROVED]
        ).exists():
            raise ValidationError(
                {"non_field_errors": _("An adjustment is already waiting for this dispute.")}
            )
        rebill = rebill_dispute(dispute)
        if not rebill.bills:
            raise ValidationError(
                {"non_field_errors": _("Re-billing changes no bill; there is nothing to adjust.")}
            )
        amount = rebill.total_difference
        limit = approval_limit(actor)
        needs_second = limit is None or abs(amount) > limit
        count = Adjustment.objects.filter(dispute=dispute).count() + 1
        adjustment = Adjustment.objects.create(
            dispute=dispute,
            external_id=f"ADJ-{dispute.reference}-{count}",
            amount=amount,
            reason=(reason or "").strip()[:200],
            corrected_reading=dispute.corrected_reading,
            status=Adjustment.Status.PROPOSED if needs_second else Adjustment.Status.APPROVED,
            needs_second_person=needs_second,
            proposed_by=actor,
            proposed_at=now,
            approved_by=None if needs_second else actor,
            approved_at=None if needs_second else now,
        )
        AdjustmentLine.objects.bulk_create(
            AdjustmentLine(
                adjustment=adjustment,
                bill=b.bill,
                old_volume_m3=b.old_volume,
                new_volume_m3=b.new.volume,
                old_amount=b.old_amount,
                new_amount=b.new.amount,
                new_lines=rebill_as_json(Rebill((b,)))["bills"][0]["new"]["lines"],
            )
            for b in rebill.bills
        )
        dispute.step = Step.PROPOSED if needs_second else Step.APPROVED
        dispute.save(update_fields=["step"])
        _event(
            dispute,
            Step.PROPOSED,
            actor=actor,
            now=now,
            adjustment=adjustment.external_id,
            amount=str(amount),
            needs_second_person=needs_second,
        )
        if not needs_second:
            _event(
                dispute,
                Step.APPROVED,
                actor=actor,
                now=now,
                adjustment=adjustment.external_id,
                within_own_limit=True,
            )
        _meet(dispute.ticket, "reread", actor=actor, now=now)
        _meet(dispute.ticket, "result", actor=actor, now=now)
        if needs_second:
            _notify_approvers(adjustment, now=now)
    return adjustment


def _locked_adjustment(adjustment) -> Adjustment:
    return (
        Adjustment.objects.select_for_update(of=("self",))
        .select_related("dispute__ticket")
        .get(pk=adjustment.pk)
    )


def approve_adjustment(*, adjustment, actor, now) -> Adjustment:
    """Four eyes: someone other than the proposer, whose limit covers the amount."""
    with transaction.atomic():
        adjustment = _locked_adjustment(adjustment)
        if adjustment.status != Adjustment.Status.PROPOSED:
            raise ValidationError(
                {
                    "non_field_errors": _(
                        "Only a proposed adjustment can be approved; this one is %(status)s."
                    )
                    % {"status": adjustment.get_status_display()}
                }
            )
        if adjustment.proposed_by_id == actor.pk:
            raise ValidationError(
                {"non_field_errors": _("You proposed this adjustment; a second person must approve it.")}
            )
        limit = approval_limit(actor)
        if limit is None or abs(adjustment.amount) > limit:
            raise ValidationError(
                {
                    "non_field_errors": _(
                        "%(amount)s CNY is above what your role may approve; ask a manager."
                    )
                    % {"amount": adjustment.amount}
                }
            )
        adjustment.status = Adjustment.Status.APPROVED
        adjustment.approved_by = actor
        adjustment.approved_at = now
        adjustment.save(update_fields=["status", "approved_by", "approved_at"])
        dispute = adjustment.dispute
        dispute.step = Step.APPROVED
        dispute.save(update_fields=["step"])
        _event(
            dispute,
            Step.APPROVED,
            actor=actor,
            now=now,
            adjustment=adjustment.external_id,
            amount=str(adjustment.amount),
        )
    return adjustment


def withdraw_adjustment(*, adjustment, actor, now, reason="") -> Adjustment:
    """A proposal that should not be posted (refused by the approver, or re-billed again) is withdrawn."""
    with transaction.atomic():
        adjustment = _locked_adjustment(adjustment)
        if adjustment.status not in (Adjustment.Status.PROPOSED, Adjustment.Status.APPROVED):
            raise ValidationError(
                {
                    "non_field_errors": _(
                        "Only a proposed or approved adjustment can be withdrawn; this one is %(status)s."
                    )
                    % {"status": adjustment.get_status_display()}
                }
            )
        adjustment.status = Adjustment.Status.WITHDRAWN
        adjustment.save(update_fields=["status"])
        dispute = adjustment.dispute
        dispute.step = Step.FINDING
        dispute.save(update_fields=["step"])
        _event(
            dispute,
            Step.WITHDRAWN,
            actor=actor,
            now=now,
            adjustment=adjustment.external_id,
            reason=(reason or "").strip()[:200],
        )
    return adjustment


def apply_adjustment(*, adjustment, actor, now) -> Adjustment:
    """Applied once: the bills are marked adjusted; a second apply is refused and changes nothing."""
    with transaction.atomic():
        adjustment = _locked_adjustment(adjustment)
        if adjustment.status == Adjustment.Status.APPLIED:
            raise ValidationError(
                {
                    "non_field_errors": _("This adjustment was already applied on %(at)s.")
                    % {"at": timezone.localtime(adjustment.applied_at).strftime("%Y-%m-%d %H:%M")}
                }
            )
        if adjustment.status != Adjustment.Status.APPROVED:
            raise ValidationError(
                {"non_field_errors": _("An adjustment must be approved before it is applied.")}
            )
        adjustment.status = Adjustment.Status.APPLIED
        adjustment.applied_by = actor
        adjustment.applied_at = now
        adjustment.save(update_fields=["status", "applied_by", "applied_at"])
        Bill.objects.filter(adjustment_lines__adjustment=adjustment).update(status=BillStatus.ADJUSTED)
        dispute = adjustment.dispute
        dispute.step = Step.APPLIED
        dispute.save(update_fields=["step"])
        _event(
            dispute,
            Step.APPLIED,
            actor=actor,
            now=now,
            adjustment=adjustment.external_id,
            amount=str(adjustment.amount),
        )
        _meet(dispute.ticket, "reread", actor=actor, now=now)
        _meet(dispute.ticket, "result", actor=actor, now=now)
        ticket = dispute.ticket
        ticket.refresh_from_db()
        if ticket.status == Status.IN_PROGRESS:
            ticket_services.resolve_ticket(ticket=ticket, actor=actor, now=now)
    return adjustment


class InformChannel(models.TextChoices):
    SMS = "sms", pgettext_lazy("channel", "SMS")
    LETTER = "letter", pgettext_lazy("channel", "Letter")


def inform_customer(*, dispute, channel, actor, now) -> Dispute:
    """The customer is told the outcome with the old and new amounts; the dispute closes and the hold ends."""
    if channel not in InformChannel.values:
        raise ValidationError({"channel": _("Choose SMS or letter.")})
    with transaction.atomic():
        dispute = _locked(dispute)
        _check_open(dispute)
        applied = dispute.adjustments.filter(status=Adjustment.Status.APPLIED).order_by("-applied_at").first()
        pending = dispute.adjustments.filter(
            status__in=[Adjustment.Status.PROPOSED, Adjustment.Status.APPROVED]
        )
        if pending.exists():
            raise ValidationError({"non_field_errors": _("Apply or withdraw the waiting adjustment first.")})
        if applied is not None:
            old = sum((line.old_amount for line in applied.lines.all()), Decimal("0"))
            new = sum((line.new_amount for line in applied.lines.all()), Decimal("0"))
            data = {"old_amount": str(old), "new_amount": str(new), "adjustment": str(applied.amount)}
        else:
            data = {}
        # The reply shows on the public tracking page; by SMS it is also sent (a letter is printed).
        ticket_services.add_reply(
            ticket=dispute.ticket,
            step=timeline.OUTCOME,
            params={"reference": dispute.reference, "finding": dispute.finding, **data},
            actor=actor,
            now=now,
            notify=channel == InformChannel.SMS,
        )
        dispute.step = Step.INFORMED if applied else Step.CLOSED
        dispute.closed_at = now
        dispute.save(update_fields=["step", "closed_at"])
        _event(dispute, Step.INFORMED, actor=actor, now=now, channel=channel, **data)
        ticket = dispute.ticket
        ticket.refresh_from_db()
        if ticket.status == Status.IN_PROGRESS:
            ticket = ticket_services.resolve_ticket(ticket=ticket, actor=actor, now=now)
        if ticket.status == Status.RESOLVED:
            ticket_services.close_ticket(ticket=ticket, actor=actor, now=now)
    return dispute
