"""The daily rollups plus the live part equal a computation from the raw milestones, for random data;
a late event makes its past day stale (read live) until it is rolled again."""

import datetime as dt

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboards import rollups, selectors
from dashboards.models import DailyRollup, RolledDay, RolledWeek, WeeklyRollup
from tests.tickets.factories import at
from tickets import services
from tickets.models import Channel, Milestone, Priority, Status, Ticket

from .conftest import NOW, deadline

TODAY = dt.date(2026, 11, 20)
FIRST = dt.date(2026, 11, 10)
GROUPINGS = [
    ("branch",),
    ("outlet",),
    ("service_type", "milestone"),
    ("channel",),
    ("priority",),
    ("handler",),
    ("branch", "handler"),
]

deadline_spec = st.fixed_dictionaries(
    {
        "ticket": st.integers(0, 4),
        "day": st.integers(0, 14),  # FIRST + day: past days, today and days ahead
        "minute": st.integers(0, 24 * 60 - 1),
        "met_after_minutes": st.one_of(st.none(), st.integers(-3000, 6000)),
        "unit": st.sampled_from(["working_hours", "working_days", "hours", "minutes"]),
        "amount": st.integers(0, 5),
    }
)


@pytest.fixture
def pool(org):
    """Five cases: two outlets of one branch (one case handled by the clerk, one urgent), another branch,
    one waiting on the customer, one cancelled; the channels as filed."""
    cases = [
        deadline(org, due_at=at(2026, 11, 1, 12), org_unit=org.outlet, assignee=org.clerk),
        deadline(
            org,
            due_at=at(2026, 11, 1, 12),
            org_unit=org.outlet2,
            code="INS-CI-STD",
            customer=org.restaurant,
            priority=Priority.URGENT,
        ),
        deadline(org, due_at=at(2026, 11, 1, 12), org_unit=org.far_outlet),
        deadline(org, due_at=at(2026, 11, 1, 12), org_unit=org.outlet, paused_at=at(2026, 11, 14, 9)),
        deadline(org, due_at=at(2026, 11, 1, 12), org_unit=org.outlet, status=Status.CANCELLED),
    ]
    Ticket.objects.filter(pk__in=[cases[1].pk, cases[2].pk]).update(channel=Channel.CITY_HOTLINE)
    return cases


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs=st.lists(deadline_spec, max_size=25))
def test_rollups_plus_live_part_equal_the_raw_computation(org, pool, specs):
    Milestone.objects.filter(ticket__in=pool).delete()
    DailyRollup.objects.all().delete()
    RolledDay.objects.all().delete()
    WeeklyRollup.objects.all().delete()
    RolledWeek.objects.all().delete()
    rows = []
    for i, spec in enumerate(specs):
        due = dt.datetime.combine(
            FIRST + dt.timedelta(days=spec["day"]), dt.time(), tzinfo=NOW.tzinfo
        ) + dt.timedelta(minutes=spec["minute"])
        met = (
            due + dt.timedelta(minutes=spec["met_after_minutes"])
            if spec["met_after_minutes"] is not None
            else None
        )
        if met is not None and met > NOW:
            met = None  # nothing is met in the future
        rows.append(
            Milestone(
                ticket=pool[spec["ticket"]],
                code=f"m{i % 3}-{i}",
                name="步骤",
                amount=spec["amount"],
                unit=spec["unit"],
                started_at=due - dt.timedelta(days=1),
                due_at=due,
                met_at=met,
            )
        )
    Milestone.objects.bulk_create(rows)
    for day in range(-1, (TODAY - FIRST).days):  # from Monday 9th: that week is summed into weekly rows
        rollups.roll_day(FIRST + dt.timedelta(days=day), now=NOW)
    assert list(RolledWeek.objects.values_list("week", flat=True)) == [dt.date(2026, 11, 9)]
    whole_week_and_more = (FIRST - dt.timedelta(days=1), FIRST + dt.timedelta(days=14))
    for start, end in [(FIRST + dt.timedelta(days=2), FIRST + dt.timedelta(days=14)), whole_week_and_more]:
        for group_by in GROUPINGS:
            for user in (org.centre_manager, org.branch_manager):
                rolled = selectors.sla_rows(
                    user, start=start, end=end, now=NOW, group_by=group_by, with_durations=True
                )
                raw = selectors.sla_rows(
                    user,
                    start=start,
                    end=end,
                    now=NOW,
                    group_by=group_by,
                    use_rollups=False,
                    with_durations=True,
                )
                assert [(r.key, r.tally.as_dict()) for r in rolled] == [
                    (r.key, r.tally.as_dict()) for r in raw
                ]
                counts = selectors.sla_rows(user, start=start, end=end, now=NOW, group_by=group_by)
                assert [(r.key, r.tally.as_dict()["counted"], r.tally.pending) for r in counts] == [
                    (r.key, r.tally.counted, r.tally.pending) for r in raw
                ]
    # One page: every table folds the same reads (counts first, then with durations, then filtered),
    # and the weekly trend reads whole weeks, single days and the days not rolled apart.
    for user in (org.centre_manager, org.branch_manager):
        page = selectors.Labels()
        for group_by in GROUPINGS:
            for options in (
                {},
                {"with_durations": True},
                {"service_type": "RPR-RES", "with_durations": True},
            ):
                shown = selectors.sla_rows(
                    user, start=FIRST, end=TODAY, now=NOW, group_by=group_by, labels=page, **options
                )
                raw = selectors.sla_rows(
                    user, start=FIRST, end=TODAY, now=NOW, group_by=group_by, use_rollups=False, **options
                )
                assert [(r.key, r.tally.as_dict()) for r in shown] == [
                    (r.key, r.tally.as_dict()) for r in raw
                ]
        trend = selectors.weekly_trend(user, now=NOW, weeks=3, labels=page)
        assert [point["week"] for point in trend] == [dt.date(2026, 11, d) for d in (2, 9, 16)]
        for point in trend:
            week = selectors.total(
                selectors.sla_rows(
                    user,
                    start=point["week"],
                    end=point["week"] + dt.timedelta(days=6),
                    now=NOW,
                    use_rollups=False,
                )
            )
            shown = point["tally"]
            assert (shown.met_on_time, shown.met_late, shown.breached_open, shown.on_time_rate) == (
                week.met_on_time,
                week.met_late,
                week.breached_open,
                week.on_time_rate,
            )


def test_a_late_event_makes_its_day_stale_until_rolled_again(org, pool):
    ticket = Ticket.objects.get(pk=pool[0].pk)
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.IN_PROGRESS)
    milestone = ticket.milestones.get()
    Milestone.objects.filter(pk=milestone.pk).update(
        due_at=at(2026, 11, 16, 17, 30), met_at=None, met_on_status="resolved"
    )
    day = dt.date(2026, 11, 16)
    rollups.roll_day(day, now=NOW)
    before = selectors.total(
        selectors.sla_rows(org.supervisor, start=day, end=day, now=NOW, with_durations=True)
    )
    assert (before.breached_open, before.met_late) == (1, 0)

    with time_machine.travel(NOW, tick=False):
        services.meet_milestone(
            ticket=Ticket.objects.get(pk=ticket.pk), code=milestone.code, actor=org.supervisor, now=NOW
        )
    assert RolledDay.objects.get(day=day).is_stale
    live = selectors.total(
        selectors.sla_rows(org.supervisor, start=day, end=day, now=NOW, with_durations=True)
    )
    assert (live.breached_open, live.met_late) == (0, 1)

    rolled = rollups.roll_due_days(now=NOW)  # and the days since 1 November never rolled
    assert (rolled["2026-11-16"], rolled["2026-11-19"]) == (1, 0)
    assert not RolledDay.objects.get(day=day).is_stale
    after = selectors.total(
        selectors.sla_rows(org.supervisor, start=day, end=day, now=NOW, with_durations=True)
    )
    assert after.as_dict() == live.as_dict()


def test_days_never_rolled_are_rolled_newest_first_a_batch_a_run(org, pool):
    """History imported or a new install: the days since the first deadline (1 November) get rolled,
    yesterday and the newest first, so that no past day stays read live."""
    day = dt.date
    assert rollups.days_to_roll(now=NOW, missing_per_run=5) == [
        day(2026, 11, 19),
        *(day(2026, 11, d) for d in (18, 17, 16, 15, 14)),
    ]
    for each in rollups.days_to_roll(now=NOW, missing_per_run=5):
        rollups.roll_day(each, now=NOW)
    assert rollups.days_to_roll(now=NOW) == [day(2026, 11, d) for d in range(13, 0, -1)]
    rollups.roll_due_days(now=NOW)
    assert rollups.days_to_roll(now=NOW) == []
    assert RolledDay.objects.filter(is_stale=False).count() == 19


def test_a_late_event_drops_its_week_sum_until_the_day_is_rolled_again(org, pool):
    """Week of Monday 26 October to Sunday 1 November, summed; a deadline of the 1st met now."""
    monday, sunday = dt.date(2026, 10, 26), dt.date(2026, 11, 1)
    for i in range(7):
        rollups.roll_day(monday + dt.timedelta(days=i), now=NOW)
    assert RolledWeek.objects.filter(week=monday).exists()

    def week_total():
        return selectors.total(
            selectors.sla_rows(org.supervisor, start=monday, end=sunday, now=NOW, with_durations=True)
        )

    assert (week_total().breached_open, week_total().met_late) == (2, 0)  # the outlet: one of them paused
    ticket = Ticket.objects.get(pk=pool[0].pk)
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.IN_PROGRESS)
    with time_machine.travel(NOW, tick=False):
        services.meet_milestone(
            ticket=Ticket.objects.get(pk=ticket.pk),
            code=ticket.milestones.get().code,
            actor=org.supervisor,
            now=NOW,
        )
    assert not RolledWeek.objects.filter(week=monday).exists()
    live = week_total()
    assert (live.breached_open, live.met_late) == (1, 1)

    rollups.roll_due_days(now=NOW)
    assert RolledWeek.objects.filter(week=monday).exists()
    assert week_total().as_dict() == live.as_dict()
