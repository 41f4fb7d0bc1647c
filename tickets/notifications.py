"""Notifications: rows first (in-app), delivered afterwards by channel backends."""

from collections.abc import Iterable

from .models import Notification


def create_notifications(*, recipients: Iterable, kind: str, title: str, body: str = "", ticket=None,
                         now, channels: Iterable[str] = (Notification.Channel.IN_APP,)) -> list[Notification]:
    """One row per (recipient user, channel); delivery happens later, outside any transaction."""
    rows = [
        Notification(recipient=user, channel=channel, ticket=ticket, kind=kind, title=title[:200], body=body,
                     created_at=now, next_attempt_at=None if channel == Notification.Channel.IN_APP else now,
                     status=Notification.DeliveryStatus.SENT if channel == Notification.Channel.IN_APP
                     else Notification.DeliveryStatus.PENDING)
        for user in recipients for channel in channels
    ]
    return Notification.objects.bulk_create(rows)
