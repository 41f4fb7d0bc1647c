"""Queueing work after commit without waiting on a dead broker, and the delivery tasks the outbox
writer asks for: `notifications.tasks` registers them at start-up, so writing rows never imports
the task modules (which import the digest, which writes rows)."""

import functools

from django.db import transaction

_delivery: dict = {}


def enqueue(task, *args, **kwargs) -> bool:
    """Publish a task now; if the broker is down, give up fast and carry on (the rows stay in the
    database and the periodic sweeps pick them up). Returns whether the message was published."""
    from gasservice import broker

    return broker.publish(task, args, kwargs)


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """Queue a task once the current transaction commits; never fails the caller (see enqueue)."""
    transaction.on_commit(functools.partial(enqueue, task, *args, **kwargs))


def register_delivery(*, pending, one) -> None:
    """Called by notifications.tasks: the task delivering pending rows (some or all), and one row's."""
    _delivery.update(pending=pending, one=one)


def deliver_after_commit(ids: list[int] | None) -> None:
    """Deliver these pending rows (None: every pending row) once the transaction commits."""
    enqueue_on_commit(_delivery["pending"], ids)


def deliver_one_after_commit(notification_id: int) -> None:
    enqueue_on_commit(_delivery["one"], notification_id)
