"""Celery tasks of the tickets app: thin, idempotent, late-acknowledged.

The database says what is due; a message only says "look now". A lost message is made good by
the next periodic run (beat: the sweep every minute). Nothing this module schedules imports it back.
"""

import datetime as dt
import logging

from celery import shared_task
from django.utils import timezone

from notifications.tasks import DB_RETRY

from . import calendar_tasks  # noqa: F401  (registers tickets.check_calendar_coverage with the worker)
from .sweep import sweep_due_milestones

logger = logging.getLogger(__name__)


@shared_task(name="tickets.sweep_deadlines", acks_late=True, soft_time_limit=50, time_limit=60, **DB_RETRY)
def sweep_deadlines(now: str | None = None) -> dict:
    """Perform every escalation step due now (`now`: ISO time, for operators and tests)."""
    moment = dt.datetime.fromisoformat(now) if now else timezone.now()
    return sweep_due_milestones(now=moment).as_dict()
