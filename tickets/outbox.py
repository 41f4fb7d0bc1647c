"""The notification rows written by routing, transfer and replies: one small place, one writer.

Rows are written in the caller's transaction and delivered after commit (tickets.delivery).
Titles and bodies are rendered in the site's language (zh-Hans) for staff and customers alike.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.utils import translation

from accounts.validators import MOBILE_RE

from . import notifications
from .models import Notification

# While the demo loads its past cases, nothing leaves the machine: no SMS, no email (in-app rows stay).
_withheld = ContextVar("outbox_withheld", default=False)


@contextmanager
def withheld():
    """Write no SMS or email rows inside this block (the demo's cases and fictional customers)."""
    token = _withheld.set(True)
    try:
        yield
    finally:
        _withheld.reset(token)


def notify_staff(*, recipients, kind: str, title, body="", ticket=None, now, channels=None) -> list:
    """In-app rows (plus the given channels) for staff members."""
    channels = channels or (Notification.Channel.IN_APP,)
    if _withheld.get():
        channels = [c for c in channels if c == Notification.Channel.IN_APP]
    with translation.override(settings.LANGUAGE_CODE):
        return notifications.create_notifications(
            recipients=recipients,
            kind=kind,
            title=str(title),
            body=str(body),
            ticket=ticket,
            now=now,
            channels=channels,
        )


def notify_customer(*, ticket, kind: str, title, body, now, phone: str = "", email: str = "") -> list:
    """SMS to a mobile number (a landline cannot take one) and email when known; rows now, delivery later."""
    from .tasks import deliver_pending_notifications, enqueue_on_commit

    if _withheld.get():
        return []
    addresses = []
    if phone and MOBILE_RE.match(phone):
        addresses.append((Notification.Channel.SMS, phone))
    if email:
        addresses.append((Notification.Channel.EMAIL, email))
    with translation.override(settings.LANGUAGE_CODE):
        rows = Notification.objects.bulk_create(
            Notification(
                recipient=None,
                channel=channel,
                address=address,
                ticket=ticket,
                kind=kind,
                title=str(title)[:200],
                body=str(body),
                created_at=now,
                next_attempt_at=now,
                status=Notification.DeliveryStatus.PENDING,
            )
            for channel, address in addresses
        )
    if rows:
        enqueue_on_commit(deliver_pending_notifications, [row.pk for row in rows])
    return rows
