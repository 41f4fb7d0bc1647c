"""The Celery app: worker and beat run the deadline sweep, notification delivery and upkeep."""

import logging
import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gasservice.settings")

logger = logging.getLogger(__name__)

app = Celery("gasservice")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Beat's timetable lives with the app, not in settings: only the worker and beat load Celery.
app.conf.beat_schedule = {
    "sweep-deadlines": {"task": "tickets.sweep_deadlines", "schedule": 60.0},
    "deliver-notifications": {"task": "notifications.deliver_pending_notifications", "schedule": 60.0},
    "check-calendar-coverage": {
        "task": "tickets.check_calendar_coverage",
        "schedule": crontab(hour=7, minute=0),
    },
    "supervisor-digest": {
        "task": "notifications.send_supervisor_digests",
        "schedule": crontab(hour=8, minute=0),
    },
    "worker-heartbeat": {"task": "gasservice.record_heartbeat", "schedule": 60.0},
    "roll-up-days": {"task": "dashboards.roll_up_days", "schedule": crontab(hour=1, minute=15)},
    "satisfaction-callback-tickets": {"task": "satisfaction.open_callback_tickets", "schedule": 60.0},
    "satisfaction-expired-surveys": {"task": "satisfaction.call_back_expired_surveys", "schedule": 600.0},
    "clear-expired-sessions": {
        "task": "gasservice.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=30),
    },
}

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
