"""The deadline arithmetic: pure functions over a calendar snapshot (no ORM, no clock, no settings).

Units (DESIGN.md, shared/data/service_standards.md "Units and clocks"):

- ``minutes``/``hours``: elapsed wall-clock time, 24x7 (computed in UTC, so DST-safe).
- ``days``: calendar days; due at 24:00 local time (00:00 of the following day) of the Nth
  calendar day after the start day. N = 0: midnight at the end of the start day.
- ``working_hours``: time counted only inside the working periods. A count that ends exactly at
  the end of a period is due at that end, never at the next period's start.
- ``working_days``: close of business (end of the last working period) of the Nth working day
  after the day the clock starts; the start day is never counted, whatever the time of the start
  and whether or not it is a working day. N = 0: close of business of the start day when it is a
  working day and the clock starts before close of business, else of the next working day.

Working periods are half-open intervals [start, end) of local time; an instant exactly at a
period's end is outside working time. Durations inside a period are measured in local time (the
calendars we serve have no DST transition inside working hours).

A result is provisional when a calendar day the computation relied on (start day to due day) lies in
a year without an official holiday schedule: that year is computed with weekends only. Calendar
units (minutes, hours, days) do not depend on holidays and are never provisional.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

MINUTES = "minutes"
HOURS = "hours"
DAYS = "days"
WORKING_HOURS = "working_hours"
WORKING_DAYS = "working_days"
CALENDAR_UNITS = frozenset({MINUTES, HOURS, DAYS})
WORKING_UNITS = frozenset({WORKING_HOURS, WORKING_DAYS})
UNITS = CALENDAR_UNITS | WORKING_UNITS

# The SLA states (tickets.models.SlaState values) from least to most severe: a ticket shows its
# worst milestone, the sweep only ever raises a ticket's state. The one ranking of them.
SEVERITY = {"pending": 0, "met": 1, "on_time": 2, "met_late": 3, "at_risk": 4, "breached": 5}


def sla_rank(state: str) -> int:
    """How severe an SLA state is (unknown states rank lowest)."""
    return SEVERITY.get(state, 0)


def state_by_clock(
    *, stored: str, due: dt.datetime | None, warn: dt.datetime | None, is_paused: bool, now: dt.datetime
) -> str:
    """The SLA state a person sees at `now`: from the nearest deadline and its warning time, never
    waiting for the sweep. A ticket without a running deadline (or paused) keeps its stored state."""
    if is_paused or due is None:
        return stored
    if now >= due:
        return "breached"
    if warn is not None and now >= warn:
        return "at_risk"
    return "on_time"


_US_PER_SECOND = 1_000_000
_US_PER_HOUR = 3_600 * _US_PER_SECOND
_US_PER_DAY = 86_400 * _US_PER_SECOND
_UTC = dt.UTC
_ONE_DAY = dt.timedelta(days=1)
_MIDNIGHT = dt.time(0)
# Make-up working days (调休) are worked on the regular weekday hours: those of the first weekday
# (Monday to Friday) that has working periods.
_REGULAR_WEEKDAYS = (0, 1, 2, 3, 4)


def _us_of(t: dt.time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * _US_PER_SECOND + t.microsecond


def _us_of_day(moment: dt.datetime) -> int:
    return ((moment.hour * 60 + moment.minute) * 60 + moment.second) * _US_PER_SECOND + moment.microsecond


def _time_of(us: int) -> dt.time:
    seconds, micro = divmod(us, _US_PER_SECOND)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    return dt.time(hour, minute, second, micro)


class _Index:
    """Working days of a contiguous range of years, with cumulative working time (microseconds).

    ``ords[i]`` is the ordinal of the i-th working day; ``cum_start[i]`` the working time of all
    working days before it; ``cum_end[i]`` that plus the day's own working time.
    """

    __slots__ = ("first_year", "last_year", "lo_ord", "hi_ord", "ords", "cum_start", "cum_end", "day_periods")

    def __init__(self, cal: CalendarSnapshot, first_year: int, last_year: int):
        self.first_year = first_year
        self.last_year = last_year
        self.lo_ord = dt.date(first_year, 1, 1).toordinal()
        self.hi_ord = dt.date(last_year, 12, 31).toordinal()
        self.ords: list[int] = []
        self.cum_start: list[int] = []
        self.cum_end: list[int] = []
        self.day_periods: list[tuple[tuple[int, int], ...]] = []
        total = 0
        for ordinal in range(self.lo_ord, self.hi_ord + 1):
            periods = cal._periods_us(dt.date.fromordinal(ordinal))
            if not periods:
                continue
            length = sum(end - start for start, end in periods)
            self.ords.append(ordinal)
            self.day_periods.append(periods)
            self.cum_start.append(total)
            total += length
            self.cum_end.append(total)


@dataclass(frozen=True)
class CalendarSnapshot:
    """An immutable copy of a working calendar: weekly periods, time zone and dated exceptions.

    ``periods`` maps a weekday (0 = Monday) to its sorted, non-overlapping (start, end) periods.
    Lookups are precomputed lazily per range of years, so one snapshot serves many computations.
    """

    tz: ZoneInfo
    periods: dict[int, tuple[tuple[dt.time, dt.time], ...]]
    holidays: frozenset[dt.date] = frozenset()
    makeup_days: frozenset[dt.date] = frozenset()
    official_years: frozenset[int] = frozenset()
    _state: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self):
        periods_us = {}
        for weekday, periods in self.periods.items():
            if not 0 <= weekday <= 6:
                raise ValueError(f"weekday {weekday} is not in 0..6")
            spans = tuple(
                sorted(
                    (_us_of(start), _us_of(end) if end != _MIDNIGHT else _US_PER_DAY)
                    for start, end in periods
                )
            )
            for (start, end), following in zip(spans, spans[1:] + ((_US_PER_DAY, _US_PER_DAY),), strict=True):
                if not start < end <= following[0]:
                    raise ValueError(f"working periods of weekday {weekday} are empty or overlap")
            if spans:
                periods_us[weekday] = spans
        if not periods_us:
            raise ValueError("a working calendar needs at least one working period")
        regular = [periods_us[w] for w in _REGULAR_WEEKDAYS if w in periods_us] or list(periods_us.values())
        self._state["periods_us"] = periods_us
        self._state["regular_us"] = regular[0]
        self._state["index"] = None

    # -- days

    def _periods_us(self, d: dt.date) -> tuple[tuple[int, int], ...]:
        if d in self.holidays:
            return ()
        if d in self.makeup_days:
            return self._state["regular_us"]
        return self._state["periods_us"].get(d.weekday(), ())

    def periods_on(self, d: dt.date) -> tuple[tuple[dt.time, dt.time], ...]:
        """The working periods of a date: none on holidays, the regular weekday ones on make-up days."""
        return tuple(
            (_time_of(start), dt.time(0) if end == _US_PER_DAY else _time_of(end))
            for start, end in self._periods_us(d)
        )

    def is_working_day(self, d: dt.date) -> bool:
        return bool(self._periods_us(d))

    def close_of_business(self, d: dt.date) -> dt.datetime | None:
        """End of the last working period of a date (None on a day off)."""
        periods = self._periods_us(d)
        return _at(d, periods[-1][1], self.tz) if periods else None

    # -- the precomputed index

    def _covering(self, first_year: int, last_year: int) -> _Index:
        """An index that covers `first_year` to `last_year` plus the year after (for successors).

        Indexes only ever grow; a computation keeps the index it started with, so positions stay
        comparable even if another thread installs a wider index meanwhile.
        """
        index = self._state["index"]
        if index is not None and index.first_year <= first_year and last_year + 1 <= index.last_year:
            return index
        if not (dt.MINYEAR < first_year and last_year + 1 < dt.MAXYEAR):
            raise OverflowError(f"years {first_year}..{last_year} are out of range")
        if index is None:
            first, last = first_year - 1, last_year + 2
        else:
            first, last = min(index.first_year, first_year - 1), max(index.last_year, last_year + 2)
        index = _Index(self, max(first, dt.MINYEAR + 1), min(last, dt.MAXYEAR - 1))
        self._state["index"] = index
        return index

    def _grown(self, index: _Index) -> _Index:
        """A wider index with the same first year (positions measured on `index` remain valid)."""
        last = index.last_year + max(2, index.last_year - index.first_year)
        if last >= dt.MAXYEAR:
            raise OverflowError("the due time is beyond the last representable year")
        current = self._state["index"]
        if current is not None and current.first_year == index.first_year and current.last_year >= last:
            return current
        grown = _Index(self, index.first_year, last)
        if current is None or current.first_year >= grown.first_year:
            self._state["index"] = grown
        return grown


@dataclass(frozen=True)
class Due:
    at: dt.datetime
    is_provisional: bool


# ---------------------------------------------------------------- helpers


def _at(d: dt.date, us: int, tz: ZoneInfo) -> dt.datetime:
    if us >= _US_PER_DAY:
        return dt.datetime.combine(d + _ONE_DAY, _MIDNIGHT, tzinfo=tz)
    return dt.datetime.combine(d, _time_of(us), tzinfo=tz)


def _local(cal: CalendarSnapshot, moment: dt.datetime, name: str = "start") -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {moment!r}")
    return moment.astimezone(cal.tz)


def _is_provisional(cal: CalendarSnapshot, first: dt.date, last: dt.date) -> bool:
    official = cal.official_years
    if first.year == last.year:
        return first.year not in official
    return any(year not in official for year in range(first.year, last.year + 1))


def _position(index: _Index, local: dt.datetime) -> int:
    """Working time (µs) from the start of the index's range to a local instant inside the range."""
    ordinal = local.toordinal()
    i = bisect.bisect_left(index.ords, ordinal)
    if i == len(index.ords):
        return index.cum_end[-1] if index.ords else 0
    if index.ords[i] != ordinal:
        return index.cum_start[i]
    us = _us_of_day(local)
    worked = index.cum_start[i]
    for start, end in index.day_periods[i]:
        if us <= start:
            break
        worked += (end if us >= end else us) - start
    return worked


def _instant_at(cal: CalendarSnapshot, index: _Index, target: int) -> dt.datetime:
    """The earliest instant whose position is `target` (a period's end rather than the next start)."""
    while not index.ords or target > index.cum_end[-1]:
        index = cal._grown(index)
    i = bisect.bisect_left(index.cum_end, target)
    remaining = target - index.cum_start[i]
    day = dt.date.fromordinal(index.ords[i])
    for start, end in index.day_periods[i]:
        if remaining <= end - start:
            return _at(day, start + remaining, cal.tz)
        remaining -= end - start
    raise AssertionError("working time index is inconsistent")  # pragma: no cover


def _to_us(delta: dt.timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * _US_PER_SECOND + delta.microseconds


# ---------------------------------------------------------------- the public functions


def add_working_time(cal: CalendarSnapshot, start: dt.datetime, delta: dt.timedelta) -> dt.datetime:
    """The earliest instant at which `delta` of working time has elapsed since `start`.

    A zero delta returns `start` (in the calendar's time zone), even outside working time.
    """
    local = _local(cal, start)
    us = _to_us(delta)
    if us < 0:
        raise ValueError("working time to add must not be negative")
    if us == 0:
        return local
    index = cal._covering(local.year, local.year)
    return _instant_at(cal, index, _position(index, local) + us)


def working_time_between(cal: CalendarSnapshot, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
    """Working time from `start` to `end`; negative when `end` is before `start` (antisymmetric)."""
    local_start, local_end = _local(cal, start), _local(cal, end, "end")
    index = cal._covering(min(local_start.year, local_end.year), max(local_start.year, local_end.year))
    return dt.timedelta(microseconds=_position(index, local_end) - _position(index, local_start))


def elapsed_between(cal: CalendarSnapshot, start: dt.datetime, end: dt.datetime, unit: str) -> dt.timedelta:
    """Time counted against a milestone of `unit`: working time for working units, wall time else."""
    if unit in WORKING_UNITS:
        return working_time_between(cal, start, end)
    if unit not in CALENDAR_UNITS:
        raise ValueError(f"unknown unit {unit!r}")
    return _local(cal, end, "end") - _local(cal, start)


def _working_days_due(cal: CalendarSnapshot, local: dt.datetime, amount: int) -> dt.datetime:
    ordinal = local.toordinal()
    index = cal._covering(local.year, local.year)
    while True:
        if amount:
            i = bisect.bisect_right(index.ords, ordinal) + amount - 1
        else:
            i = bisect.bisect_left(index.ords, ordinal)
            if i < len(index.ords) and index.ords[i] == ordinal:
                if _us_of_day(local) >= index.day_periods[i][-1][1]:
                    i += 1  # at or after close of business: the next working day
        if i < len(index.ords):
            return _at(dt.date.fromordinal(index.ords[i]), index.day_periods[i][-1][1], cal.tz)
        index = cal._grown(index)


def add_duration(cal: CalendarSnapshot, start: dt.datetime, amount: int, unit: str) -> Due:
    """The due time of a milestone of `amount` `unit` whose clock starts at `start`."""
    local = _local(cal, start)
    if amount < 0:
        raise ValueError("amount must not be negative")
    if unit == MINUTES or unit == HOURS:
        delta = dt.timedelta(minutes=amount) if unit == MINUTES else dt.timedelta(hours=amount)
        return Due((local.astimezone(_UTC) + delta).astimezone(cal.tz), False)
    if unit == DAYS:
        end_day = local.date() + dt.timedelta(days=amount + 1)
        return Due(dt.datetime.combine(end_day, _MIDNIGHT, tzinfo=cal.tz), False)
    if unit == WORKING_HOURS:
        if amount:
            index = cal._covering(local.year, local.year)
            at = _instant_at(cal, index, _position(index, local) + amount * _US_PER_HOUR)
        else:
            at = local
    elif unit == WORKING_DAYS:
        at = _working_days_due(cal, local, amount)
    else:
        raise ValueError(f"unknown unit {unit!r}")
    return Due(at, _is_provisional(cal, local.date(), at.date()))


def extend_by(cal: CalendarSnapshot, due: dt.datetime, unit: str, paused: dt.timedelta) -> Due:
    """Move a due time out by a pause: `paused` wall time for calendar units, working time else.

    For working units `paused` is the working time the clock stood still (see working_time_between);
    a due time at a period's end continues from the next period's start. The provisional flag
    covers the days from the old to the new due time only.
    """
    local = _local(cal, due, "due")
    if paused < dt.timedelta(0):
        raise ValueError("a pause must not be negative")
    if unit in CALENDAR_UNITS:
        return Due((local.astimezone(_UTC) + paused).astimezone(cal.tz), False)
    if unit not in WORKING_UNITS:
        raise ValueError(f"unknown unit {unit!r}")
    at = add_working_time(cal, local, paused)
    return Due(at, _is_provisional(cal, local.date(), at.date()))


def warn_at(
    cal: CalendarSnapshot, start: dt.datetime, due: dt.datetime, unit: str, percent: int
) -> dt.datetime:
    """The instant at which `percent`% of the allowed time (working or wall) from start to due has elapsed."""
    if not 0 <= percent <= 100:
        raise ValueError("percent must be between 0 and 100")
    allowed = elapsed_between(cal, start, due, unit)
    if allowed <= dt.timedelta(0):
        return _local(cal, due, "due")
    share = dt.timedelta(microseconds=_to_us(allowed) * percent // 100)
    if unit in WORKING_UNITS:
        return add_working_time(cal, start, share)
    return (_local(cal, start).astimezone(_UTC) + share).astimezone(cal.tz)


def working_days_between(cal: CalendarSnapshot, start: dt.datetime, end: dt.datetime) -> int:
    """Working days after `start`'s local day up to and including `end`'s (negative when reversed).

    The same counting as a ``working_days`` deadline: the day the count starts from is not counted.
    """
    first, last = _local(cal, start).date(), _local(cal, end, "end").date()
    if last < first:
        return -working_days_between(cal, end, start)
    index = cal._covering(first.year, last.year)
    after_last = bisect.bisect_right(index.ords, last.toordinal())
    return after_last - bisect.bisect_right(index.ords, first.toordinal())


def amount_between(cal: CalendarSnapshot, start: dt.datetime, end: dt.datetime, unit: str) -> float:
    """The signed distance from `start` to `end` in a milestone's own unit.

    Working hours count working time only; working days count working days as a deadline does (the
    start day is not counted); calendar units count wall time (minutes, hours, 24-hour days).
    """
    if unit == WORKING_DAYS:
        return float(working_days_between(cal, start, end))
    if unit == WORKING_HOURS:
        return working_time_between(cal, start, end) / dt.timedelta(hours=1)
    per = {MINUTES: dt.timedelta(minutes=1), HOURS: dt.timedelta(hours=1), DAYS: dt.timedelta(days=1)}
    if unit not in per:
        raise ValueError(f"unknown unit {unit!r}")
    return (_local(cal, end, "end") - _local(cal, start)) / per[unit]
