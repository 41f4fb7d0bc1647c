"""The Celery app: worker and beat run the deadline sweep and notification delivery."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gasservice.settings")

app = Celery("gasservice")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="gasservice.ping", acks_late=True, soft_time_limit=10)
def ping():
    """Liveness probe for the worker: returns a constant, used by /healthz and tests."""
    return "pong"
