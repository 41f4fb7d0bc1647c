"""Celery task watching the working calendars' coverage (beat: daily, see gasservice/celery.py)."""

import logging

from celery import shared_task
from django.utils import timezone

logger = logging.getLogger(__name__)


@shared_task(name="tickets.check_calendar_coverage", acks_late=True, soft_time_limit=60, time_limit=90)
def check_calendar_coverage():
    """Alert administrators when a deadline may reach a year without an official holiday schedule."""
    from .calendars import alert_missing_calendar_years

    missing = alert_missing_calendar_years(now=timezone.now())
    logger.info("check_calendar_coverage: %d missing years %s", len(missing), missing)
    return missing
