"""The Celery app: worker and beat run the deadline sweep, notification delivery and upkeep."""

import logging
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gasservice.settings")

logger = logging.getLogger(__name__)

app = Celery("gasservice")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

HEARTBEAT_CACHE_KEY = "gasservice:worker-heartbeat"


@app.task(name="gasservice.ping", acks_late=True, soft_time_limit=10)
def ping():
    """Liveness probe for the worker: returns a constant."""
    return "pong"


@app.task(name="gasservice.record_heartbeat", acks_late=True, soft_time_limit=10)
def record_heartbeat():
    """Stamp when a worker last ran a beat task; /healthz shows it so operators see a stalled worker."""
    from django.core.cache import cache
    from django.utils import timezone

    cache.set(HEARTBEAT_CACHE_KEY, timezone.now().isoformat(), timeout=None)


@app.task(name="gasservice.clear_expired_sessions", acks_late=True)
def clear_expired_sessions():
    """Delete expired staff sessions (the database session store never forgets them by itself)."""
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    logger.info("clear_expired_sessions: deleted=%d", deleted)
    return deleted
