"""Queueing work after commit without waiting on a dead broker. The outbox writer asks for its
delivery tasks by name, so writing rows never imports the task modules (which import the digest,
which writes rows) and a web process loads Celery only when it first publishes."""

import functools

from django.db import transaction

DELIVER_PENDING = "notifications.deliver_pending_notifications"
DELIVER_ONE = "notifications.deliver_notification"


def enqueue(task, *args, **kwargs) -> bool:
    """Publish a task (the task or its registered name) now; if the broker is down, give up fast
    and carry on (the rows stay in the database and the periodic sweeps pick them up). Returns
    whether the message was published."""
    from gasservice import broker

    return broker.publish(task, args, kwargs)


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """Queue a task once the current transaction commits; never fails the caller (see enqueue)."""
    transaction.on_commit(functools.partial(enqueue, task, *args, **kwargs))


def deliver_after_commit(ids: list[int] | None) -> None:
    """Deliver these pending rows (None: every pending row) once the transaction commits."""
    enqueue_on_commit(DELIVER_PENDING, ids)


def deliver_one_after_commit(notification_id: int) -> None:
    enqueue_on_commit(DELIVER_ONE, notification_id)
