"""Reads behind the bell, the list, the API and the failed-deliveries page."""

from django.db.models import Case, IntegerField, Value, When

from .models import Kind, Notification
from .services import can_see_failed_deliveries


def notifications_for(user, *, unread: bool = False, kind: str | None = None):
    """The user's in-app notifications: unread first, emergencies first among them, newest first.

    `unread`: only the unread ones; `kind`: only that kind (an unknown kind lists nothing).
    """
    rows = Notification.objects.filter(recipient=user, channel=Notification.Channel.IN_APP)
    if unread:
        rows = rows.filter(read_at__isnull=True)
    if kind:
        rows = rows.filter(kind=kind)
    return rows.annotate(
        unread_rank=Case(
            When(read_at__isnull=True, then=Value(1)), default=Value(0), output_field=IntegerField()
        ),
        emergency_rank=Case(
            When(kind=Kind.EMERGENCY, read_at__isnull=True, then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        ),
    ).order_by("-unread_rank", "-emergency_rank", "-created_at", "-id")


def unread_count(user) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(
        recipient=user, channel=Notification.Channel.IN_APP, read_at__isnull=True
    ).count()


def failed_deliveries_for(user):
    """Failed email/SMS deliveries about the cases `user` sees (supervisors and administrators)."""
    if not can_see_failed_deliveries(user):
        return Notification.objects.none()
    return (
        Notification.objects.visible_to(user)
        .filter(status=Notification.DeliveryStatus.FAILED)
        .select_related("recipient")
        .order_by("-created_at", "-id")
    )
