"""Faults that must lose nothing: concurrent sweeps, a dead broker, a dead worker, a failing SMS gateway."""

import datetime as dt
import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import connection, connections
from django.urls import reverse

from accounts.models import StaffProfile
from notifications import delivery
from notifications.models import Notification
from tests.conftest import database_url, requires_postgres
from tests.tickets import escalation_support as support
from tests.tickets.escalation_support import DUE, WARN, account_ticket, levels_of
from tests.tickets.factories import make_ticket
from tickets.messages import subject_for
from tickets.models import Escalation, Milestone, TicketEvent
from tickets.sweep import sweep_due_milestones

BASE_DIR = Path(__file__).resolve().parents[2]
MINUTE = dt.timedelta(minutes=1)


@pytest.fixture
def ladder(transactional_db, settings):
    settings.PASSWORD_HASHERS = support.FAST_HASHERS
    return support.Ladder()


# ---------------------------------------------------------------- two sweeps at once


@requires_postgres
def test_two_concurrent_sweeps_escalate_each_step_exactly_once(ladder):
    tickets = [account_ticket(ladder) for _i in range(40)]
    now = DUE + MINUTE
    barrier = threading.Barrier(2)
    results, errors = [], []

    def sweep():
        try:
            barrier.wait(timeout=10)
            results.append(sweep_due_milestones(now=now, chunk_size=7))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sweep) for _i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert not errors
    assert sum(r.skipped for r in results) == 40 and sum(r.escalations for r in results) == 40
    assert Escalation.objects.count() == 80
    assert TicketEvent.objects.filter(kind__in=["warning", "escalated"]).count() == 40
    assert all(levels_of(t) == [0, 1] for t in tickets)
    # One in-app row per recipient of the breach: the two handlers and the supervisor, per ticket.
    assert Notification.objects.filter(kind__in=["warning", "breach"], channel="in_app").count() == 40 * 3
    assert sweep_due_milestones(now=now).claimed == 0


# ---------------------------------------------------------------- the broker is down


@pytest.fixture
def broker_down(monkeypatch):
    """Point the Celery app at a closed port (the env var wins over settings in Celery)."""
    from gasservice.celery import app

    def reset():
        app._pool = None
        app.amqp._producer_pool = None

    closed = "redis://127.0.0.1:1/0"
    previous = app.conf.broker_url
    monkeypatch.setenv("CELERY_BROKER_URL", closed)
    app.conf.broker_url = closed
    reset()
    yield
    monkeypatch.undo()
    app.conf.broker_url = previous
    reset()


@requires_postgres
def test_broker_down_when_a_ticket_is_created_the_request_succeeds_and_the_sweep_escalates_later(
    ladder, client, broker_down, settings, caplog
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    client.force_login(ladder.clerk)
    # An emergency: its creation queues delivery of the alert (through the dead broker).
    received = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=3)
    ticket = make_ticket(
        ladder, code="EMR-LEAK-URB", now=received + dt.timedelta(seconds=1), received_at=received
    )
    assert "could not queue" in caplog.text
    alerts = Notification.objects.filter(ticket=ticket, kind="emergency")
    assert alerts.filter(channel="sms", status="pending").count() == 3  # kept for the retry sweep

    # The page of the ticket is served too (nothing waits on the broker).
    assert client.get(reverse("tickets:detail", args=[ticket.reference])).status_code == 200

    result = sweep_due_milestones(now=dt.datetime.now(dt.UTC))
    assert result.escalations >= 1
    assert 1 in levels_of(ticket)
    # The retry sweep delivers what the broker never carried.
    assert delivery.deliver_pending(now=dt.datetime.now(dt.UTC))["sent"] >= 3


# ---------------------------------------------------------------- a worker dies mid-sweep


HOLDER = """
import os, sys, time, datetime as dt
import django
django.setup()
from django.db import transaction
from tickets.sweep import claim_queryset
now = dt.datetime.fromisoformat(sys.argv[1])
with transaction.atomic():
    rows = list(claim_queryset(now, 1000))
    print(len(rows), flush=True)
    time.sleep(600)
"""


@requires_postgres
def test_rows_held_by_a_worker_that_dies_are_done_by_the_next_sweep(ladder):
    tickets = [account_ticket(ladder) for _i in range(5)]
    now = WARN + MINUTE
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="gasservice.settings",
        DATABASE_URL=database_url(connection.settings_dict),
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, now.isoformat()],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "5"  # it claimed every due row and holds the locks
        assert sweep_due_milestones(now=now).claimed == 0  # SKIP LOCKED: nothing for us meanwhile

        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=10)
        deadline = time.monotonic() + 10
        with connection.cursor() as cursor:  # the server notices the dead client and releases its locks
            while True:
                cursor.execute(
                    "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                    "WHERE c.relname = %s AND l.pid <> pg_backend_pid()",
                    [Milestone._meta.db_table],
                )
                if cursor.fetchone()[0] == 0 or time.monotonic() > deadline:
                    break
                time.sleep(0.05)

        result = sweep_due_milestones(now=now)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    assert result.claimed == 5 and result.warnings == 5
    assert all(levels_of(t) == [0] for t in tickets)


# ---------------------------------------------------------------- a failing SMS gateway


class Gateway(http.server.BaseHTTPRequestHandler):
    """Accepts texts to most numbers; answers 500 for one, never in time for another."""

    received: list = []
    broken = "13912340002"  # the supervisor
    slow = "13912340003"  # the branch manager

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        auth = self.headers.get("Authorization")
        if body["to"] == self.slow:
            time.sleep(1.0)  # beyond the client's timeout: the server side of a hung gateway
        status = 500 if body["to"] == self.broken else 200
        if status == 200:
            Gateway.received.append((body["to"], auth))
        try:
            self.send_response(status)
            self.end_headers()
            self.wfile.write(b"{}")
        except OSError:
            pass

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway(settings):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Gateway.received = []
    settings.SMS_BACKEND = "webhook"
    settings.SMS_WEBHOOK_URL = f"http://127.0.0.1:{server.server_address[1]}/sms"
    settings.SMS_WEBHOOK_TOKEN = "secret-token"
    settings.SMS_WEBHOOK_TIMEOUT = 0.3
    yield Gateway
    server.shutdown()
    server.server_close()


def _sms(user, now):
    mobile = StaffProfile.objects.get(user=user).mobile
    return Notification.objects.create(
        recipient=user,
        address=mobile,
        channel="sms",
        kind="breach",
        title=f"to {user.username}",
        created_at=now,
        next_attempt_at=now,
    )


def test_failing_and_hanging_gateway_retries_then_fails_visibly_and_holds_up_nobody(
    db, gateway, settings, client
):
    settings.PASSWORD_HASHERS = support.FAST_HASHERS
    org = support.Ladder()
    now = DUE
    ok = _sms(org.clerk, now)
    broken = _sms(org.supervisor, now)
    slow = _sms(org.branch_manager, now)
    ticket = account_ticket(org)
    subject = subject_for(ticket)
    Notification.objects.filter(pk__in=[broken.pk, slow.pk]).update(
        subject_type_id=subject.type_id,
        subject_id=subject.id,
        reference=subject.reference,
        link=subject.link,
        org_unit_id=subject.org_unit_id,
    )

    first = delivery.deliver_pending(now=now)

    assert first == {"sent": 1, "retry": 2}
    assert gateway.received == [("13912340000", "Bearer secret-token")]
    ok.refresh_from_db()
    assert ok.status == "sent"
    broken.refresh_from_db()
    assert (broken.status, broken.attempts) == ("pending", 1) and "HTTP 500" in broken.last_error
    assert broken.next_attempt_at == now + delivery.backoff(1)
    slow.refresh_from_db()
    assert "unreachable" in slow.last_error or "timed out" in slow.last_error

    moment = now
    for attempt in range(2, delivery.MAX_ATTEMPTS + 1):
        assert delivery.deliver_pending(now=moment) == {}  # not yet: the backoff is respected
        moment += delivery.backoff(attempt - 1)
        assert delivery.deliver_pending(now=moment) == (
            {"retry": 2} if attempt < delivery.MAX_ATTEMPTS else {"failed": 2}
        )
    for row in (broken, slow):
        row.refresh_from_db()
        assert (row.status, row.attempts, row.next_attempt_at) == ("failed", delivery.MAX_ATTEMPTS, None)

    # Visible to the supervisor on the failed-deliveries page, and can be sent again.
    client.force_login(org.supervisor)
    page = client.get(reverse("notifications:failed")).content.decode()
    assert "HTTP 500" in page and ticket.reference in page
    client.post(reverse("notifications:retry", args=[broken.pk]))
    broken.refresh_from_db()
    assert (broken.status, broken.attempts) == ("pending", 0)
