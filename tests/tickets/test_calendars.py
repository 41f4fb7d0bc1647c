"""Working calendars in the database: seeding China's schedule, snapshots, coverage alerts."""

import datetime as dt
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command

from accounts.models import Role
from notifications.models import Notification
from tests.factories import OrgUnitFactory, UserFactory, make_staff
from tickets import calendars, sla
from tickets.calendar_tasks import check_calendar_coverage
from tickets.models import CalendarDay, CalendarYear, WorkCalendar, WorkingPeriod

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
PACKAGE_YEARS = list(range(2020, 2027))


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SH)


def StaffFactory(*, username, role):  # noqa: N802 - reads like the shared factories
    return make_staff(role, OrgUnitFactory(code="CAL-CENTRE"), username=username)


@pytest.fixture
def office():
    calendars.seed_china_calendar()
    return WorkCalendar.objects.get(code="CN-OFFICE")


def test_seed_creates_the_office_calendar_with_official_years(office):
    assert office.name == "中国大陆办公日历"
    assert office.time_zone == "Asia/Shanghai"
    periods = set(WorkingPeriod.objects.filter(calendar=office).values_list("weekday", "start", "end"))
    assert periods == {
        (weekday, start, end)
        for weekday in range(5)
        for start, end in ((dt.time(8, 30), dt.time(12)), (dt.time(13, 30), dt.time(17, 30)))
    }
    years = dict(CalendarYear.objects.filter(calendar=office).values_list("year", "source"))
    assert sorted(years) == PACKAGE_YEARS
    assert set(years.values()) == {"chinesecalendar 1.11.0"}


def test_seed_stores_2026_make_up_days_explicitly(office):
    makeup = CalendarDay.objects.filter(calendar=office, date__year=2026, kind="makeup_workday")
    assert {(d.date.isoformat(), d.name) for d in makeup} == {
        ("2026-01-04", "元旦"),
        ("2026-02-14", "春节"),
        ("2026-02-28", "春节"),
        ("2026-05-09", "劳动节"),
        ("2026-09-20", "国庆节"),
        ("2026-10-10", "国庆节"),
    }
    spring = CalendarDay.objects.filter(calendar=office, date__range=("2026-02-15", "2026-02-23"))
    assert [d.kind for d in spring] == [CalendarDay.Kind.HOLIDAY] * 9


def test_seed_is_idempotent_and_cheap_when_nothing_changed(office, django_assert_max_num_queries):
    counts = (CalendarDay.objects.count(), CalendarYear.objects.count(), WorkingPeriod.objects.count())
    updated_at = office.updated_at
    with django_assert_max_num_queries(6):
        assert calendars.seed_china_calendar() == PACKAGE_YEARS
    assert counts == (
        CalendarDay.objects.count(),
        CalendarYear.objects.count(),
        WorkingPeriod.objects.count(),
    )
    office.refresh_from_db()
    assert office.updated_at == updated_at  # nothing changed: cached snapshots stay valid


def test_seed_corrects_package_days_and_keeps_local_ones(office):
    CalendarDay.objects.filter(calendar=office, date="2026-02-14").update(kind=CalendarDay.Kind.HOLIDAY)
    local = CalendarDay.objects.create(
        calendar=office, date=dt.date(2026, 3, 6), kind="holiday", name="城市停气日"
    )
    calendars.seed_china_calendar(office, years=[2026])
    assert CalendarDay.objects.get(calendar=office, date="2026-02-14").kind == CalendarDay.Kind.MAKEUP_WORKDAY
    assert CalendarDay.objects.filter(pk=local.pk).exists()


def test_seed_of_an_empty_calendar_loads_every_year_quickly():
    branch = WorkCalendar.objects.create(code="CN-BRANCH", name="分公司日历")
    started = dt.datetime.now()
    assert calendars.seed_china_calendar(branch) == PACKAGE_YEARS
    assert (dt.datetime.now() - started) < dt.timedelta(seconds=1)
    assert CalendarDay.objects.filter(calendar=branch, kind="makeup_workday").count() == 46
    assert CalendarYear.objects.filter(calendar=branch).count() == len(PACKAGE_YEARS)


def test_snapshot_reads_three_queries_then_comes_from_the_cache(office, django_assert_num_queries):
    calendars._snapshots.clear()
    with django_assert_num_queries(3):
        snapshot = calendars.get_snapshot(office)
    with django_assert_num_queries(0):
        assert calendars.get_snapshot(office) is snapshot
    assert snapshot.official_years == frozenset(PACKAGE_YEARS)
    assert snapshot.is_working_day(dt.date(2026, 2, 14)) and not snapshot.is_working_day(dt.date(2026, 2, 16))
    assert sla.add_duration(snapshot, at("2026-02-13 17:00"), 2, "working_days") == sla.Due(
        at("2026-02-24 17:30"), False
    )


def test_editing_a_day_invalidates_the_snapshot(office):
    before = calendars.get_snapshot(office)
    assert sla.add_duration(before, at("2026-03-05 10:00"), 1, "working_days").at == at("2026-03-06 17:30")
    # A local holiday entered in the admin (saved like the admin does: one row, signals fire).
    CalendarDay.objects.create(calendar=office, date=dt.date(2026, 3, 6), kind="holiday", name="城市停气日")
    office.refresh_from_db()
    after = calendars.get_snapshot(office)
    assert after is not before
    assert sla.add_duration(after, at("2026-03-05 10:00"), 1, "working_days").at == at("2026-03-09 17:30")

    CalendarDay.objects.get(calendar=office, date=dt.date(2026, 3, 6)).delete()
    office.refresh_from_db()
    assert calendars.get_snapshot(office).is_working_day(dt.date(2026, 3, 6))


def test_editing_working_periods_or_years_invalidates_the_snapshot(office):
    with time_machine.travel(at("2026-11-26 09:00"), tick=False):
        calendars.get_snapshot(office)
        period = WorkingPeriod.objects.get(calendar=office, weekday=4, start=dt.time(13, 30))
        period.end = dt.time(16, 30)
        period.save()  # same frozen instant: updated_at still moves forward
        office.refresh_from_db()
        snapshot = calendars.get_snapshot(office)
        assert snapshot.close_of_business(dt.date(2026, 11, 27)) == at("2026-11-27 16:30")

        CalendarYear.objects.create(calendar=office, year=2027, source="manual")
        office.refresh_from_db()
        assert 2027 in calendars.get_snapshot(office).official_years


def test_a_stale_calendar_instance_in_another_process_sees_the_new_version(office):
    """The cache key is (pk, updated_at): a freshly read calendar never gets an outdated snapshot."""
    stale = WorkCalendar.objects.get(pk=office.pk)
    old = calendars.get_snapshot(stale)
    calendars._snapshots[office.pk] = (stale.updated_at, old)  # as another process would still hold it
    CalendarDay.objects.create(calendar=office, date=dt.date(2026, 3, 6), kind="holiday", name="城市停气日")
    calendars._snapshots[office.pk] = (stale.updated_at, old)
    fresh = WorkCalendar.objects.get(pk=office.pk)
    assert fresh.updated_at > stale.updated_at
    assert not calendars.get_snapshot(fresh).is_working_day(dt.date(2026, 3, 6))


def test_missing_years(office):
    assert calendars.missing_years(office, dt.date(2027, 3, 1), today=dt.date(2026, 11, 26)) == [2027]
    assert calendars.missing_years(office, dt.date(2026, 12, 31), today=dt.date(2026, 6, 1)) == []
    assert calendars.missing_years(office, dt.date(2029, 1, 1), today=dt.date(2026, 6, 1)) == [
        2027,
        2028,
        2029,
    ]


def test_missing_year_alerts_administrators_once(office):
    admin = StaffFactory(username="cal-admin", role=Role.ADMINISTRATOR)
    root = UserFactory(username="cal-root", is_superuser=True, is_staff=True)
    clerk = StaffFactory(username="cal-clerk", role=Role.FRONT_DESK)
    Notification.objects.filter(template="calendar.missing_year").delete()

    assert calendars.alert_missing_calendar_years(now=at("2026-11-26 07:00")) == [2027]
    alerts = Notification.objects.filter(template="calendar.missing_year")
    assert {n.recipient for n in alerts} == {admin, root}
    assert clerk not in {n.recipient for n in alerts}
    assert all("2027" in n.rendered_title and "CN-OFFICE" in n.rendered_title for n in alerts)
    assert all(n.channel == "in_app" for n in alerts)

    # The next day's check does not repeat the alert.
    assert calendars.alert_missing_calendar_years(now=at("2026-11-27 07:00")) == [2027]
    assert Notification.objects.filter(template="calendar.missing_year").count() == 2


def test_no_alert_while_every_reachable_year_is_loaded(office):
    StaffFactory(username="cal-admin", role=Role.ADMINISTRATOR)
    Notification.objects.filter(template="calendar.missing_year").delete()
    assert calendars.alert_missing_calendar_years(now=at("2026-06-01 07:00")) == []
    assert not Notification.objects.filter(template="calendar.missing_year").exists()


def test_coverage_task_alerts_through_the_service(office):
    StaffFactory(username="cal-admin", role=Role.ADMINISTRATOR)
    Notification.objects.filter(template="calendar.missing_year").delete()
    assert check_calendar_coverage.name == "tickets.check_calendar_coverage"
    with time_machine.travel(at("2026-12-01 07:00"), tick=False):
        assert check_calendar_coverage.apply().get() == [2027]
    assert Notification.objects.filter(template="calendar.missing_year").count() == 1


def test_load_calendar_command_refreshes_and_recomputes(office):
    seen = []
    hook = calendars.register_provisional_recompute(lambda cal: seen.append(cal.code) or 3)
    try:
        CalendarDay.objects.filter(calendar=office, date__year=2026).delete()
        out = StringIO()
        call_command("load_calendar", "--year", "2026", stdout=out)
    finally:
        calendars.provisional_recompute_hooks.remove(hook)
    assert "CN-OFFICE: loaded 2026 from chinesecalendar 1.11.0" in out.getvalue()
    assert "provisional deadlines recomputed" in out.getvalue()
    assert seen == ["CN-OFFICE"]
    assert CalendarDay.objects.filter(calendar=office, date__year=2026, kind="makeup_workday").count() == 6


def test_load_calendar_refuses_a_year_the_package_does_not_know(office):
    with pytest.raises(CommandError, match="no official schedule for 2027"):
        call_command("load_calendar", "--year", "2027")
    assert not CalendarYear.objects.filter(calendar=office, year=2027).exists()


def test_recompute_hooks_sum_their_counts(office):
    hooks = list(calendars.provisional_recompute_hooks)
    calendars.provisional_recompute_hooks[:] = [lambda cal: 2, lambda cal: None]
    try:
        assert calendars.recompute_provisional_deadlines(office) == 2
    finally:
        calendars.provisional_recompute_hooks[:] = hooks
