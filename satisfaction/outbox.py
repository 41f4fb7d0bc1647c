"""The one place where satisfaction writes messages: rows of the notification outbox.

Rows are written in the caller's transaction and delivered by the worker after commit (a text
to a customer waits in the outbox until its `send_at`, a decent hour).
"""

from django.conf import settings

from tickets.models import Notification
from tickets.notifications import create_notifications
from tickets.tasks import deliver_pending_notifications, enqueue_on_commit

SURVEY_SMS_KIND = "satisfaction_survey"
REPEAT_RECOVERY_KIND = "satisfaction_repeat_recovery"


def queue_customer_sms(messages: list[dict], *, now) -> int:
    """messages: dicts of ticket_id, phone, text, send_at. One INSERT for all; returns the count."""
    rows = Notification.objects.bulk_create(
        [
            Notification(
                recipient=None,
                channel=Notification.Channel.SMS,
                address=m["phone"],
                ticket_id=m["ticket_id"],
                kind=SURVEY_SMS_KIND,
                title=m["text"][:200],
                body=m["text"],
                created_at=now,
                next_attempt_at=m["send_at"],
                status=Notification.DeliveryStatus.PENDING,
            )
            for m in messages
        ],
        batch_size=1000,
    )
    due_now = [row.pk for row in rows if row.next_attempt_at <= now]
    if due_now:  # a large batch: one "look now" for every due row
        enqueue_on_commit(deliver_pending_notifications, due_now if len(due_now) <= 1000 else None)
    return len(rows)


def notify_staff(*, recipients, ticket, title: str, body: str, now) -> None:
    """In-app notifications (and e-mail when configured) for staff about a ticket."""
    channels = [Notification.Channel.IN_APP]
    if getattr(settings, "SATISFACTION_NOTIFY_BY_EMAIL", False):
        channels.append(Notification.Channel.EMAIL)
    create_notifications(
        recipients=recipients,
        kind=REPEAT_RECOVERY_KIND,
        title=title,
        body=body,
        ticket=ticket,
        now=now,
        channels=channels,
    )
