"""Invariants of the deadline arithmetic (hypothesis), on CN-OFFICE 2020-2026 plus unofficial 2027."""

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from tickets import sla
from tickets.calendars import china_snapshot

SH = ZoneInfo("Asia/Shanghai")
CAL = china_snapshot(range(2020, 2027))
UNITS = ["minutes", "hours", "days", "working_hours", "working_days"]
FAST = settings(max_examples=200, deadline=None, derandomize=True)

_EDGES = [dt.time(0), dt.time(8, 30), dt.time(12), dt.time(13, 30), dt.time(17, 30), dt.time(23, 59)]

# Instants from 2020 to the end of 2027, minute resolution, with extra weight on the period edges.
days = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2027, 12, 31))
times = st.one_of(st.sampled_from(_EDGES), st.times().map(lambda t: t.replace(second=0, microsecond=0)))
instants = st.builds(lambda d, t: dt.datetime.combine(d, t, tzinfo=SH), days, times)
amounts = st.integers(min_value=0, max_value=40)
units = st.sampled_from(UNITS)
working_units = st.sampled_from(["working_hours", "working_days"])
durations = st.integers(min_value=0, max_value=300 * 60).map(lambda m: dt.timedelta(minutes=m))


def _is_working_instant(moment: dt.datetime) -> bool:
    """Inside a working period, or exactly at its end."""
    local = moment.astimezone(SH)
    return any(start <= local.time() <= end for start, end in CAL.periods_on(local.date()))


@FAST
@given(start=instants, amount=amounts, unit=units)
def test_due_is_never_before_start_and_is_local(start, amount, unit):
    due = sla.add_duration(CAL, start, amount, unit)
    assert due.at >= start
    assert due.at.tzinfo == SH


@FAST
@given(a=instants, b=instants, amount=amounts, unit=units)
def test_later_start_never_gives_an_earlier_due(a, b, amount, unit):
    first, second = sorted([a, b])
    assert sla.add_duration(CAL, first, amount, unit).at <= sla.add_duration(CAL, second, amount, unit).at


@FAST
@given(start=instants, a=amounts, b=amounts, unit=units)
def test_larger_amount_never_gives_an_earlier_due(start, a, b, unit):
    small, large = sorted([a, b])
    assert sla.add_duration(CAL, start, small, unit).at <= sla.add_duration(CAL, start, large, unit).at


@FAST
@given(start=instants, delta=durations)
def test_working_time_added_is_working_time_measured(start, delta):
    end = sla.add_working_time(CAL, start, delta)
    assert sla.working_time_between(CAL, start, end) == delta
    if delta:
        assert _is_working_instant(end)
        # The earliest such instant: a minute earlier, less working time has elapsed.
        assert sla.working_time_between(CAL, start, end - dt.timedelta(minutes=1)) < delta


@FAST
@given(a=instants, b=instants, c=instants)
def test_working_time_between_is_antisymmetric_and_additive(a, b, c):
    assert sla.working_time_between(CAL, a, b) == -sla.working_time_between(CAL, b, a)
    assert sla.working_time_between(CAL, a, b) + sla.working_time_between(
        CAL, b, c
    ) == sla.working_time_between(CAL, a, c)


@FAST
@given(start=instants, amount=amounts, unit=units, paused=durations)
def test_pause_round_trip(start, amount, unit, paused):
    due = sla.add_duration(CAL, start, amount, unit).at
    extended = sla.extend_by(CAL, due, unit, paused)
    assert extended.at >= due
    assert sla.elapsed_between(CAL, due, extended.at, unit) == paused


@FAST
@given(start=instants, paused_from=instants, paused=durations, amount=amounts, unit=working_units)
def test_pausing_keeps_the_allowed_working_time(start, paused_from, paused, amount, unit):
    """After a pause the working time allowed from start to the new due is the original plus the pause."""
    due = sla.add_duration(CAL, start, amount, unit).at
    allowed = sla.working_time_between(CAL, start, due)
    extended = sla.extend_by(CAL, due, unit, paused).at
    assert sla.working_time_between(CAL, start, extended) == allowed + paused


@FAST
@given(start=instants, amount=amounts)
def test_working_days_are_due_at_close_of_business_of_a_working_day(start, amount):
    due = sla.add_duration(CAL, start, amount, "working_days").at
    assert CAL.is_working_day(due.date())
    assert due == CAL.close_of_business(due.date())
    assert due.date() > start.date() or amount == 0
    # Exactly `amount` working days lie after the start day up to the due day (N = 0: none, or the same day).
    counted = sum(
        1
        for i in range(1, (due.date() - start.date()).days + 1)
        if CAL.is_working_day(start.date() + dt.timedelta(days=i))
    )
    assert counted == amount or (amount == 0 and counted == 1)


@FAST
@given(start=instants, amount=amounts, unit=units, percent=st.integers(min_value=0, max_value=100))
def test_warning_lies_between_start_and_due(start, amount, unit, percent):
    due = sla.add_duration(CAL, start, amount, unit).at
    warn = sla.warn_at(CAL, start, due, unit, percent)
    assert start <= warn <= due
    elapsed = sla.elapsed_between(CAL, start, warn, unit)
    allowed = sla.elapsed_between(CAL, start, due, unit)
    assert abs(elapsed - allowed * percent / 100) <= dt.timedelta(microseconds=1)


@FAST
@given(start=instants, amount=amounts)
def test_provisional_exactly_when_2027_is_reached(start, amount):
    for unit in ("working_hours", "working_days"):
        due = sla.add_duration(CAL, start, amount, unit)
        assert due.is_provisional is (due.at.year == 2027 or start.year == 2027)


BERLIN = ZoneInfo("Europe/Berlin")
BERLIN_CAL = sla.CalendarSnapshot(tz=BERLIN, periods={d: ((dt.time(8), dt.time(16)),) for d in range(5)})
# Around the 2026 transitions (29 March, 25 October), both folds of the repeated hour included.
dst_instants = st.builds(
    lambda d, t, fold: dt.datetime.combine(d, t, tzinfo=BERLIN).replace(fold=fold),
    st.sampled_from(
        [dt.date(2026, 3, 27) + dt.timedelta(days=i) for i in range(5)]
        + [dt.date(2026, 10, 23) + dt.timedelta(days=i) for i in range(5)]
    ),
    times,
    st.integers(min_value=0, max_value=1),
)


@FAST
@given(a=dst_instants, b=dst_instants, amount=amounts, unit=units)
def test_zone_with_daylight_saving_keeps_the_invariants(a, b, amount, unit):
    """Compared as instants (UTC): wall-clock units are elapsed time, days end at local midnight."""
    first, second = sorted([a, b], key=lambda m: m.astimezone(dt.UTC))
    due_first = sla.add_duration(BERLIN_CAL, first, amount, unit).at
    due_second = sla.add_duration(BERLIN_CAL, second, amount, unit).at
    assert due_first.astimezone(dt.UTC) >= first.astimezone(dt.UTC)
    assert due_first.astimezone(dt.UTC) <= due_second.astimezone(dt.UTC)
    if unit in ("minutes", "hours"):
        step = dt.timedelta(minutes=amount) if unit == "minutes" else dt.timedelta(hours=amount)
        assert due_first.astimezone(dt.UTC) - first.astimezone(dt.UTC) == step
    if unit == "days":
        assert due_first.time() == dt.time(0) and due_first.utcoffset() in (
            dt.timedelta(hours=1),
            dt.timedelta(hours=2),
        )
