"""The deadline arithmetic (tickets/sla.py): one row per rule, named after the rule.

The calendar is CN-OFFICE built from the chinesecalendar package (2020-2026 official); the
published facts in shared/data/calendar.md are checked against it first, so every expected value
below rests on those facts: Mon-Fri 08:30-12:00 and 13:30-17:30, close of business 17:30.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from tickets import sla
from tickets.calendars import china_days, china_snapshot

SH = ZoneInfo("Asia/Shanghai")
UTC = dt.UTC
CAL = china_snapshot(range(2020, 2027))


def at(text: str, tz=SH) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=tz)


def h(hours: float) -> dt.timedelta:
    return dt.timedelta(hours=hours)


# ---------------------------------------------------------------- the published facts


def _dates(first: str, last: str) -> set[dt.date]:
    start, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    return {start + dt.timedelta(days=i) for i in range((end - start).days + 1)}


MAKEUP_2025 = {
    dt.date.fromisoformat(d) for d in ("2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11")
}
MAKEUP_2026 = {
    dt.date.fromisoformat(d)
    for d in ("2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10")
}


def test_package_matches_the_published_make_up_days():
    makeup = {day for day, kind, _name in china_days([2025, 2026]) if kind == "makeup_workday"}
    assert makeup == MAKEUP_2025 | MAKEUP_2026
    assert MAKEUP_2025 | MAKEUP_2026 <= CAL.makeup_days
    assert all(CAL.is_working_day(day) and day.weekday() >= 5 for day in MAKEUP_2025 | MAKEUP_2026)


@pytest.mark.parametrize(
    "first, last",
    [
        pytest.param("2025-10-01", "2025-10-08", id="national day and mid-autumn 2025: 10-01..10-08 off"),
        pytest.param("2026-02-15", "2026-02-23", id="spring festival 2026: 02-15..02-23 off"),
        pytest.param("2026-10-01", "2026-10-07", id="national day 2026: 10-01..10-07 off"),
    ],
)
def test_package_matches_the_published_holidays(first, last):
    days = _dates(first, last)
    assert days <= CAL.holidays
    assert not any(CAL.is_working_day(day) for day in days)
    before, after = min(days) - dt.timedelta(days=1), max(days) + dt.timedelta(days=1)
    assert before not in CAL.holidays and after not in CAL.holidays


def test_holiday_names_are_stored_in_chinese_with_their_kind():
    rows = {day: (kind, name) for day, kind, name in china_days([2026])}
    assert rows[dt.date(2026, 2, 17)] == ("holiday", "春节")
    assert rows[dt.date(2026, 2, 14)] == ("makeup_workday", "春节")
    assert rows[dt.date(2026, 10, 1)] == ("holiday", "国庆节")


def test_snapshot_days_and_periods():
    monday = dt.date(2026, 11, 23)
    assert CAL.periods_on(monday) == ((dt.time(8, 30), dt.time(12)), (dt.time(13, 30), dt.time(17, 30)))
    assert CAL.periods_on(dt.date(2026, 11, 28)) == ()
    assert CAL.periods_on(dt.date(2026, 2, 14)) == CAL.periods_on(monday)  # make-up Saturday
    assert CAL.periods_on(dt.date(2026, 2, 16)) == ()  # holiday on a Monday
    assert CAL.close_of_business(monday) == at("2026-11-23 17:30")
    assert CAL.close_of_business(dt.date(2026, 11, 29)) is None


# ---------------------------------------------------------------- working days

WORKING_DAYS = [
    # N = 0: "the same working day"
    ("2026-11-23 07:00", 0, "2026-11-23 17:30", "monday 07:00 before opening 0 working days -> monday 17:30"),
    ("2026-11-23 08:30", 0, "2026-11-23 17:30", "monday exactly 08:30 0 working days -> monday 17:30"),
    ("2026-11-23 10:00", 0, "2026-11-23 17:30", "monday 10:00 inside hours 0 working days -> monday 17:30"),
    ("2026-11-23 12:00", 0, "2026-11-23 17:30", "monday exactly 12:00 0 working days -> monday 17:30"),
    ("2026-11-23 12:45", 0, "2026-11-23 17:30", "monday 12:45 lunch break 0 working days -> monday 17:30"),
    ("2026-11-23 17:29", 0, "2026-11-23 17:30", "monday 17:29 0 working days -> monday 17:30"),
    ("2026-11-23 17:30", 0, "2026-11-24 17:30", "monday exactly 17:30 close 0 working days -> tuesday 17:30"),
    ("2026-11-23 19:00", 0, "2026-11-24 17:30", "monday 19:00 after close 0 working days -> tuesday 17:30"),
    ("2026-11-27 18:00", 0, "2026-11-30 17:30", "friday 18:00 0 working days -> monday 17:30"),
    ("2026-11-28 10:00", 0, "2026-11-30 17:30", "saturday 0 working days -> monday 17:30"),
    # N >= 1: the start day is never counted
    ("2026-11-27 17:00", 3, "2026-12-02 17:30", "friday 17:00 commercial 3 working days -> wednesday 17:30"),
    ("2026-11-23 07:00", 1, "2026-11-24 17:30", "monday 07:00 before opening 1 working day -> tuesday 17:30"),
    ("2026-11-23 08:30", 1, "2026-11-24 17:30", "monday exactly 08:30 1 working day -> tuesday 17:30"),
    ("2026-11-23 17:30", 1, "2026-11-24 17:30", "monday exactly 17:30 1 working day -> tuesday 17:30"),
    ("2026-11-23 20:00", 1, "2026-11-24 17:30", "monday 20:00 1 working day -> tuesday 17:30"),
    ("2026-11-28 10:00", 1, "2026-11-30 17:30", "saturday 1 working day -> monday 17:30"),
    ("2026-11-29 23:59", 1, "2026-11-30 17:30", "sunday 23:59 1 working day -> monday 17:30"),
    ("2026-11-29 23:59", 2, "2026-12-01 17:30", "sunday 23:59 2 working days -> tuesday 17:30"),
    ("2026-11-23 09:00", 5, "2026-11-30 17:30", "monday 5 working days -> next monday 17:30"),
    ("2026-11-25 09:00", 12, "2026-12-11 17:30", "wednesday 12 working days -> friday after next 17:30"),
    # Spring Festival 2026: 02-15..02-23 off, make-up Saturdays 02-14 and 02-28
    (
        "2026-02-13 17:00",
        0,
        "2026-02-13 17:30",
        "spring festival: friday 02-13 17:00 0 working days -> same day",
    ),
    (
        "2026-02-13 18:00",
        0,
        "2026-02-14 17:30",
        "spring festival: friday 02-13 18:00 0 -> make-up saturday 02-14",
    ),
    ("2026-02-13 17:00", 1, "2026-02-14 17:30", "spring festival: friday 02-13 1 -> make-up saturday 02-14"),
    (
        "2026-02-13 17:00",
        2,
        "2026-02-24 17:30",
        "spring festival: friday 02-13 2 -> tuesday 02-24 after holiday",
    ),
    ("2026-02-12 10:00", 5, "2026-02-26 17:30", "spring festival: thursday 02-12 5 -> thursday 02-26"),
    ("2026-02-14 10:00", 0, "2026-02-14 17:30", "spring festival: make-up saturday 02-14 0 -> same day"),
    ("2026-02-14 18:00", 0, "2026-02-24 17:30", "spring festival: make-up saturday after close 0 -> 02-24"),
    ("2026-02-16 10:00", 0, "2026-02-24 17:30", "spring festival: holiday monday 02-16 0 -> tuesday 02-24"),
    ("2026-02-16 10:00", 1, "2026-02-24 17:30", "spring festival: holiday monday 02-16 1 -> tuesday 02-24"),
    ("2026-02-15 10:00", 3, "2026-02-26 17:30", "spring festival: holiday sunday 02-15 3 -> thursday 02-26"),
    ("2026-02-27 09:00", 1, "2026-02-28 17:30", "spring festival: friday 02-27 1 -> make-up saturday 02-28"),
    ("2026-02-26 09:00", 3, "2026-03-02 17:30", "spring festival: thursday 02-26 3 -> monday 03-02"),
    # National Day 2025: 10-01..10-08 off, make-up Sunday 09-28 and Saturday 10-11
    ("2025-09-26 17:00", 1, "2025-09-28 17:30", "national day 2025: friday 09-26 1 -> make-up sunday 09-28"),
    ("2025-09-28 09:00", 1, "2025-09-29 17:30", "national day 2025: make-up sunday 09-28 1 -> monday 09-29"),
    ("2025-09-30 10:00", 1, "2025-10-09 17:30", "national day 2025: tuesday 09-30 1 -> thursday 10-09"),
    ("2025-09-30 10:00", 0, "2025-09-30 17:30", "national day 2025: tuesday 09-30 0 -> same day"),
    (
        "2025-10-03 10:00",
        0,
        "2025-10-09 17:30",
        "national day 2025: holiday friday 10-03 0 -> thursday 10-09",
    ),
    (
        "2025-10-09 10:00",
        2,
        "2025-10-11 17:30",
        "national day 2025: thursday 10-09 2 -> make-up saturday 10-11",
    ),
    ("2025-09-26 17:00", 5, "2025-10-10 17:30", "national day 2025: friday 09-26 5 -> friday 10-10"),
    (
        "2025-09-26 17:00",
        6,
        "2025-10-11 17:30",
        "national day 2025: friday 09-26 6 -> make-up saturday 10-11",
    ),
    # National Day 2026: 10-01..10-07 off, make-up Sunday 09-20 and Saturday 10-10; mid-autumn 09-25 off
    ("2026-09-18 17:00", 1, "2026-09-20 17:30", "national day 2026: friday 09-18 1 -> make-up sunday 09-20"),
    (
        "2026-09-24 10:00",
        1,
        "2026-09-28 17:30",
        "national day 2026: thursday 09-24 1 -> monday 09-28 (mid-autumn)",
    ),
    ("2026-09-30 10:00", 1, "2026-10-08 17:30", "national day 2026: wednesday 09-30 1 -> thursday 10-08"),
    (
        "2026-10-09 10:00",
        1,
        "2026-10-10 17:30",
        "national day 2026: friday 10-09 1 -> make-up saturday 10-10",
    ),
    (
        "2026-10-05 10:00",
        3,
        "2026-10-10 17:30",
        "national day 2026: holiday monday 10-05 3 -> saturday 10-10",
    ),
    # into 2027: no official schedule, weekends only
    (
        "2026-12-30 17:00",
        3,
        "2027-01-04 17:30",
        "wednesday 2026-12-30 3 -> monday 2027-01-04 (weekends only)",
    ),
]


@pytest.mark.parametrize(
    "start, amount, expected", [pytest.param(*row[:3], id=row[3]) for row in WORKING_DAYS]
)
def test_working_days(start, amount, expected):
    due = sla.add_duration(CAL, at(start), amount, "working_days")
    assert due.at == at(expected)
    assert due.at.tzinfo == SH


# ---------------------------------------------------------------- working hours

WORKING_HOURS = [
    ("2026-11-23 09:00", 1, "2026-11-23 10:00", "monday 09:00 1 working hour -> 10:00"),
    ("2026-11-23 08:30", 1, "2026-11-23 09:30", "monday exactly 08:30 1 working hour -> 09:30"),
    ("2026-11-23 07:00", 1, "2026-11-23 09:30", "monday 07:00 before opening 1 working hour -> 09:30"),
    ("2026-11-23 11:00", 1, "2026-11-23 12:00", "monday 11:00 1 working hour ends at 12:00, not 13:30"),
    ("2026-11-23 11:00", 2, "2026-11-23 14:30", "monday 11:00 2 working hours across lunch -> 14:30"),
    ("2026-11-23 12:00", 1, "2026-11-23 14:30", "monday exactly 12:00 1 working hour -> 14:30"),
    ("2026-11-23 12:30", 1, "2026-11-23 14:30", "monday 12:30 lunch break 1 working hour -> 14:30"),
    ("2026-11-23 16:30", 1, "2026-11-23 17:30", "monday 16:30 1 working hour ends at 17:30, not tomorrow"),
    ("2026-11-23 17:00", 1, "2026-11-24 09:00", "monday 17:00 1 working hour over night -> tuesday 09:00"),
    ("2026-11-23 17:30", 1, "2026-11-24 09:30", "monday exactly 17:30 1 working hour -> tuesday 09:30"),
    ("2026-11-23 08:30", 8, "2026-11-24 09:00", "monday 08:30 8 working hours (day = 7.5) -> tuesday 09:00"),
    (
        "2026-11-27 17:00",
        2,
        "2026-11-30 10:00",
        "friday 17:00 2 working hours over the weekend -> monday 10:00",
    ),
    ("2026-11-28 10:00", 1, "2026-11-30 09:30", "saturday 1 working hour -> monday 09:30"),
    ("2026-11-23 20:00", 0, "2026-11-23 20:00", "0 working hours outside hours -> the start itself"),
    ("2026-02-13 16:30", 2, "2026-02-14 09:30", "spring festival: friday 16:30 2 -> make-up saturday 09:30"),
    (
        "2026-02-14 17:00",
        1,
        "2026-02-24 09:00",
        "spring festival: make-up saturday 17:00 1 -> tuesday 02-24 09:00",
    ),
    ("2026-02-18 10:00", 2, "2026-02-24 10:30", "spring festival: holiday 02-18 2 -> tuesday 02-24 10:30"),
    ("2025-09-28 08:30", 1, "2025-09-28 09:30", "national day 2025: make-up sunday 08:30 1 -> 09:30"),
    (
        "2025-09-30 17:00",
        1,
        "2025-10-09 09:00",
        "national day 2025: tuesday 09-30 17:00 1 -> thursday 10-09 09:00",
    ),
    (
        "2026-09-30 16:00",
        2,
        "2026-10-08 09:00",
        "national day 2026: wednesday 09-30 16:00 2 -> thursday 10-08 09:00",
    ),
    (
        "2026-10-09 17:00",
        1,
        "2026-10-10 09:00",
        "national day 2026: friday 10-09 17:00 1 -> make-up saturday 09:00",
    ),
]


@pytest.mark.parametrize(
    "start, amount, expected", [pytest.param(*row[:3], id=row[3]) for row in WORKING_HOURS]
)
def test_working_hours(start, amount, expected):
    due = sla.add_duration(CAL, at(start), amount, "working_hours")
    assert due.at == at(expected)


# ---------------------------------------------------------------- calendar units

CALENDAR_UNITS = [
    ("2026-11-23 23:55", 10, "minutes", "2026-11-24 00:05", "23:55 10 minutes across midnight -> 00:05"),
    ("2026-02-16 10:00", 30, "minutes", "2026-02-16 10:30", "holiday 30 minutes -> 24x7, holidays ignored"),
    (
        "2026-01-31 23:30",
        1,
        "hours",
        "2026-02-01 00:30",
        "01-31 23:30 1 hour across month end -> 02-01 00:30",
    ),
    ("2026-12-31 23:50", 2, "hours", "2027-01-01 01:50", "12-31 23:50 2 hours across year end"),
    ("2026-02-14 18:00", 24, "hours", "2026-02-15 18:00", "24 hours over spring festival -> wall clock"),
    ("2026-11-27 10:00", 3, "days", "2026-12-01 00:00", "friday 3 calendar days -> 24:00 of monday"),
    ("2026-11-27 00:00", 0, "days", "2026-11-28 00:00", "0 calendar days -> 24:00 the same day"),
    ("2026-11-27 23:59", 1, "days", "2026-11-29 00:00", "23:59 1 calendar day -> 24:00 the next day"),
    ("2026-02-27 10:00", 1, "days", "2026-03-01 00:00", "02-27 1 day -> 24:00 of 02-28 (month end)"),
    ("2028-02-28 10:00", 1, "days", "2028-03-01 00:00", "leap year 02-28 1 day -> 24:00 of 02-29"),
    ("2026-12-31 08:00", 1, "days", "2027-01-02 00:00", "12-31 1 day -> 24:00 of 2027-01-01 (year end)"),
    ("2026-09-30 09:00", 30, "days", "2026-10-31 00:00", "30 calendar days count holidays"),
]


@pytest.mark.parametrize(
    "start, amount, unit, expected", [pytest.param(*row[:4], id=row[4]) for row in CALENDAR_UNITS]
)
def test_calendar_units(start, amount, unit, expected):
    due = sla.add_duration(CAL, at(start), amount, unit)
    assert due.at == at(expected)
    assert not due.is_provisional  # holidays cannot move a calendar-time deadline


# ---------------------------------------------------------------- time zones


@pytest.mark.parametrize(
    "start_utc, amount, unit, expected",
    [
        pytest.param(
            "2026-11-27 09:00",
            3,
            "working_days",
            "2026-12-02 17:30",
            id="utc 09:00 = friday 17:00 local, 3 working days -> wednesday 17:30 local",
        ),
        pytest.param(
            "2026-11-27 16:30",
            0,
            "working_days",
            "2026-11-30 17:30",
            id="utc friday 16:30 = saturday 00:30 local, 0 working days -> monday",
        ),
        pytest.param(
            "2026-11-27 16:30",
            0,
            "days",
            "2026-11-29 00:00",
            id="utc friday 16:30 = saturday local, 0 days -> 24:00 saturday local",
        ),
        pytest.param(
            "2026-11-23 03:30",
            1,
            "working_hours",
            "2026-11-23 14:00",
            id="utc 03:30 = 11:30 local, 1 working hour across lunch -> 14:00 local",
        ),
        pytest.param(
            "2026-11-23 15:55",
            10,
            "minutes",
            "2026-11-24 00:05",
            id="utc 15:55 = 23:55 local, 10 minutes -> 00:05 local",
        ),
    ],
)
def test_input_in_utc_gives_local_deadlines(start_utc, amount, unit, expected):
    due = sla.add_duration(CAL, at(start_utc, UTC), amount, unit)
    assert due.at == at(expected)
    assert due.at.utcoffset() == h(8)
    assert due.at.tzinfo == SH


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        sla.add_duration(CAL, dt.datetime(2026, 11, 23, 9), 1, "working_days")
    with pytest.raises(ValueError, match="timezone-aware"):
        sla.working_time_between(CAL, at("2026-11-23 09:00"), dt.datetime(2026, 11, 23, 10))


def test_unknown_unit_and_negative_amounts_are_refused():
    with pytest.raises(ValueError, match="unknown unit"):
        sla.add_duration(CAL, at("2026-11-23 09:00"), 1, "fortnights")
    with pytest.raises(ValueError, match="negative"):
        sla.add_duration(CAL, at("2026-11-23 09:00"), -1, "working_days")


BERLIN = ZoneInfo("Europe/Berlin")
BERLIN_CAL = sla.CalendarSnapshot(tz=BERLIN, periods={d: ((dt.time(8), dt.time(16)),) for d in range(5)})


@pytest.mark.parametrize(
    "start, amount, unit, expected",
    [
        pytest.param(
            "2026-03-29 01:30",
            60,
            "minutes",
            "2026-03-29 03:30",
            id="dst spring forward: 01:30 + 60 minutes elapsed -> 03:30 CEST",
        ),
        pytest.param(
            "2026-10-25 01:30",
            120,
            "minutes",
            "2026-10-25 02:30",
            id="dst fall back: 01:30 CEST + 120 minutes elapsed -> 02:30 CET",
        ),
        pytest.param("2026-03-28 10:00", 0, "days", "2026-03-29 00:00", id="dst: 0 days -> local midnight"),
        pytest.param(
            "2026-03-27 15:00",
            2,
            "working_hours",
            "2026-03-30 09:00",
            id="dst weekend: friday 15:00 2 working hours -> monday 09:00 local",
        ),
        pytest.param(
            "2026-03-27 15:00",
            1,
            "working_days",
            "2026-03-30 16:00",
            id="dst weekend: friday 1 working day -> monday 16:00 local",
        ),
    ],
)
def test_zone_with_daylight_saving(start, amount, unit, expected):
    due = sla.add_duration(BERLIN_CAL, at(start, BERLIN), amount, unit)
    expected_at = at(expected, BERLIN)
    if expected == "2026-10-25 02:30":
        expected_at = expected_at.replace(fold=1)  # the second 02:30 (CET)
    assert due.at.astimezone(UTC) == expected_at.astimezone(UTC)
    assert due.at.tzinfo == BERLIN


# ---------------------------------------------------------------- provisional deadlines


@pytest.mark.parametrize(
    "start, amount, unit, is_provisional",
    [
        pytest.param(
            "2026-12-30 17:00", 3, "working_days", True, id="working days reaching 2027 -> provisional"
        ),
        pytest.param(
            "2026-12-25 17:00", 3, "working_days", False, id="working days ending 2026-12-30 -> official"
        ),
        pytest.param(
            "2026-12-31 17:00", 1, "working_hours", True, id="working hours reaching 2027 -> provisional"
        ),
        pytest.param("2027-03-01 09:00", 1, "working_hours", True, id="start in 2027 -> provisional"),
        pytest.param("2026-02-13 17:00", 2, "working_days", False, id="spring festival 2026 -> official"),
        pytest.param(
            "2026-12-31 23:00", 2, "hours", False, id="calendar hours into 2027 -> never provisional"
        ),
        pytest.param("2026-12-31 23:00", 2, "days", False, id="calendar days into 2027 -> never provisional"),
    ],
)
def test_provisional_flag(start, amount, unit, is_provisional):
    assert sla.add_duration(CAL, at(start), amount, unit).is_provisional is is_provisional


def test_year_without_schedule_uses_weekends_only():
    # 2027-01-01 is New Year's Day, but 2027 is not loaded: it counts as a working Friday.
    due = sla.add_duration(CAL, at("2026-12-31 10:00"), 1, "working_days")
    assert due == sla.Due(at("2027-01-01 17:30"), True)
    # With 2026 not loaded either, the spring festival is unknown and every 2026 deadline is provisional.
    older = china_snapshot(range(2020, 2026))
    due = sla.add_duration(older, at("2026-02-13 17:00"), 2, "working_days")
    assert due == sla.Due(at("2026-02-17 17:30"), True)


# ---------------------------------------------------------------- pauses


@pytest.mark.parametrize(
    "due, unit, paused, expected",
    [
        pytest.param(
            "2026-11-23 10:00",
            "minutes",
            dt.timedelta(minutes=15),
            "2026-11-23 10:15",
            id="minutes: due 10:00 paused 15 minutes -> 10:15",
        ),
        pytest.param(
            "2026-11-23 23:00",
            "hours",
            h(2),
            "2026-11-24 01:00",
            id="hours: due 23:00 paused 2 hours -> 01:00 (24x7)",
        ),
        pytest.param(
            "2026-12-01 00:00",
            "days",
            h(27),
            "2026-12-02 03:00",
            id="days: due 24:00 paused 27 hours -> 03:00 two days on (wall time)",
        ),
        pytest.param(
            "2026-11-23 11:00",
            "working_hours",
            h(2),
            "2026-11-23 14:30",
            id="working hours: due 11:00 paused 2 working hours -> 14:30 across lunch",
        ),
        pytest.param(
            "2026-11-23 12:00",
            "working_hours",
            h(1),
            "2026-11-23 14:30",
            id="working hours: due at 12:00 period end paused 1 -> continues at 13:30 -> 14:30",
        ),
        pytest.param(
            "2026-11-27 17:30",
            "working_days",
            h(1),
            "2026-11-30 09:30",
            id="working days: due friday 17:30 paused 1 working hour -> monday 09:30",
        ),
        pytest.param(
            "2026-11-27 17:30",
            "working_days",
            h(7.5),
            "2026-11-30 17:30",
            id="working days: due friday 17:30 paused a full working day -> monday 17:30",
        ),
        pytest.param(
            "2026-02-13 17:30",
            "working_days",
            h(3.5),
            "2026-02-14 12:00",
            id="spring festival: due friday 17:30 paused 3.5 -> make-up saturday 12:00",
        ),
        pytest.param(
            "2026-02-13 17:30",
            "working_days",
            h(4),
            "2026-02-14 14:00",
            id="spring festival: due friday 17:30 paused 4 -> make-up saturday 14:00",
        ),
        pytest.param(
            "2026-11-23 10:00",
            "working_hours",
            dt.timedelta(0),
            "2026-11-23 10:00",
            id="no pause -> due unchanged",
        ),
    ],
)
def test_extend_by_after_a_pause(due, unit, paused, expected):
    extended = sla.extend_by(CAL, at(due), unit, paused)
    assert extended.at == at(expected)


def test_pause_measured_in_working_time_then_extended():
    # Paused Friday 16:00, resumed Monday 10:00: 1.5 + 1.5 working hours stood still.
    paused = sla.working_time_between(CAL, at("2026-11-27 16:00"), at("2026-11-30 10:00"))
    assert paused == h(3)
    assert sla.extend_by(CAL, at("2026-12-02 17:30"), "working_days", paused).at == at("2026-12-03 11:30")


def test_extend_by_flags_a_move_into_2027():
    extended = sla.extend_by(CAL, at("2026-12-31 17:30"), "working_days", h(1))
    assert extended == sla.Due(at("2027-01-01 09:30"), True)


# ---------------------------------------------------------------- warnings at 80%


@pytest.mark.parametrize(
    "start, amount, unit, expected_warn",
    [
        pytest.param(
            "2026-11-23 10:00", 10, "minutes", "2026-11-23 10:08", id="minutes: 80% of 10 minutes -> +8"
        ),
        pytest.param(
            "2026-11-23 10:00", 2, "hours", "2026-11-23 11:36", id="hours: 80% of 2 hours -> +96 minutes"
        ),
        pytest.param(
            "2026-11-27 10:00",
            2,
            "days",
            "2026-11-29 11:36",
            id="days: 80% of 62 wall hours to 24:00 of sunday -> sunday 11:36",
        ),
        pytest.param(
            "2026-11-23 09:00",
            5,
            "working_hours",
            "2026-11-23 14:30",
            id="working hours: 80% of 5 -> 4 working hours across lunch -> 14:30",
        ),
        pytest.param(
            "2026-11-27 17:00",
            3,
            "working_days",
            "2026-12-02 11:24",
            id="working days: friday 17:00 3 -> 23 working hours, 80% = 18h24 -> wednesday 11:24",
        ),
        pytest.param(
            "2026-02-13 17:00",
            2,
            "working_days",
            "2026-02-24 14:24",
            id="spring festival: 80% of 15.5 working hours (make-up saturday counted) -> 02-24 14:24",
        ),
    ],
)
def test_warn_at_80_percent(start, amount, unit, expected_warn):
    due = sla.add_duration(CAL, at(start), amount, unit).at
    warn = sla.warn_at(CAL, at(start), due, unit, 80)
    assert warn == at(expected_warn)
    assert at(start) <= warn <= due


def test_warn_at_edges():
    start, due = at("2026-11-23 09:00"), at("2026-11-23 14:00")
    assert sla.warn_at(CAL, start, due, "working_hours", 100) == due
    assert sla.warn_at(CAL, start, due, "working_hours", 0) == start
    assert sla.warn_at(CAL, due, start, "hours", 80) == start  # a due time before the start: warn at due


# ---------------------------------------------------------------- working time between


@pytest.mark.parametrize(
    "start, end, expected",
    [
        pytest.param("2026-11-23 09:00", "2026-11-23 10:00", h(1), id="inside a period -> 1h"),
        pytest.param("2026-11-23 11:00", "2026-11-23 14:00", h(1.5), id="across lunch -> 1.5h"),
        pytest.param("2026-11-23 12:10", "2026-11-23 13:20", h(0), id="inside lunch -> 0"),
        pytest.param("2026-11-23 08:30", "2026-11-23 17:30", h(7.5), id="a whole working day -> 7.5h"),
        pytest.param("2026-11-23 00:00", "2026-11-24 00:00", h(7.5), id="midnight to midnight -> 7.5h"),
        pytest.param("2026-11-23 17:00", "2026-11-24 09:00", h(1), id="over night -> 1h"),
        pytest.param("2026-11-27 17:00", "2026-11-30 09:00", h(1), id="over the weekend -> 1h"),
        pytest.param("2026-11-28 09:00", "2026-11-29 17:00", h(0), id="weekend only -> 0"),
        pytest.param(
            "2026-02-13 17:00",
            "2026-02-24 09:00",
            h(8.5),
            id="spring festival incl. make-up saturday -> 8.5h",
        ),
        pytest.param(
            "2026-02-15 00:00", "2026-02-23 23:59", h(0), id="the whole spring festival holiday -> 0"
        ),
        pytest.param("2025-09-30 17:00", "2025-10-09 09:00", h(1), id="national day 2025 -> 1h"),
        pytest.param("2026-11-23 10:00", "2026-11-23 10:00", h(0), id="same instant -> 0"),
        pytest.param("2026-12-31 17:00", "2027-01-01 09:00", h(1), id="into 2027 weekends-only -> 1h"),
    ],
)
def test_working_time_between(start, end, expected):
    assert sla.working_time_between(CAL, at(start), at(end)) == expected
    # Symmetric: swapping the instants negates the working time.
    assert sla.working_time_between(CAL, at(end), at(start)) == -expected
    assert sla.elapsed_between(CAL, at(start), at(end), "working_hours") == expected
    assert sla.elapsed_between(CAL, at(start), at(end), "working_days") == expected


def test_working_time_between_mixed_zones():
    assert sla.working_time_between(CAL, at("2026-11-23 01:00", UTC), at("2026-11-23 09:30")) == h(0.5)


def test_elapsed_between_calendar_units_is_wall_time():
    start, end = at("2026-11-27 17:00"), at("2026-11-30 09:00")
    for unit in ("minutes", "hours", "days"):
        assert sla.elapsed_between(CAL, start, end, unit) == h(64)


def test_snapshot_rejects_overlapping_or_empty_periods():
    with pytest.raises(ValueError, match="overlap"):
        sla.CalendarSnapshot(tz=SH, periods={0: ((dt.time(9), dt.time(12)), (dt.time(11), dt.time(13)))})
    with pytest.raises(ValueError, match="at least one"):
        sla.CalendarSnapshot(tz=SH, periods={})


def test_long_amounts_cross_several_years():
    due = sla.add_duration(CAL, at("2021-01-04 09:00"), 1000, "working_days")
    assert due.is_provisional is False
    assert due.at.date().year == 2025
    assert sla.working_time_between(CAL, at("2021-01-04 17:30"), due.at) == h(7.5 * 1000)
