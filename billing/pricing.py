"""The tariff engine: prices a bill's volume into lines (segment x tier), exactly as tariffs.md says.

Pure: no ORM, no clock, no settings. Dates are local days; a bill runs over [start, end).
1. Volume is closing minus opening reading (3 decimals).
2. The period is split where the cycle changes (1 January), where the season changes, where a
   price takes effect or where a household allowance starts; each segment gets
   volume x its days / the period's days, rounded half up to 0.001 m3, the last one the remainder.
3. Within a cycle, the volume billed earlier in the cycle decides the tier; a segment crossing
   a tier bound is split at the bound.
4. Each line is volume x price rounded half up to the fen; a bill's amount is the sum of its lines.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

M3 = Decimal("0.001")
FEN = Decimal("0.01")
ZERO = Decimal("0")

SEASON_ALL = "all"
SEASON_NORMAL = "normal"
SEASON_HEATING = "heating"


def round_m3(value: Decimal) -> Decimal:
    return value.quantize(M3, rounding=ROUND_HALF_UP)


def round_fen(value: Decimal) -> Decimal:
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class PriceVersion:
    """Prices from `effective_from` on: {season: (tier 1 price, tier 2 price, ...)}."""

    effective_from: dt.date
    prices: dict[str, tuple[Decimal, ...]]


@dataclass(frozen=True)
class Allowance:
    """Extra m3 added to every tier bound from `effective_from` (a large household, never backwards)."""

    effective_from: dt.date
    extra_m3: Decimal


@dataclass(frozen=True)
class Plan:
    """A tariff plan as the engine sees it: tier bounds per cycle, seasons, price versions.

    `tier_bounds` are the upper bounds of every tier but the last ([600, 1000]); empty = flat.
    `has_cycle` False means tiers never accumulate (flat plans). `heating_months` use the
    heating prices; an empty set means one season ("all").
    """

    code: str
    tier_bounds: tuple[Decimal, ...]
    price_versions: tuple[PriceVersion, ...]
    heating_months: frozenset[int] = frozenset()
    has_cycle: bool = True
    allowances: tuple[Allowance, ...] = ()

    def season_of(self, day: dt.date) -> str:
        if not self.heating_months:
            return SEASON_ALL
        return SEASON_HEATING if day.month in self.heating_months else SEASON_NORMAL

    def cycle_of(self, day: dt.date) -> int:
        return day.year if self.has_cycle else 0

    def version_on(self, day: dt.date) -> PriceVersion:
        current = None
        for version in sorted(self.price_versions, key=lambda v: v.effective_from):
            if version.effective_from <= day:
                current = version
        if current is None:
            raise PricingError(f"plan {self.code} has no price in force on {day.isoformat()}")
        return current

    def extra_on(self, day: dt.date) -> Decimal:
        extra = ZERO
        for allowance in sorted(self.allowances, key=lambda a: a.effective_from):
            if allowance.effective_from <= day:
                extra = allowance.extra_m3
        return extra

    def bounds_on(self, day: dt.date) -> tuple[Decimal, ...]:
        extra = self.extra_on(day)
        return tuple(bound + extra for bound in self.tier_bounds)

    def prices_on(self, day: dt.date) -> tuple[Decimal, ...]:
        version = self.version_on(day)
        season = self.season_of(day)
        prices = version.prices.get(season) or version.prices.get(SEASON_ALL)
        if not prices:
            raise PricingError(f"plan {self.code} has no {season} price on {day.isoformat()}")
        return prices


class PricingError(ValueError):
    """The plan cannot price this period (no price in force, a closing before the opening)."""


@dataclass(frozen=True)
class Line:
    start: dt.date
    end: dt.date  # exclusive
    cycle: int
    season: str
    tier: int
    volume: Decimal
    price: Decimal
    amount: Decimal


@dataclass(frozen=True)
class PricedBill:
    start: dt.date
    end: dt.date
    volume: Decimal
    lines: tuple[Line, ...]

    @property
    def amount(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)


@dataclass
class CycleUsage:
    """Volume already billed per cycle (a running total as consecutive bills are priced)."""

    used: dict[int, Decimal] = field(default_factory=dict)

    def get(self, cycle: int) -> Decimal:
        return self.used.get(cycle, ZERO)

    def add(self, cycle: int, volume: Decimal) -> None:
        self.used[cycle] = self.get(cycle) + volume


def _boundaries(plan: Plan, start: dt.date, end: dt.date) -> list[dt.date]:
    """Every day inside (start, end) where cycle, season, price or allowance changes."""
    cuts = set()
    day = dt.date(start.year, start.month, 1)
    while day < end:
        nxt = dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)
        if start < nxt < end and (
            plan.season_of(nxt) != plan.season_of(day) or plan.cycle_of(nxt) != plan.cycle_of(day)
        ):
            cuts.add(nxt)
        day = nxt
    for version in plan.price_versions:
        if start < version.effective_from < end:
            cuts.add(version.effective_from)
    for allowance in plan.allowances:
        if start < allowance.effective_from < end:
            cuts.add(allowance.effective_from)
    return sorted(cuts)


def split_segments(
    plan: Plan, start: dt.date, end: dt.date, volume: Decimal
) -> list[tuple[dt.date, dt.date, Decimal]]:
    """Segments of [start, end) with their share of `volume` by days; the last takes the remainder."""
    if end <= start:
        raise PricingError("a bill's closing reading must be after its opening reading")
    edges = [start, *_boundaries(plan, start, end), end]
    days_total = (end - start).days
    segments = []
    given = ZERO
    for i, (a, b) in enumerate(zip(edges, edges[1:], strict=False)):
        if i == len(edges) - 2:
            share = volume - given
        else:
            share = round_m3(volume * (b - a).days / days_total)
            given += share
        segments.append((a, b, share))
    return segments


def price_bill(plan: Plan, start: dt.date, end: dt.date, volume: Decimal, usage: CycleUsage) -> PricedBill:
    """Price one bill; `usage` holds the volume billed earlier in each cycle and is advanced."""
    volume = round_m3(Decimal(volume))
    if volume < 0:
        raise PricingError("a bill's volume cannot be negative")
    lines: list[Line] = []
    for seg_start, seg_end, seg_volume in split_segments(plan, start, end, volume):
        cycle = plan.cycle_of(seg_start)
        season = plan.season_of(seg_start)
        prices = plan.prices_on(seg_start)
        bounds = plan.bounds_on(seg_start) if plan.has_cycle else ()
        remaining = seg_volume
        position = usage.get(cycle)
        tier = 0
        while tier < len(bounds) and position >= bounds[tier]:
            tier += 1
        emitted = False
        while remaining > 0 or not emitted:
            room = bounds[tier] - position if tier < len(bounds) else None
            part = remaining if room is None or remaining <= room else room
            price = prices[min(tier, len(prices) - 1)]
            lines.append(
                Line(
                    seg_start,
                    seg_end,
                    cycle,
                    season,
                    tier + 1,
                    round_m3(part),
                    price,
                    round_fen(part * price),
                )
            )
            emitted = True
            position += part
            remaining -= part
            if remaining > 0:
                tier += 1
        usage.add(cycle, seg_volume)
    return PricedBill(start=start, end=end, volume=volume, lines=tuple(lines))


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date
    volume: Decimal


def price_series(plan: Plan, periods: Iterable[Period], usage: CycleUsage | None = None) -> list[PricedBill]:
    """Price consecutive bills in order, each one's tier position following the ones before."""
    usage = usage if usage is not None else CycleUsage()
    return [price_bill(plan, p.start, p.end, p.volume, usage) for p in sorted(periods, key=lambda p: p.start)]


def corrected_reading(
    *,
    disputed_on: dt.date,
    last_actual_on: dt.date,
    last_actual: Decimal,
    reread_on: dt.date,
    reread: Decimal,
    exact_within_days: int = 3,
) -> Decimal:
    """The corrected value at the disputed reading's date from a re-read (tariffs.md).

    The re-read itself when taken within `exact_within_days` of the disputed date; else the
    straight line by days between the last actual reading before that date and the re-read.
    """
    if abs((reread_on - disputed_on).days) <= exact_within_days:
        return round_m3(Decimal(reread))
    if reread_on <= last_actual_on:
        raise PricingError("the re-read must come after the last actual reading")
    span = (reread_on - last_actual_on).days
    elapsed = (disputed_on - last_actual_on).days
    return round_m3(last_actual + (reread - last_actual) * elapsed / span)


def periods_from_readings(readings: Sequence[tuple[dt.date, Decimal]]) -> list[Period]:
    """Bills between consecutive readings [(date, value), ...] in date order."""
    ordered = sorted(readings)
    return [Period(a[0], b[0], round_m3(b[1] - a[1])) for a, b in zip(ordered, ordered[1:], strict=False)]


def late_fee(
    *,
    unpaid: Decimal,
    due_on: dt.date,
    on: dt.date,
    rate_per_day: Decimal,
    grace_days: int = 7,
    held_days: int = 0,
) -> Decimal:
    """Late fee on the unpaid amount from the (grace+1)th day after the due date, capped at the unpaid amount.

    `held_days` are days under an open dispute: they count no fee.
    """
    if unpaid <= 0:
        return round_fen(ZERO)
    days = (on - due_on).days - grace_days - held_days
    if days <= 0:
        return round_fen(ZERO)
    return min(round_fen(unpaid * rate_per_day * days), unpaid)
