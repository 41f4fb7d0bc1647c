"""Celery tasks of the dashboards: thin, idempotent, the database says which days are due."""

from celery import shared_task
from django.utils import timezone

from . import backlogs, rollups


@shared_task(name="dashboards.roll_up_days", acks_late=True, soft_time_limit=1800)
def roll_up_days():
    """Nightly: yesterday, and any past day a late event made stale; and the open backlog at the start
    of each recent week not counted yet."""
    now = timezone.now()
    rolled = rollups.roll_due_days(now=now)
    counted = backlogs.count_due_weeks(now=now)
    return {"days": rolled, "backlog_weeks": [monday.isoformat() for monday in counted]}


@shared_task(name="dashboards.roll_stale_days", acks_late=True, soft_time_limit=1800)
def roll_stale_days():
    """Soon after a late event: re-roll the stale days (the same work as the nightly run)."""
    return rollups.roll_due_days(now=timezone.now())
