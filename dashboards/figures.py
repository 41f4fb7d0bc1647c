"""Tallies of milestones by outcome, with the time taken and the lateness in each milestone's own unit.

Pure: no ORM, no clock. Durations are counted in fixed steps of the unit (STEPS), so tallies of days
(the daily rollups) merge by adding one column per step in SQL, and medians and 90th percentiles
come out the same whether they are read from rollups or from the raw milestones. Percentiles are
nearest-rank, read to the step: the first step at or above the smallest value with at least p% of
the values at or below it.
"""

import bisect
import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from tickets import sla

OUTCOME_FIELDS = ("met_on_time", "met_late", "breached_open", "pending")
TENTHS = 10
# The steps of the duration scale, in tenths of the unit: 0, 0.1, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 3,
# 5, 7, 10, ... 10,000 (1-1.5-2-3-5-7 per decade). A duration counts at the first step at or above
# it (in tenths, half up); everything above the last step counts at the last.
STEPS = (0, 1, 2, 3, 5, 7, *(int(m * 10**e) for e in range(1, 5) for m in (1, 1.5, 2, 3, 5, 7)), 100_000)
STEP_COLUMNS = tuple(f"{i:02d}" for i in range(len(STEPS)))
STEP_FIELDS = tuple(f"{kind}_{c}" for kind in ("taken", "late") for c in STEP_COLUMNS)


def _tenths(value: float) -> int:
    return int(Decimal(str(value * TENTHS)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def step_of(value: float) -> int:
    """The index of the first step at or above a duration in units (the last for anything beyond)."""
    return min(bisect.bisect_left(STEPS, _tenths(value)), len(STEPS) - 1)


def percentile(histogram: Counter, share: float) -> float | None:
    """Nearest-rank percentile of a histogram {step index: count}, in units (None when empty)."""
    total = sum(histogram.values())
    if not total:
        return None
    rank = max(1, math.ceil(share * total))
    seen = 0
    for index in sorted(histogram):
        seen += histogram[index]
        if seen >= rank:
            return STEPS[index] / TENTHS
    raise AssertionError("unreachable")  # pragma: no cover


def rate(part: int, whole: int) -> Decimal | None:
    """A percentage with one decimal (half up), None when nothing was counted."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def met_steps(
    *, unit: str, amount: int, due_at: dt.datetime, met_at: dt.datetime, cal: sla.CalendarSnapshot
) -> tuple[int, int | None]:
    """(step of the time taken, step of the lateness or None when met on time) of one met milestone."""
    distance = sla.amount_between(cal, due_at, met_at, unit)
    late = step_of(max(0.0, distance)) if met_at > due_at else None
    return step_of(max(0.0, amount + distance)), late


@dataclass
class Tally:
    met_on_time: int = 0
    met_late: int = 0
    breached_open: int = 0
    pending: int = 0
    taken: dict = field(default_factory=dict)  # unit -> Counter{step index: n}
    late: dict = field(default_factory=dict)

    @property
    def counted(self) -> int:
        return self.met_on_time + self.met_late + self.breached_open

    @property
    def on_time_rate(self) -> Decimal | None:
        return rate(self.met_on_time, self.counted)

    @property
    def breach_rate(self) -> Decimal | None:
        return rate(self.met_late + self.breached_open, self.counted)

    def add_counts(self, **counts) -> None:
        for name in OUTCOME_FIELDS:
            setattr(self, name, getattr(self, name) + int(counts.get(name) or 0))

    def add_histograms(self, taken: dict, late: dict) -> None:
        for mine, theirs in ((self.taken, taken), (self.late, late)):
            for unit, histogram in theirs.items():
                if not histogram:
                    continue  # a unit with nothing met shows no durations, as from the raw milestones
                target = mine.setdefault(unit, Counter())
                for value, n in histogram.items():
                    target[int(value)] += n

    def add_met(
        self, *, unit: str, amount: int, due_at: dt.datetime, met_at: dt.datetime, cal: sla.CalendarSnapshot
    ) -> None:
        """One met milestone's time taken (the allowed amount plus or minus how far from the
        deadline it was met: pauses already moved the deadline) and, when late, its lateness."""
        self.add_steps(unit, *met_steps(unit=unit, amount=amount, due_at=due_at, met_at=met_at, cal=cal))

    def add_steps(self, unit: str, taken: int, late: int | None) -> None:
        """One met milestone, its durations already turned into steps (met_steps)."""
        self.taken.setdefault(unit, Counter())[taken] += 1
        if late is not None:
            self.late.setdefault(unit, Counter())[late] += 1

    def add(self, other: "Tally", *, durations=True) -> None:
        """Add another tally's counts (and histograms): the fold of a page's tables, kept tight."""
        self.met_on_time += other.met_on_time
        self.met_late += other.met_late
        self.breached_open += other.breached_open
        self.pending += other.pending
        if not durations:
            return
        for mine, theirs in ((self.taken, other.taken), (self.late, other.late)):
            for unit, histogram in theirs.items():
                if not histogram:
                    continue
                target = mine.get(unit)
                if target is None:
                    mine[unit] = Counter(histogram)
                else:
                    target.update(histogram)

    def merge(self, other: "Tally") -> None:
        self.add(other)

    def durations(self) -> list[dict]:
        """Per unit: how many were met, median and p90 of the time taken, median lateness of the late."""
        rows = []
        for unit in sorted(self.taken):
            taken = self.taken[unit]
            rows.append(
                {
                    "unit": unit,
                    "met": sum(taken.values()),
                    "taken_median": percentile(taken, 0.5),
                    "taken_p90": percentile(taken, 0.9),
                    "late_median": percentile(self.late.get(unit, Counter()), 0.5),
                }
            )
        return rows

    def as_dict(self) -> dict:
        return {
            "counted": self.counted,
            "met_on_time": self.met_on_time,
            "met_late": self.met_late,
            "breached_open": self.breached_open,
            "pending": self.pending,
            "on_time_rate": self.on_time_rate,
            "durations": self.durations(),
        }

    def rollup_columns(self, unit: str) -> dict:
        """One time unit's figures as rollup columns: the unit, the counts by outcome, and the histograms
        taken_00.., late_00.. (every step, zeros included)."""
        taken, late = self.taken.get(unit, Counter()), self.late.get(unit, Counter())
        columns = {"unit": unit, **{name: getattr(self, name) for name in OUTCOME_FIELDS}}
        columns.update({f"taken_{c}": taken[i] for i, c in enumerate(STEP_COLUMNS)})
        columns.update({f"late_{c}": late[i] for i, c in enumerate(STEP_COLUMNS)})
        return columns

    @classmethod
    def from_columns(cls, counts, unit: str, taken: dict, late: dict) -> "Tally":
        """A tally of one time unit from rollup sums: counts in OUTCOME_FIELDS order, histograms by step."""
        return cls(
            *counts,
            taken={unit: Counter(taken)} if taken else {},
            late={unit: Counter(late)} if late else {},
        )
