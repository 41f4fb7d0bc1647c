"""Celery tasks of the notifications app: delivery after commit, retries, the daily digest.

Thin and idempotent: the rows say what is pending; a message only says "look now". A lost
message is made good by the periodic delivery run (beat, every minute).
"""

import logging

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from . import digest, publishing
from .delivery import deliver_pending

logger = logging.getLogger(__name__)

DB_RETRY = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_backoff_max": 120,
    "max_retries": 3,
    "retry_jitter": True,
}


@shared_task(name=publishing.DELIVER_ONE, acks_late=True, soft_time_limit=30, time_limit=40, **DB_RETRY)
def deliver_notification(notification_id: int) -> dict:
    """Deliver one notification if it is still pending and due."""
    return dict(deliver_pending(now=timezone.now(), ids=[notification_id]))


@shared_task(
    name=publishing.DELIVER_PENDING,
    acks_late=True,
    soft_time_limit=50,
    time_limit=60,
    **DB_RETRY,
)
def deliver_pending_notifications(ids: list[int] | None = None) -> dict:
    """Deliver the given pending notifications, or (beat) every pending one whose attempt is due."""
    return dict(deliver_pending(now=timezone.now(), ids=ids))


@shared_task(
    name="notifications.send_supervisor_digests",
    acks_late=True,
    soft_time_limit=120,
    time_limit=150,
    **DB_RETRY,
)
def send_supervisor_digests() -> dict:
    """Daily 08:00: each supervisor and manager hears what breached and what will breach today."""
    return digest.send_supervisor_digests(now=timezone.now())
