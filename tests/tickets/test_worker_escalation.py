"""End to end through Redis: a real Celery worker runs beat's sweep task and escalates an overdue ticket."""

import datetime as dt

import pytest

from tests.tickets import escalation_support as support
from tests.tickets.escalation_support import account_ticket
from tickets.models import Escalation, TicketEvent

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_worker_sweep_escalates_an_overdue_ticket(celery_worker_process, settings):
    settings.PASSWORD_HASHERS = support.FAST_HASHERS
    org = support.Ladder()
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    # Received ten working days ago: long past its one-working-day deadline.
    ticket = account_ticket(org, now=now, received_at=now - dt.timedelta(days=14))

    celery_worker_process.send("tickets.sweep_deadlines")

    celery_worker_process.wait_for(
        lambda: Escalation.objects.filter(ticket=ticket, level=1).exists(), what="the breach escalation"
    )
    assert set(Escalation.objects.filter(ticket=ticket).values_list("level", flat=True)) >= {0, 1}
    assert TicketEvent.objects.filter(ticket=ticket, kind="escalated").exists()
    ticket.refresh_from_db()
    assert ticket.escalation_level >= 1

    # A second run through the broker adds nothing for the steps already done.
    done = Escalation.objects.filter(ticket=ticket).count()
    celery_worker_process.send("tickets.sweep_deadlines")
    celery_worker_process.wait_for(
        lambda: _succeeded(celery_worker_process, "tickets.sweep_deadlines") >= 2, what="the second sweep"
    )
    assert Escalation.objects.filter(ticket=ticket).count() == done


def _succeeded(worker, task_name: str) -> int:
    lines = worker.log().splitlines()
    return sum(1 for line in lines if f"Task {task_name}[" in line and "succeeded" in line)
