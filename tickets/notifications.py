"""Notifications: rows first (in-app), delivered afterwards by channel backends (tickets.delivery).

Also the reads and changes behind the bell and the list page (mark read), the manual retry of
a failed delivery, and the supervisors' daily digest.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import StaffProfile
from accounts.roles import SUPERVISOR_ROLES, Role

from .models import OPEN_STATUSES, Milestone, Notification

logger = logging.getLogger(__name__)

DIGEST_KIND = "digest"
DIGEST_ROLES = (Role.OUTLET_SUPERVISOR, Role.BRANCH_MANAGER, Role.CENTRE_MANAGER)
DIGEST_ITEMS = 10
SENT, PENDING = Notification.DeliveryStatus.SENT, Notification.DeliveryStatus.PENDING


def create_notifications(*, recipients: Iterable, kind: str, title: str, body: str = "", ticket=None,
                         now, channels: Iterable[str] = (Notification.Channel.IN_APP,)) -> list[Notification]:
    """One row per (recipient user, channel); delivery happens later, outside any transaction.

    Email rows go to the user's address; SMS rows to the staff profile's mobile (skipped without one).
    Pending rows are queued for delivery once the transaction commits.
    """
    rows = []
    for user in recipients:
        for channel in channels:
            address = ""
            if channel == Notification.Channel.EMAIL:
                address = user.email
            elif channel == Notification.Channel.SMS:
                profile = getattr(user, "staff_profile", None)
                address = profile.mobile if profile else ""
            if channel != Notification.Channel.IN_APP and not address:
                continue
            in_app = channel == Notification.Channel.IN_APP
            rows.append(Notification(
                recipient=user, channel=channel, address=address, ticket=ticket, kind=kind, title=title[:200],
                body=body, created_at=now, next_attempt_at=None if in_app else now,
                sent_at=now if in_app else None, status=SENT if in_app else PENDING))
    created = Notification.objects.bulk_create(rows)
    pending = [n.pk for n in created if n.status == Notification.DeliveryStatus.PENDING]
    if pending:
        from .tasks import deliver_pending_notifications, enqueue_on_commit

        enqueue_on_commit(deliver_pending_notifications, pending)
    return created


# ---------------------------------------------------------------- reads (the bell, the list)


def notifications_for(user):
    """The user's in-app notifications, unread first, newest first."""
    return (
        Notification.objects.filter(recipient=user, channel=Notification.Channel.IN_APP)
        .select_related("ticket")
        .annotate(is_unread=Case(When(read_at__isnull=True, then=Value(1)), default=Value(0),
                                 output_field=IntegerField()))
        .order_by("-is_unread", "-created_at", "-id")
    )


def unread_count(user) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, channel=Notification.Channel.IN_APP,
                                       read_at__isnull=True).count()


def can_see_failed_deliveries(user) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    profile = getattr(user, "staff_profile", None)
    return profile is not None and profile.role in SUPERVISOR_ROLES


def failed_deliveries_for(user):
    """Failed email/SMS deliveries about the tickets `user` sees (supervisors and administrators)."""
    if not can_see_failed_deliveries(user):
        return Notification.objects.none()
    return (
        Notification.objects.visible_to(user).filter(status=Notification.DeliveryStatus.FAILED)
        .select_related("recipient", "ticket").order_by("-created_at", "-id")
    )


# ---------------------------------------------------------------- changes


def mark_read(*, notification: Notification, user, now: dt.datetime) -> Notification:
    """Mark one of the user's notifications as read (reading twice keeps the first time)."""
    if notification.recipient_id != user.pk:
        raise PermissionDenied(_("This notification is not yours."))
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        notification.read_at = now
    return notification


def mark_all_read(*, user, now: dt.datetime) -> int:
    return Notification.objects.filter(recipient=user, channel=Notification.Channel.IN_APP,
                                       read_at__isnull=True).update(read_at=now)


def retry_delivery(*, notification: Notification, actor, now: dt.datetime) -> Notification:
    """Send a failed delivery again (after the address or the gateway was fixed)."""
    if not can_see_failed_deliveries(actor):
        raise PermissionDenied(_("Only supervisors and administrators may retry deliveries."))
    if notification.status != Notification.DeliveryStatus.FAILED:
        raise ValidationError({"status": [_("Only a failed delivery can be retried.")]})
    with transaction.atomic():
        Notification.objects.filter(pk=notification.pk, status=Notification.DeliveryStatus.FAILED).update(
            status=Notification.DeliveryStatus.PENDING, attempts=0, next_attempt_at=now)
        from .tasks import deliver_notification, enqueue_on_commit

        enqueue_on_commit(deliver_notification, notification.pk)
    notification.refresh_from_db()
    return notification


# ---------------------------------------------------------------- the supervisors' daily digest


def _local_day_bounds(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    local = timezone.localtime(now)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + dt.timedelta(days=1)


def send_supervisor_digests(*, now: dt.datetime) -> dict:
    """Each outlet supervisor, branch manager and centre manager: what is breached in their part
    of the organisation and what will breach by the end of today (in-app and email).

    Once per local day per person (a second run the same day sends nothing). Four queries in
    all, whatever the number of supervisors.
    """
    day_start, day_end = _local_day_bounds(now)
    running = Milestone.objects.filter(met_at__isnull=True, due_at__isnull=False, due_at__lt=day_end,
                                       ticket__status__in=OPEN_STATUSES)
    counts = defaultdict(lambda: [0, 0])
    for path, breached, today in running.values("ticket__org_unit__path").annotate(
            breached=Count("id", filter=Q(due_at__lte=now)), today=Count("id", filter=Q(due_at__gt=now))
    ).values_list("ticket__org_unit__path", "breached", "today"):
        counts[path][0] += breached
        counts[path][1] += today
    if not counts:
        return {"digests": 0}
    items = list(running.order_by("due_at").values_list(
        "ticket__reference", "name", "due_at", "ticket__org_unit__path")[:5000])
    done = set(Notification.objects.filter(kind=DIGEST_KIND, channel=Notification.Channel.IN_APP,
                                           created_at__gte=day_start).values_list("recipient_id", flat=True))
    supervisors = (StaffProfile.objects.filter(role__in=DIGEST_ROLES, user__is_active=True)
                   .exclude(user_id__in=done).select_related("user", "org_unit"))
    rows = []
    with translation.override(settings.LANGUAGE_CODE):
        for profile in supervisors:
            scope = profile.org_unit.path
            breached = sum(c[0] for p, c in counts.items() if p.startswith(scope))
            today = sum(c[1] for p, c in counts.items() if p.startswith(scope))
            if not breached and not today:
                continue
            title = _("Daily digest: %(breached)s breached, %(today)s due today") % {
                "breached": breached, "today": today}
            lines = []
            for reference, name, due_at, path in items:
                if path.startswith(scope):
                    state = _("breached") if due_at <= now else _("due today")
                    lines.append(f"{reference} {name} {timezone.localtime(due_at):%Y-%m-%d %H:%M} ({state})")
                    if len(lines) >= DIGEST_ITEMS:
                        break
            body = "\n".join(lines)
            for channel in (Notification.Channel.IN_APP, Notification.Channel.EMAIL):
                if channel == Notification.Channel.EMAIL and not profile.user.email:
                    continue
                in_app = channel == Notification.Channel.IN_APP
                rows.append(Notification(
                    recipient=profile.user, channel=channel, address="" if in_app else profile.user.email,
                    kind=DIGEST_KIND, title=title[:200], body=body, created_at=now,
                    sent_at=now if in_app else None, next_attempt_at=None if in_app else now,
                    status=SENT if in_app else PENDING))
    with transaction.atomic():
        created = Notification.objects.bulk_create(rows)
        pending = [n.pk for n in created if n.status == Notification.DeliveryStatus.PENDING]
        if pending:
            from .tasks import deliver_pending_notifications, enqueue_on_commit

            enqueue_on_commit(deliver_pending_notifications, pending)
    digests = sum(1 for n in created if n.channel == Notification.Channel.IN_APP)
    logger.info("supervisor digests at %s: %d sent", now.isoformat(), digests)
    return {"digests": digests}
