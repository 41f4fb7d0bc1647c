"""The Celery wiring end to end: a real worker process takes tasks from Redis and works on our database."""

from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.utils import timezone

from gasservice.celery import HEARTBEAT_CACHE_KEY, clear_expired_sessions

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _session(expire_date):
    store = SessionStore()
    store["staff"] = "frontdesk"
    store.create()
    Session.objects.filter(session_key=store.session_key).update(expire_date=expire_date)
    return store.session_key


def test_worker_clears_expired_sessions_in_the_test_database(celery_worker_process):
    now = timezone.now()
    expired = _session(now - timedelta(days=1))
    live = _session(now + timedelta(days=1))

    clear_expired_sessions.delay()

    celery_worker_process.wait_for(
        lambda: not Session.objects.filter(session_key=expired).exists(), what="the expired session to go"
    )
    assert Session.objects.filter(session_key=live).exists()


def test_beat_heartbeat_task_runs_on_the_worker_and_shows_in_healthz(celery_worker_process, client):
    cache.delete(HEARTBEAT_CACHE_KEY)

    celery_worker_process.send("gasservice.record_heartbeat")

    seen_at = celery_worker_process.wait_for(lambda: cache.get(HEARTBEAT_CACHE_KEY), what="the heartbeat")
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["worker_seen_at"] == seen_at
