"""A dead broker never slows a request: a publish gives up within 50 ms, then the circuit skips it.

The broker is "dead" as in an outage where packets are dropped: either the unroutable address
10.255.255.1, or a local port whose accept queue is full (the kernel drops the SYNs, so a
connect hangs until its timeout). The notification rows stay pending for the retry sweep.
"""

import os
import socket
import time

import pytest
from rest_framework.test import APIClient

from gasservice import broker
from gasservice.celery import app
from notifications.models import Notification
from notifications.tasks import deliver_pending_notifications
from tests.tickets.factories import Org

pytestmark = pytest.mark.django_db

BUDGET = 0.300  # seconds for a whole request that queues a task


@pytest.fixture
def black_hole():
    """A local address that drops connection attempts: a listening socket whose accept queue is full."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    filled = []
    while True:  # connections the server never accepts, until a connect times out (SYNs dropped)
        client = socket.socket()
        client.settimeout(0.05)
        try:
            client.connect(("127.0.0.1", port))
        except TimeoutError:
            client.close()
            break
        filled.append(client)
    yield f"redis://127.0.0.1:{port}/0"
    for sock in [*filled, server]:
        sock.close()


def _point_broker_at(monkeypatch, url):
    previous = app.conf.broker_url
    monkeypatch.setenv("CELERY_BROKER_URL", url)
    app.conf.broker_url = url
    broker.reset_circuit()
    return previous


@pytest.fixture(params=["unroutable 10.255.255.1", "dropped SYN"])
def dead_broker(request, monkeypatch):
    url = (
        "redis://10.255.255.1:6379/0"
        if request.param.startswith("unroutable")
        else (request.getfixturevalue("black_hole"))
    )
    previous = _point_broker_at(monkeypatch, url)
    yield url
    monkeypatch.undo()
    app.conf.broker_url = previous
    broker.reset_circuit()


def _file_complaint(client, n):
    return client.post("/api/v1/complaints/", {
        "source": "hotline", "category": "billing", "description": f"账单有误 {n}",
        "complainant_name": "李四", "complainant_phone": f"1390000{n:04d}",
    }, format="json")  # fmt: skip


@pytest.fixture
def clerk_client(db):
    org = Org()
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(org.clerk)
    assert _file_complaint(client, 1).status_code == 201  # warm: imports and first queries done
    return client


def _timed_request(client, n, capture):
    """One complaint filed through the API, and what its commit runs (the publish): both timed."""
    started = time.monotonic()
    with capture(execute=False) as callbacks:
        response = _file_complaint(client, n)
    answered = time.monotonic()
    for callback in callbacks:
        callback()
    assert response.status_code == 201, response.content
    assert callbacks, "filing a complaint queues the delivery of the acknowledgement"
    return time.monotonic() - started, time.monotonic() - answered


def test_a_request_that_queues_a_task_answers_within_300_ms(
    clerk_client, dead_broker, django_capture_on_commit_callbacks, caplog
):
    # Three requests that each pay the publish timeout (the circuit closed before each), the
    # median measured, so that a busy CI machine's scheduling noise is not taken for the broker.
    first = []
    for n in (2, 3, 4):
        broker.reset_circuit()
        first.append(_timed_request(clerk_client, n, django_capture_on_commit_callbacks))
    # Then one with the circuit open: no attempt at all.
    _total, open_publish = _timed_request(clerk_client, 5, django_capture_on_commit_callbacks)

    totals = sorted(round(t * 1000, 1) for t, _p in first)
    publishing = [round(p * 1000, 1) for _t, p in first]
    print(
        f"dead broker {dead_broker}: requests {totals} ms, publishing {publishing} ms, "
        f"with the circuit open {round(open_publish * 1000, 1)} ms"
    )
    assert totals[1] < BUDGET * 1000, (totals, publishing)
    assert open_publish < 0.01
    assert "publishing paused" in caplog.text
    pending = Notification.objects.filter(kind="complaint", template="complaint.received", status="pending")
    assert pending.count() == 5  # the outbox keeps them for the retry sweep


def test_a_publish_gives_up_well_under_100_ms(black_hole, monkeypatch):
    _point_broker_at(monkeypatch, black_hole)
    try:
        started = time.monotonic()
        assert broker.publish(deliver_pending_notifications, ([1],)) is False
        assert time.monotonic() - started < 0.1
    finally:
        monkeypatch.undo()
        broker.reset_circuit()


def test_the_circuit_skips_publishing_for_a_while_then_tries_again(black_hole, monkeypatch, settings):
    settings.BROKER_CIRCUIT_SECONDS = 30
    now = [1000.0]

    def clock():
        return now[0]

    previous = _point_broker_at(monkeypatch, black_hole)
    assert broker.publish(deliver_pending_notifications, ([1],), clock=clock) is False
    assert broker.is_circuit_open(clock=clock)

    # The broker is back, but for 30 s nobody tries it.
    app.conf.broker_url = previous
    monkeypatch.setenv("CELERY_BROKER_URL", previous)
    now[0] += 29
    assert broker.publish(deliver_pending_notifications, ([1],), clock=clock) is False
    now[0] += 2
    assert broker.publish(deliver_pending_notifications, ([1],), clock=clock) is True
    assert not broker.is_circuit_open(clock=clock)
    monkeypatch.undo()
    broker.reset_circuit()
    assert os.environ.get("CELERY_BROKER_URL") != black_hole
