"""Working calendars: loading China's official schedule, snapshots for the SLA engine, coverage alerts.

The only module that knows the holiday package (`chinesecalendar`, import `chinese_calendar`).
The State Council announces each year's holidays and make-up working days (调休), usually in
November for the following year; a year the package does not know yet is computed with weekends
only, flagged provisional, and the administrators are alerted to load it.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from importlib.metadata import version
from zoneinfo import ZoneInfo

import chinese_calendar
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import DateTimeField, ExpressionWrapper, F, Q
from django.db.models.functions import Greatest
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy

from accounts.roles import Role
from notifications import messages
from notifications.models import Kind as NotificationKind
from notifications.models import Notification
from notifications.services import notify

from .models import CalendarDay, CalendarYear, WorkCalendar, WorkingPeriod
from .sla import CalendarSnapshot

logger = logging.getLogger(__name__)

CN_OFFICE_CODE = "CN-OFFICE"
CN_OFFICE_NAME = "中国大陆办公日历"
CN_OFFICE_TZ = "Asia/Shanghai"
# Published working hours of the service halls: 08:30-12:00 and 13:30-17:30, Monday to Friday.
CN_OFFICE_PERIODS = ((dt.time(8, 30), dt.time(12, 0)), (dt.time(13, 30), dt.time(17, 30)))
CN_OFFICE_WEEKDAYS = (0, 1, 2, 3, 4)
FIRST_SEEDED_YEAR = 2020
# A deadline computed today can reach this far (the longest standards are ~30 working days).
COVERAGE_HORIZON = dt.timedelta(days=90)
CALENDAR_MISSING = "calendar.missing_year"
messages.register(
    CALENDAR_MISSING,
    title=gettext_lazy("The official holiday schedule for %(year)s is not loaded (calendar %(code)s)"),
    body=gettext_lazy(
        "Deadlines reaching into %(year)s are computed with weekends only and marked "
        "provisional. Load the schedule once the State Council has published it: "
        "manage.py load_calendar --year %(year)s (after updating the chinesecalendar package)."
    ),
)

# The package names holidays in English; we store the official Chinese names.
_HOLIDAY_NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


# ---------------------------------------------------------------- the package (no database)


def package_source() -> str:
    return f"chinesecalendar {version('chinesecalendar')}"


def _package_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 30))
    except (NotImplementedError, ValueError):
        return False
    return True


def available_china_years(first: int = FIRST_SEEDED_YEAR) -> list[int]:
    """Years from `first` to the last year the installed package has an official schedule for."""
    years = []
    year = first
    while _package_knows(year):
        years.append(year)
        year += 1
    return years


def china_days(years: Iterable[int]) -> Iterator[tuple[dt.date, str, str]]:
    """(date, kind, name) of each public holiday and make-up working day of the given years.

    Make-up working days (调休) are weekend days declared working days; the package files them under
    the holiday they compensate for, so the kind is stored explicitly.
    """
    wanted = set(years)
    for day, name in sorted(chinese_calendar.holidays.items()):
        if day.year in wanted:
            yield day, CalendarDay.Kind.HOLIDAY, _HOLIDAY_NAMES_ZH.get(str(name), str(name or ""))
    for day, name in sorted(chinese_calendar.workdays.items()):
        if day.year in wanted and day.weekday() >= 5:
            yield day, CalendarDay.Kind.MAKEUP_WORKDAY, _HOLIDAY_NAMES_ZH.get(str(name), str(name or ""))


def china_snapshot(years: Iterable[int] | None = None) -> CalendarSnapshot:
    """A CN-OFFICE snapshot straight from the package (no database): for tests and benchmarks.

    `years` are loaded as official (default: every year the package knows from 2020); any other
    year is not official, i.e. computed with weekends only and provisional.
    """
    years = available_china_years() if years is None else list(years)
    holidays, makeup = set(), set()
    for day, kind, _name in china_days(years):
        (holidays if kind == CalendarDay.Kind.HOLIDAY else makeup).add(day)
    return CalendarSnapshot(
        tz=ZoneInfo(CN_OFFICE_TZ),
        periods={weekday: CN_OFFICE_PERIODS for weekday in CN_OFFICE_WEEKDAYS},
        holidays=frozenset(holidays),
        makeup_days=frozenset(makeup),
        official_years=frozenset(years),
    )


# ---------------------------------------------------------------- snapshots


_snapshots: dict[int, tuple[dt.datetime, CalendarSnapshot]] = {}
_snapshots_lock = threading.Lock()


def get_snapshot(calendar: WorkCalendar) -> CalendarSnapshot:
    """The calendar as a CalendarSnapshot, cached per process until the calendar's updated_at changes."""
    cached = _snapshots.get(calendar.pk)
    if cached is not None and cached[0] == calendar.updated_at:
        return cached[1]
    periods: dict[int, list[tuple[dt.time, dt.time]]] = {}
    for weekday, start, end in (
        WorkingPeriod.objects.filter(calendar=calendar)
        .order_by("weekday", "start")
        .values_list("weekday", "start", "end")
    ):
        periods.setdefault(weekday, []).append((start, end))
    holidays, makeup = set(), set()
    for day, kind in CalendarDay.objects.filter(calendar=calendar).values_list("date", "kind"):
        (holidays if kind == CalendarDay.Kind.HOLIDAY else makeup).add(day)
    years = frozenset(CalendarYear.objects.filter(calendar=calendar).values_list("year", flat=True))
    snapshot = CalendarSnapshot(
        tz=ZoneInfo(calendar.time_zone),
        periods={weekday: tuple(spans) for weekday, spans in periods.items()},
        holidays=frozenset(holidays),
        makeup_days=frozenset(makeup),
        official_years=years,
    )
    with _snapshots_lock:
        _snapshots[calendar.pk] = (calendar.updated_at, snapshot)
    return snapshot


def touch_calendar(calendar_id: int) -> None:
    """Mark a calendar changed: snapshots cached in every process are rebuilt on their next use."""
    with _snapshots_lock:
        _snapshots.pop(calendar_id, None)
    # Strictly later than before, even under a frozen test clock.
    bumped = ExpressionWrapper(F("updated_at") + dt.timedelta(microseconds=1), output_field=DateTimeField())
    WorkCalendar.objects.filter(pk=calendar_id).update(updated_at=Greatest(timezone.now(), bumped))


@receiver([post_save, post_delete], sender=CalendarDay, dispatch_uid="calendar_changed_day")
@receiver([post_save, post_delete], sender=WorkingPeriod, dispatch_uid="calendar_changed_period")
@receiver([post_save, post_delete], sender=CalendarYear, dispatch_uid="calendar_changed_year")
def _calendar_row_changed(sender, instance, **kwargs):
    if kwargs.get("raw"):
        return
    touch_calendar(instance.calendar_id)


# ---------------------------------------------------------------- seeding China's schedule


def _china_calendar() -> WorkCalendar:
    calendar, created = WorkCalendar.objects.get_or_create(
        code=CN_OFFICE_CODE, defaults={"name": CN_OFFICE_NAME, "time_zone": CN_OFFICE_TZ}
    )
    if created or not WorkingPeriod.objects.filter(calendar=calendar).exists():
        WorkingPeriod.objects.bulk_create(
            WorkingPeriod(calendar=calendar, weekday=weekday, start=start, end=end)
            for weekday in CN_OFFICE_WEEKDAYS
            for start, end in CN_OFFICE_PERIODS
        )
    return calendar


def seed_china_calendar(
    calendar: WorkCalendar | None = None, years: Iterable[int] | None = None
) -> list[int]:
    """Load China's official holidays and make-up working days; returns the years loaded.

    Creates the CN-OFFICE calendar if needed. Idempotent and cheap when nothing changed (two
    reads, no writes). Days the package lists are created or corrected; other exceptions entered
    by the administrators are left alone.
    """
    with transaction.atomic():
        calendar = calendar or _china_calendar()
        years = available_china_years() if years is None else sorted({int(y) for y in years})
        known = [year for year in years if _package_knows(year)]
        if not known:
            return []
        wanted = {day: (kind, name) for day, kind, name in china_days(known)}
        existing = {
            row.date: row
            for row in CalendarDay.objects.filter(
                calendar=calendar, date__gte=dt.date(known[0], 1, 1), date__lte=dt.date(known[-1], 12, 31)
            )
        }
        source = package_source()
        loaded = dict(
            CalendarYear.objects.filter(calendar=calendar, year__in=known).values_list("year", "source")
        )
        new_days, changed_days = [], []
        for day, (kind, name) in wanted.items():
            row = existing.get(day)
            if row is None:
                new_days.append(CalendarDay(calendar=calendar, date=day, kind=kind, name=name))
            elif (row.kind, row.name) != (kind, name):
                row.kind, row.name = kind, name
                changed_days.append(row)
        years_to_record = [year for year in known if loaded.get(year) != source]
        if new_days or changed_days or years_to_record:
            CalendarDay.objects.bulk_create(new_days)
            CalendarDay.objects.bulk_update(changed_days, ["kind", "name"])
            CalendarYear.objects.bulk_create(
                [CalendarYear(calendar=calendar, year=year, source=source) for year in years_to_record],
                update_conflicts=True,
                unique_fields=["calendar", "year"],
                update_fields=["source", "loaded_at"],
            )
            touch_calendar(calendar.pk)
            logger.info(
                "calendar %s: loaded %s (%d new days, %d corrected)",
                calendar.code,
                known,
                len(new_days),
                len(changed_days),
            )
    return known


def missing_years(calendar: WorkCalendar, until: dt.date, *, today: dt.date | None = None) -> list[int]:
    """Years from this year to `until`'s year that have no official schedule loaded."""
    first = (today or timezone.localdate()).year
    loaded = set(
        CalendarYear.objects.filter(calendar=calendar, year__gte=first, year__lte=until.year).values_list(
            "year", flat=True
        )
    )
    return [year for year in range(first, until.year + 1) if year not in loaded]


def _administrators():
    return (
        get_user_model()
        .objects.filter(Q(is_superuser=True) | Q(staff_profile__role=Role.ADMINISTRATOR), is_active=True)
        .distinct()
    )


def alert_missing_calendar_years(*, now: dt.datetime) -> list[int]:
    """Alert administrators (once per year and calendar) about years a deadline may reach unofficially.

    Looks COVERAGE_HORIZON ahead (so next year's schedule is asked for from early October, when the
    State Council usually publishes it in November). Returns the missing years of every calendar.
    """
    today = timezone.localdate(now)
    until = timezone.localdate(now + COVERAGE_HORIZON)
    missing_all: set[int] = set()
    admins = None
    for calendar in WorkCalendar.objects.order_by("code"):
        for year in missing_years(calendar, until, today=today):
            missing_all.add(year)
            params = {"year": year, "code": calendar.code}
            if Notification.objects.filter(template=CALENDAR_MISSING, params=params).exists():
                continue
            admins = list(_administrators()) if admins is None else admins
            notify(
                recipients=admins,
                kind=NotificationKind.SYSTEM,
                template=CALENDAR_MISSING,
                params=params,
                now=now,
            )
            logger.warning(
                "calendar %s: no official schedule for %s; %d administrators alerted",
                calendar.code,
                year,
                len(admins),
            )
    return sorted(missing_all)


# ---------------------------------------------------------------- recomputing provisional deadlines

# Callables taking (calendar) and returning how many deadlines they recomputed; the tickets services
# register the real recompute here (tickets must not be imported from this module).
provisional_recompute_hooks: list[Callable[[WorkCalendar], int | None]] = []


def register_provisional_recompute(hook: Callable[[WorkCalendar], int | None]) -> Callable:
    if hook not in provisional_recompute_hooks:
        provisional_recompute_hooks.append(hook)
    return hook


def recompute_provisional_deadlines(calendar: WorkCalendar) -> int:
    """Recompute deadlines marked provisional once an official schedule has been loaded."""
    return sum(hook(calendar) or 0 for hook in list(provisional_recompute_hooks))
