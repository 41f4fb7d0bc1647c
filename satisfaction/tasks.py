"""Celery tasks of the satisfaction app: thin and idempotent."""

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

_DB_RETRY = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_backoff_max": 120,
    "max_retries": 3,
    "retry_jitter": True,
}


@shared_task(
    name="satisfaction.open_callback_tickets", acks_late=True, soft_time_limit=50, time_limit=60, **_DB_RETRY
)
def open_callback_tickets(ids: list[int] | None = None) -> dict:
    """Callback tickets for new phone follow-ups (the given surveys, or, from beat, any still without)."""
    from .services import open_callback_tickets as open_tickets

    return {"opened": open_tickets(now=timezone.now(), ids=ids)}


EXPIRED_CHUNK = 1000


@shared_task(
    name="satisfaction.call_back_expired_surveys",
    acks_late=True,
    soft_time_limit=50,
    time_limit=60,
    **_DB_RETRY,
)
def call_back_expired_surveys() -> dict:
    """Unanswered SMS surveys whose link expired go to the callback queue (where their rule says so)."""
    from .services import call_back_expired_surveys as call_back

    moved = chunk = call_back(now=timezone.now(), limit=EXPIRED_CHUNK)
    while chunk == EXPIRED_CHUNK:
        chunk = call_back(now=timezone.now(), limit=EXPIRED_CHUNK)
        moved += chunk
    return {"moved": moved}
