"""Open backlogs at the start of each week, for the early warning on growing backlogs.

A case is open at a moment when it was received before it and neither resolved nor closed by then
(cancelled cases never count). Counting that for a past moment reads every case closed since, which
grows with the case load; so the night after a week starts, its backlog is counted once per unit and
service type (BacklogSnapshot), and the warning reads those rows. A week not counted yet is read from
the cases, by the same rule; so is now.
"""

import datetime as dt
from collections import defaultdict

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from accounts.models import OrgUnit
from tickets.models import OPEN_STATUSES, Status, Ticket
from tickets.selectors import local_day_start

from .models import BacklogSnapshot, BacklogWeek

# Weeks back that the nightly run counts when they are missing (the warning reads up to this many).
WEEKS_KEPT = 8


def open_at(moment) -> Q:
    """Received before `moment`, neither resolved nor closed by then."""
    return (
        Q(received_at__lt=moment)
        & (Q(resolved_at__isnull=True) | Q(resolved_at__gt=moment))
        & (Q(closed_at__isnull=True) | Q(closed_at__gt=moment))
    )


def _candidates(tickets, first_moment):
    """Only cases not closed by the first moment can be open at any later one (index on closed_at)."""
    return tickets.exclude(status=Status.CANCELLED).filter(
        Q(closed_at__isnull=True) | Q(closed_at__gt=first_moment)
    )


def count_week(monday: dt.date, *, now) -> int:
    """(Re)count the backlog at the start of `monday` per unit and service type; returns the rows."""
    moment = local_day_start(monday)
    if moment > now:
        raise ValueError("a week's backlog is counted once the week has started")
    rows = (
        _candidates(Ticket.objects.all(), moment)
        .values("org_unit", "service_type")
        .annotate(n=Count("id", filter=open_at(moment)))
        .filter(n__gt=0)
        .order_by()
    )
    snapshots = [
        BacklogSnapshot(
            week=monday, org_unit_id=r["org_unit"], service_type_id=r["service_type"], open_cases=r["n"]
        )
        for r in rows
    ]
    with transaction.atomic():
        marker, _created = BacklogWeek.objects.select_for_update().get_or_create(
            week=monday, defaults={"taken_at": now}
        )
        BacklogSnapshot.objects.filter(week=monday).delete()
        BacklogSnapshot.objects.bulk_create(snapshots, batch_size=1000)
        marker.taken_at = now
        marker.save(update_fields=["taken_at"])
    return len(snapshots)


def count_due_weeks(*, now, weeks=WEEKS_KEPT) -> list[dt.date]:
    """Count the week starts of the last `weeks` weeks (this one included) not counted yet."""
    today = timezone.localdate(now)
    this_week = today - dt.timedelta(days=today.weekday())
    mondays = {this_week - dt.timedelta(weeks=i) for i in range(weeks)}
    done = set(BacklogWeek.objects.filter(week__in=mondays).values_list("week", flat=True))
    due = sorted(mondays - done)
    for monday in due:
        count_week(monday, now=now)
    return due


def open_counts(user, unit, tickets, mondays: list[dt.date], *, now, counted=True) -> dict[int, list[int]]:
    """Open cases per service type at the start of each of `mondays`, then now: {type pk: [counts]}.

    `tickets` are the viewer's visible cases (their scope, their own only for the front desk); the
    counted weeks are read from the snapshots in the same scope, unless `counted` is False (the front
    desk's own cases are not counted apart)."""
    counts = defaultdict(lambda: [0] * (len(mondays) + 1))
    taken = set()
    if counted:
        taken = set(BacklogWeek.objects.filter(week__in=mondays).values_list("week", flat=True))
    if taken:
        rows = BacklogSnapshot.objects.filter(week__in=taken, org_unit__in=OrgUnit.objects.visible_to(user))
        if unit is not None:
            rows = rows.filter(org_unit__path__startswith=unit.path)
        position = {monday: i for i, monday in enumerate(mondays)}
        for r in rows.values("week", "service_type").annotate(n=Sum("open_cases")).order_by():
            counts[r["service_type"]][position[r["week"]]] = r["n"]
    live = [(i, local_day_start(m)) for i, m in enumerate(mondays) if m not in taken]
    if live:
        annotations = {f"c{i}": Count("id", filter=open_at(moment)) for i, moment in live}
        rows = _candidates(tickets, live[0][1]).values("service_type")
        for r in rows.annotate(**annotations).order_by():
            for i, _moment in live:
                counts[r["service_type"]][i] = r[f"c{i}"]
    # Now: the cases open now are those of an open status (a case gets resolved_at and closed_at as it
    # leaves them, and reopening clears both), which the open-status indexes find without reading the
    # closed ones; the same conditions again would only mislead the planner's estimate.
    rows = tickets.filter(status__in=OPEN_STATUSES, received_at__lt=now).values("service_type")
    for r in rows.annotate(n=Count("id")).order_by():
        counts[r["service_type"]][len(mondays)] = r["n"]
    return dict(counts)
