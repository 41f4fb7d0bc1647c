"""The daily rollup: per (day, unit, service type, milestone), the milestones whose deadline fell that day;
and per (day, unit, channel / priority / handler) for the comparisons by those.

Rolled at night for the day before; when the last of a week's seven days is rolled, the week is
summed into weekly rows. A late change to a milestone of a past day (met late, a deadline moved, a
case transferred, cancelled, paused or resumed) marks that day stale and drops its week's sum in the
same transaction, and the dashboards read a stale day live until it is rolled again. The database
says which days are due; the broker only says "look now".
"""

import datetime as dt
import logging
from collections import defaultdict

from django.db import transaction
from django.db.models import Min, Sum
from django.db.models.signals import post_init, post_save
from django.utils import timezone

from tickets import selectors as ticket_selectors
from tickets.models import Milestone, Ticket

from .figures import OUTCOME_FIELDS, STEP_FIELDS, Tally
from .models import DailyRollup, Dimension, DimensionRollup, RolledDay, RolledWeek, WeeklyRollup
from .selectors import Labels, add_raw_groupings, week_start

logger = logging.getLogger(__name__)
ROLLUP_KEYS = ("outlet", "service_type", "milestone", "unit")
# Past days never rolled (history imported, a new install) rolled per run, newest first: about 10
# minutes at 5 million tickets (1.5 s a day), within the task's time limit.
MISSING_DAYS_PER_RUN = 366
# Ticket fields whose change can move a past day's figures (by unit, type, channel, priority, handler).
TICKET_FIELDS = frozenset(
    {"status", "org_unit", "service_type", "paused_at", "channel", "priority", "assignee"}
)


def roll_day(day: dt.date, *, now) -> int:
    """(Re)build the rollup rows of one past day from the milestones; returns the rows written."""
    if day >= timezone.localdate(now):
        raise ValueError("only days before today are rolled up")
    tallies = defaultdict(Tally)
    by_dimension = {dimension: defaultdict(Tally) for dimension in Dimension.values}
    milestones = ticket_selectors.period_milestones(None, due_from=day, due_to=day, now=now, every_unit=True)
    groupings = {ROLLUP_KEYS: tallies}
    groupings.update({("outlet", dimension, "unit"): found for dimension, found in by_dimension.items()})
    add_raw_groupings(groupings, Labels(), milestones, now)
    rows = [
        DailyRollup(
            day=day,
            org_unit_id=org_unit_id,
            service_type_id=service_type_id,
            milestone=code,
            **tally.rollup_columns(unit),
        )
        for (org_unit_id, service_type_id, code, unit), tally in tallies.items()
    ]
    dimension_rows = [
        DimensionRollup(
            day=day,
            org_unit_id=org_unit_id,
            dimension=dimension,
            value=value or "",
            **tally.rollup_columns(unit),
        )
        for dimension, found in by_dimension.items()
        for (org_unit_id, value, unit), tally in found.items()
    ]
    with transaction.atomic():
        # Lock the day's marker so two workers rolling the same day write it one after the other.
        marker, _created = RolledDay.objects.select_for_update().get_or_create(
            day=day, defaults={"rolled_at": now, "is_stale": True}
        )
        DailyRollup.objects.filter(day=day).delete()
        DailyRollup.objects.bulk_create(rows, batch_size=1000)
        DimensionRollup.objects.filter(day=day).delete()
        DimensionRollup.objects.bulk_create(dimension_rows, batch_size=1000)
        marker.rolled_at, marker.is_stale = now, False
        marker.save(update_fields=["rolled_at", "is_stale"])
        roll_week(week_start(day), now=now)
    return len(rows)


def roll_week(monday: dt.date, *, now) -> bool:
    """(Re)build a past week's summary rows from its daily rows when all seven days are fresh;
    otherwise drop them (the week is then read day by day). Runs inside roll_day's transaction."""
    sunday = monday + dt.timedelta(days=6)
    WeeklyRollup.objects.filter(week=monday).delete()
    RolledWeek.objects.filter(week=monday).delete()
    fresh = RolledDay.objects.filter(day__gte=monday, day__lte=sunday, is_stale=False).count()
    if sunday >= timezone.localdate(now) or fresh < 7:
        return False
    keys = ["org_unit", "service_type", "milestone", "unit"]
    sums = {name: Sum(name) for name in (*OUTCOME_FIELDS, *STEP_FIELDS)}
    days = DailyRollup.objects.filter(day__gte=monday, day__lte=sunday).values(*keys).annotate(**sums)
    WeeklyRollup.objects.bulk_create(
        [
            WeeklyRollup(
                week=monday,
                org_unit_id=row["org_unit"],
                service_type_id=row["service_type"],
                milestone=row["milestone"],
                unit=row["unit"],
                **{name: row[name] for name in sums},
            )
            for row in days.order_by()
        ],
        batch_size=1000,
    )
    RolledWeek.objects.create(week=monday, rolled_at=now)
    return True


def days_to_roll(*, now, missing_per_run=MISSING_DAYS_PER_RUN) -> list[dt.date]:
    """Yesterday when it is not rolled yet and every stale day (in date order); then the past days
    since the first deadline that were never rolled (history imported, a new install), newest first,
    at most `missing_per_run` of them a run: the dashboards read those live until they are rolled."""
    yesterday = timezone.localdate(now) - dt.timedelta(days=1)
    marked = dict(RolledDay.objects.values_list("day", "is_stale"))
    days = {d for d, stale in marked.items() if stale and d <= yesterday}
    if marked.get(yesterday) is not False:
        days.add(yesterday)
    first_due = Milestone.objects.aggregate(first=Min("due_at"))["first"]
    missing = []
    if first_due is not None:
        day = yesterday
        first = _local_day(first_due)
        while day >= first and len(missing) < missing_per_run:
            if day not in marked and day not in days:
                missing.append(day)
            day -= dt.timedelta(days=1)
    return sorted(days) + missing


def roll_due_days(*, now) -> dict:
    rolled = {}
    for day in days_to_roll(now=now):
        rolled[day.isoformat()] = roll_day(day, now=now)
    logger.info("rollup: %d days rolled (%d rows)", len(rolled), sum(rolled.values()))
    return rolled


# ---------------------------------------------------------------- late events


def _local_day(moment):
    return timezone.localtime(moment).date() if moment else None


def mark_stale(days, *, today=None) -> None:
    """Past days whose figures changed: read live until rolled again (same transaction as the change)."""
    today = today or timezone.localdate()
    past = {d for d in days if d is not None and d < today}
    if not past:
        return
    RolledWeek.objects.filter(week__in={week_start(d) for d in past}).delete()
    if RolledDay.objects.filter(day__in=past, is_stale=False).update(is_stale=True):
        from notifications.publishing import enqueue_on_commit

        from .tasks import roll_stale_days

        enqueue_on_commit(roll_stale_days)


def _remember_due(sender, instance, **kwargs):
    instance._rollup_due_day = _local_day(instance.due_at)


def _milestone_saved(sender, instance, created, **kwargs):
    mark_stale({getattr(instance, "_rollup_due_day", None), _local_day(instance.due_at)})
    instance._rollup_due_day = _local_day(instance.due_at)


def _ticket_saved(sender, instance, created, update_fields=None, **kwargs):
    if created or (update_fields is not None and not TICKET_FIELDS & set(update_fields)):
        return
    start = ticket_selectors.local_day_start(timezone.localdate())
    dues = Milestone.objects.filter(ticket=instance, due_at__lt=start).values_list("due_at", flat=True)
    mark_stale({_local_day(d) for d in dues})


def connect_signals():
    post_init.connect(_remember_due, sender=Milestone, dispatch_uid="dashboards_milestone_due")
    post_save.connect(_milestone_saved, sender=Milestone, dispatch_uid="dashboards_milestone_saved")
    post_save.connect(_ticket_saved, sender=Ticket, dispatch_uid="dashboards_ticket_saved")
