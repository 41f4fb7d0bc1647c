"""The demo tariffs of tariffs.md, late-fee rules, meter test rules and approval limits (idempotent)."""

import datetime as dt
from decimal import Decimal as D

from django.db import transaction

from accounts.models import CustomerCategory, Segment
from accounts.roles import Role

from .models import ApprovalLimit, LateFeeRule, MeterTestRule, MeterType, Season, TariffPlan, TariffPrice

PRICES_FROM = dt.date(2022, 1, 1)

# (code, name, category codes, cycle, tier bounds, heating months, large household persons, allowance)
PLANS = (
    (
        "RES-GEN",
        "居民阶梯气价",
        ("residential", "heating"),
        TariffPlan.Cycle.CALENDAR_YEAR,
        [600, 1000],
        [12, 1, 2],
        5,
        D("150"),
    ),
    ("RES-LOW", "低保/特困居民气价", ("low_income",), TariffPlan.Cycle.NONE, [], [], None, D("0")),
    (
        "NONRES",
        "非居民气价",
        ("commercial", "institutional", "school_care", "boiler", "chiller", "cng", "industrial", "chp"),
        TariffPlan.Cycle.NONE,
        [],
        [],
        None,
        D("0"),
    ),
)
# (plan, season, tier prices)
PRICES = (
    ("RES-GEN", Season.NORMAL, ("2.039", "2.209", "2.559")),
    ("RES-GEN", Season.HEATING, ("2.13", "2.30", "2.65")),
    ("RES-LOW", Season.ALL, ("1.96",)),
    ("NONRES", Season.ALL, ("2.576",)),
)
LATE_FEES = (
    (Segment.RESIDENTIAL, D("0.001")),
    (Segment.COMMERCIAL, D("0.003")),
    (Segment.INDUSTRIAL, D("0.003")),
)
METER_TESTS = (
    (MeterType.DIAPHRAGM, D("2"), 12),
    (MeterType.IC_CARD, D("2"), 12),
    (MeterType.SMART, D("2"), 12),
)
APPROVAL_LIMITS = (
    (Role.FRONT_DESK, D("50")),
    (Role.AGENT, D("50")),
    (Role.OUTLET_SUPERVISOR, D("2000")),
    (Role.BRANCH_MANAGER, D("20000")),
    (Role.CENTRE_MANAGER, D("1000000")),
)


@transaction.atomic
def seed_billing_rules() -> int:
    """Create what is missing; never overwrite what administrators changed. Returns rows created."""
    created = 0
    categories = {c.code: c for c in CustomerCategory.objects.all()}
    for code, name, category_codes, cycle, bounds, heating, persons, allowance in PLANS:
        plan, is_new = TariffPlan.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "cycle": cycle,
                "tier_bounds": bounds,
                "heating_months": heating,
                "large_household_persons": persons,
                "large_household_allowance": allowance,
                "valid_from": PRICES_FROM,
            },
        )
        created += is_new
        if not plan.categories.exists():
            plan.categories.set([categories[c] for c in category_codes if c in categories])
    plans = {p.code: p for p in TariffPlan.objects.all()}
    for code, season, prices in PRICES:
        for tier, price in enumerate(prices, start=1):
            _obj, is_new = TariffPrice.objects.get_or_create(
                plan=plans[code],
                effective_from=PRICES_FROM,
                season=season,
                tier=tier,
                defaults={"price": D(price)},
            )
            created += is_new
    for segment, rate in LATE_FEES:
        created += LateFeeRule.objects.get_or_create(segment=segment, defaults={"rate_per_day": rate})[1]
    for meter_type, tolerance, months in METER_TESTS:
        created += MeterTestRule.objects.get_or_create(
            meter_type=meter_type, defaults={"tolerance_pct": tolerance, "rebill_months": months}
        )[1]
    for role, amount in APPROVAL_LIMITS:
        created += ApprovalLimit.objects.get_or_create(role=role, defaults={"max_amount": amount})[1]
    return created
