"""Reads shared by the pages, the API and the services: plans, cycle positions, holds, billing."""

import datetime as dt
import statistics
from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from accounts.models import OrgUnit
from accounts.selectors import branch_of

from . import pricing
from .models import (
    Adjustment,
    Bill,
    BillLine,
    BillStatus,
    Dispute,
    DisputeKind,
    Household,
    LateFeeRule,
    Meter,
    MeterReading,
    MeterReplacement,
    TariffPlan,
)

HISTORY_MONTHS = 24


def plan_for(customer) -> TariffPlan | None:
    """The plan of the customer's sub-category, else of its category (tariffs are data by category)."""
    for category in (customer.sub_category, customer.category, customer.category.parent):
        if category is None:
            continue
        plan = TariffPlan.objects.filter(categories=category).order_by("-valid_from").first()
        if plan is not None:
            return plan
    return None


def engine_plan(plan: TariffPlan, customer) -> pricing.Plan:
    """The tariff plan as the pure engine takes it, with the customer's household allowance."""
    households = ()
    if plan.large_household_persons:
        households = (
            Household.objects.filter(customer=customer)
            .order_by("recorded_on")
            .values_list("recorded_on", "persons")
        )
    return build_engine_plan(
        plan,
        [(p.effective_from, p.season, p.tier, p.price) for p in plan.prices.all()],
        households,
    )


def build_engine_plan(plan: TariffPlan, prices, households) -> pricing.Plan:
    """The engine's plan from the plan's rows: prices (effective_from, season, tier, price) and the
    customer's households (recorded_on, persons) in date order."""
    versions: dict[dt.date, dict[str, dict[int, Decimal]]] = defaultdict(lambda: defaultdict(dict))
    for effective_from, season, tier, price in prices:
        versions[effective_from][season][tier] = price
    price_versions = tuple(
        pricing.PriceVersion(
            day, {season: tuple(tiers[t] for t in sorted(tiers)) for season, tiers in seasons.items()}
        )
        for day, seasons in sorted(versions.items())
    )
    allowances = ()
    if plan.large_household_persons:
        allowances = tuple(
            pricing.Allowance(
                recorded_on,
                plan.large_household_allowance if persons >= plan.large_household_persons else Decimal(0),
            )
            for recorded_on, persons in households
        )
    return pricing.Plan(
        code=plan.code,
        tier_bounds=tuple(Decimal(str(b)) for b in plan.tier_bounds),
        price_versions=price_versions,
        heating_months=frozenset(int(m) for m in plan.heating_months),
        has_cycle=plan.cycle == TariffPlan.Cycle.CALENDAR_YEAR,
        allowances=allowances,
    )


def cycle_usage_before(customer, day: dt.date, *, exclude_bills=()) -> pricing.CycleUsage:
    """Volume billed to the customer in `day`'s cycle before `day` (lines of bills that are not void)."""
    rows = (
        BillLine.objects.filter(bill__customer=customer, cycle=day.year, segment_start__lt=day)
        .exclude(bill__status=BillStatus.VOID)
        .exclude(bill__in=list(exclude_bills))
        .values("cycle")
        .annotate(volume=Sum("volume_m3"))
    )
    return pricing.CycleUsage({row["cycle"]: row["volume"] for row in rows})


def open_disputes_of(bill_ids) -> dict[int, list[Dispute]]:
    """Open disputes by bill id: such bills are on hold (no late-fee days, no collection notice)."""
    held = defaultdict(list)
    through = Dispute.bills.through
    for row in through.objects.filter(
        bill_id__in=list(bill_ids), dispute__closed_at__isnull=True
    ).select_related("dispute__ticket"):
        held[row.bill_id].append(row.dispute)
    return held


def is_on_hold(bill) -> bool:
    return bill.disputes.filter(closed_at__isnull=True).exists()


def held_days(bill, *, counting_from: dt.date, on: dt.date) -> int:
    """Days from `counting_from` (the first late-fee day) to `on` spent under a dispute of this bill."""
    total = 0
    for dispute in bill.disputes.all():
        start = max(timezone.localtime(dispute.opened_at).date(), counting_from)
        end = min(timezone.localtime(dispute.closed_at).date() if dispute.closed_at else on, on)
        total += max((end - start).days, 0)
    return total


def late_fee_due(bill, *, on: dt.date) -> Decimal:
    """The late fee as of `on`: no days count while a dispute of the bill is open."""
    rule = LateFeeRule.objects.filter(segment=bill.customer.category.segment).first()
    if rule is None:
        return Decimal("0.00")
    counting_from = bill.due_on + dt.timedelta(days=rule.grace_days)
    return pricing.late_fee(
        unpaid=bill.unpaid,
        due_on=bill.due_on,
        on=on,
        rate_per_day=rule.rate_per_day,
        grace_days=rule.grace_days,
        held_days=held_days(bill, counting_from=counting_from, on=on),
    )


def billing_of(customer, *, today: dt.date):
    """A customer's meters, the last 24 months of readings and bills with their lines, holds and disputes."""
    since = dt.date(today.year - HISTORY_MONTHS // 12, today.month, 1)
    meters = list(Meter.objects.filter(customer=customer).order_by("status", "-fitted_on"))
    replacements = {
        r.old_meter_id: r
        for r in MeterReplacement.objects.filter(old_meter__customer=customer).select_related(
            "new_meter", "dispute__ticket"
        )
    }
    for meter in meters:
        meter.replacement = replacements.get(meter.pk)
    readings = list(
        MeterReading.objects.filter(meter__customer=customer, read_on__gte=since)
        .select_related("meter", "corrects")
        .order_by("-read_on", "-id")
    )
    bills = list(
        Bill.objects.filter(customer=customer, period_end__gte=since)
        .select_related("meter", "opening_reading", "closing_reading")
        .prefetch_related(Prefetch("lines", queryset=BillLine.objects.order_by("position")))
        .order_by("-period_start")
    )
    holds = open_disputes_of([b.pk for b in bills])
    for bill in bills:
        bill.holds = holds.get(bill.pk, [])
    disputes = list(
        Dispute.objects.filter(customer=customer)
        .select_related("ticket")
        .prefetch_related("bills")
        .order_by("-opened_at")
    )
    return {
        "meters": meters,
        "readings": readings,
        "bills": bills,
        "disputes": disputes,
        "held_bills": [b for b in bills if b.holds],
    }


def adjustments_to_export():
    return (
        Adjustment.objects.filter(status=Adjustment.Status.APPROVED)
        .select_related("dispute__ticket", "dispute__customer")
        .prefetch_related("lines__bill")
    )


def dispute_figures(user, *, start: dt.datetime, end: dt.datetime, unit: OrgUnit | None = None) -> dict:
    """Billing dispute figures of the viewer's scope for [start, end): disputes and their adjustments.

    Upheld: closed with an applied adjustment other than zero. On hold: open at the period's end (their bills
    take no late fee). Grouped by kind, outlet, branch and month; each figure one grouped query.
    """
    disputes = Dispute.objects.visible_to(user)
    if unit is not None:
        disputes = disputes.filter(ticket__org_unit__path__startswith=unit.path)
    upheld = Exists(
        Adjustment.objects.filter(dispute=OuterRef("pk"), status=Adjustment.Status.APPLIED).exclude(amount=0)
    )
    opened = disputes.filter(opened_at__gte=start, opened_at__lt=end)
    closed = disputes.filter(closed_at__gte=start, closed_at__lt=end).annotate(is_upheld=upheld)
    on_hold = disputes.filter(Q(closed_at__isnull=True) | Q(closed_at__gte=end), opened_at__lt=end)

    by_unit: dict[int, dict] = defaultdict(lambda: {"opened": 0, "closed": 0, "upheld": 0, "on_hold": 0})
    for field, rows in (
        ("opened", opened.values("ticket__org_unit").annotate(n=Count("pk"))),
        ("closed", closed.values("ticket__org_unit").annotate(n=Count("pk"))),
        ("upheld", closed.filter(is_upheld=True).values("ticket__org_unit").annotate(n=Count("pk"))),
        ("on_hold", on_hold.values("ticket__org_unit").annotate(n=Count("pk"))),
    ):
        for row in rows.order_by():
            by_unit[row["ticket__org_unit"]][field] += row["n"]
    units = {u.code: u for u in OrgUnit.objects.all()}
    units_by_id = {u.pk: u for u in units.values()}
    by_outlet = [{"unit": units_by_id[pk], **counts} for pk, counts in by_unit.items()]
    branches: dict[int, dict] = {}
    for row in by_outlet:
        branch = branch_of(row["unit"], units)
        total = branches.setdefault(
            branch.pk, {"unit": branch, "opened": 0, "closed": 0, "upheld": 0, "on_hold": 0}
        )
        for field in ("opened", "closed", "upheld", "on_hold"):
            total[field] += row[field]

    kinds = dict(DisputeKind.choices)
    by_kind: dict[str, dict] = {}
    for field, rows in (("opened", opened), ("closed", closed)):
        for row in rows.values("kind").annotate(n=Count("pk")).order_by():
            entry = by_kind.setdefault(
                row["kind"],
                {"kind": row["kind"], "label": kinds.get(row["kind"], row["kind"]), "opened": 0, "closed": 0},
            )
            entry[field] = row["n"]

    tz = timezone.get_current_timezone()
    by_month: dict[dt.datetime, dict] = {}
    for field, rows, column in (("opened", opened, "opened_at"), ("closed", closed, "closed_at")):
        for row in (
            rows.annotate(month=TruncMonth(column, tzinfo=tz))
            .values("month")
            .annotate(n=Count("pk"))
            .order_by()
        ):
            by_month.setdefault(row["month"], {"month": row["month"], "opened": 0, "closed": 0})[field] = row[
                "n"
            ]

    durations = [(c - o).total_seconds() / 86400 for o, c in closed.values_list("opened_at", "closed_at")]
    totals = {field: sum(r[field] for r in by_outlet) for field in ("opened", "closed", "upheld", "on_hold")}
    return {
        "start": start,
        "end": end,
        **totals,
        "upheld_share": round(totals["upheld"] * 100 / totals["closed"], 1) if totals["closed"] else None,
        "median_days_to_close": round(statistics.median(durations), 1) if durations else None,
        "adjustments": _adjustment_figures(disputes, start=start, end=end),
        "by_kind": sorted(by_kind.values(), key=lambda r: -r["opened"]),
        "by_outlet": sorted(by_outlet, key=lambda r: r["unit"].path),
        "by_branch": sorted(branches.values(), key=lambda r: r["unit"].path),
        "by_month": [by_month[m] for m in sorted(by_month)],
    }


def _adjustment_figures(disputes, *, start, end) -> dict:
    """Adjustments proposed, approved and applied in [start, end): how many and their sum, in one query."""
    stages = {"proposed": "proposed_at", "approved": "approved_at", "applied": "applied_at"}
    aggregates = {}
    for stage, column in stages.items():
        in_period = Q(**{f"{column}__gte": start, f"{column}__lt": end})
        aggregates[f"{stage}_count"] = Count("pk", filter=in_period)
        aggregates[f"{stage}_amount"] = Sum("amount", filter=in_period)
    found = Adjustment.objects.filter(dispute__in=disputes).aggregate(**aggregates)
    return {
        stage: {"count": found[f"{stage}_count"], "amount": found[f"{stage}_amount"] or Decimal("0.00")}
        for stage in stages
    }
