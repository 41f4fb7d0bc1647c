"""Every change to notification rows: the one writer, mark read, retry a failed delivery.

`write_notifications` is the only code that creates rows. Callers give recipients, a kind, a
template key and parameters (notifications.messages) and, for a case, its `Subject`; they call
it inside the transaction of the change that causes the message, so the case and its message
exist together or not at all. Email and SMS rows stay pending and are delivered after commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.roles import is_supervisor
from gasservice.bulk_sql import insert_grouped

from .models import Kind as Kind  # the apps above name their notifications' kind through this module
from .models import Notification

IN_APP, EMAIL, SMS = Notification.Channel.IN_APP, Notification.Channel.EMAIL, Notification.Channel.SMS
SENT, PENDING, FAILED = (
    Notification.DeliveryStatus.SENT,
    Notification.DeliveryStatus.PENDING,
    Notification.DeliveryStatus.FAILED,
)


MAX_IDS_PER_MESSAGE = 1000  # a larger batch gets one "deliver what is due" message instead


@dataclass(frozen=True)
class Subject:
    """The case a notification is about: its row (generic relation), reference, link and unit."""

    type_id: int | None = None
    id: int | None = None
    reference: str = ""
    link: str = ""
    org_unit_id: int | None = None


@dataclass(frozen=True)
class Address:
    """A recipient who is no user (a customer): one channel, one address."""

    channel: str
    address: str


@dataclass
class Message:
    """One message to many recipients: in-app for every user, plus `channels` where they have an address."""

    recipients: Iterable
    kind: str
    template: str
    params: dict = field(default_factory=dict)
    channels: Iterable[str] = ()
    subject: Subject | None = None
    send_at: dt.datetime | None = None  # email/SMS wait until then (a decent hour); default: at once


# While the demo loads its past cases, nothing leaves the machine: no SMS, no email (in-app rows stay).
_withheld = ContextVar("notifications_withheld", default=False)


@contextmanager
def withheld():
    """Write no SMS or email rows inside this block (the demo's cases and fictional customers)."""
    token = _withheld.set(True)
    try:
        yield
    finally:
        _withheld.reset(token)


def _user_addresses(recipient) -> tuple[object, str, str]:
    """(user, email, mobile) of a user or of an object with `.user` and `.mobile` (escalation recipients)."""
    user = getattr(recipient, "user", None)
    if user is not None:
        return user, user.email, getattr(recipient, "mobile", "")
    profile = getattr(recipient, "staff_profile", None)
    return recipient, recipient.email, profile.mobile if profile else ""


def _case(message: Message) -> dict:
    """The columns every row of a message has in common."""
    subject = message.subject or Subject()
    return {
        "subject_type_id": subject.type_id,
        "subject_id": subject.id,
        "reference": subject.reference,
        "link": subject.link,
        "org_unit_id": subject.org_unit_id,
        "kind": message.kind,
        "template": message.template,
        "params": message.params,
    }


def _rows(recipients, channels, send_at: dt.datetime, now: dt.datetime, *, outside: bool) -> list[dict]:
    """The recipient columns of a message's rows; `outside`: whether email/SMS rows may be written."""
    rows = []
    for recipient in recipients:
        if isinstance(recipient, Address):
            if recipient.address and outside:
                rows.append(
                    {
                        "recipient_id": None,
                        "channel": recipient.channel,
                        "address": recipient.address,
                        "status": PENDING,
                        "sent_at": None,
                        "next_attempt_at": send_at,
                    }
                )
            continue
        user, email, mobile = _user_addresses(recipient)
        rows.append(
            {
                "recipient_id": user.pk,
                "channel": IN_APP,
                "address": "",
                "status": SENT,
                "sent_at": now,
                "next_attempt_at": None,
            }
        )
        for channel in channels if outside else ():
            address = email if channel == EMAIL else mobile if channel == SMS else ""
            if address:
                rows.append(
                    {
                        "recipient_id": user.pk,
                        "channel": channel,
                        "address": address,
                        "status": PENDING,
                        "sent_at": None,
                        "next_attempt_at": send_at,
                    }
                )
    return rows


def write_notifications(messages: Iterable[Message], *, now: dt.datetime) -> list[tuple[int, str]]:
    """Write the rows of many messages in one INSERT; returns [(id, status)].

    Pending (email, SMS) rows are queued for delivery once the surrounding transaction commits;
    a lost queue message is made good by the delivery sweep every minute.
    """
    outside = not _withheld.get()
    # Messages to the same recipients on the same channels (an outlet's staff, case after case)
    # share one set of recipient columns, worked out and sent once. The key holds the recipients
    # themselves, so the ids in it stay theirs while this call runs.
    sets: dict[tuple, tuple[int, tuple]] = {}
    member_sets, groups = [], []
    for message in messages:
        recipients = tuple(message.recipients)
        channels = tuple(message.channels)
        key = (tuple(map(id, recipients)), channels, message.send_at)
        found = sets.get(key)
        if found is None:
            found = sets[key] = (len(member_sets), recipients)
            member_sets.append(_rows(recipients, channels, message.send_at or now, now, outside=outside))
        if member_sets[found[0]]:  # nobody to write to (no address, or withheld): no rows
            groups.append((found[0], _case(message)))
    created = insert_grouped(
        Notification,
        groups,
        member_sets,
        returning=("id", "status"),
        shared={"created_at": now, "read_at": None, "attempts": 0, "last_error": "", "title": "", "body": ""},
    )
    pending = [pk for pk, status in created if status == PENDING]
    if pending:  # rows not yet due (send_at) are left alone by the delivery run until their time
        from .tasks import deliver_pending_notifications, enqueue_on_commit

        enqueue_on_commit(
            deliver_pending_notifications, pending if len(pending) <= MAX_IDS_PER_MESSAGE else None
        )
    return created


def notify(
    *,
    recipients: Iterable,
    kind: str,
    template: str,
    params: dict | None = None,
    channels: Iterable[str] = (),
    subject: Subject | None = None,
    send_at: dt.datetime | None = None,
    now: dt.datetime,
) -> list[tuple[int, str]]:
    """One message (see write_notifications)."""
    return write_notifications(
        [
            Message(
                recipients=list(recipients),
                kind=kind,
                template=template,
                params=params or {},
                channels=tuple(channels),
                subject=subject,
                send_at=send_at,
            )
        ],
        now=now,
    )


# ---------------------------------------------------------------- reading and retrying


def mark_read(*, notification: Notification, user, now: dt.datetime) -> Notification:
    """Mark one of the user's notifications as read (reading twice keeps the first time)."""
    if notification.recipient_id != user.pk:
        raise PermissionDenied(_("This notification is not yours."))
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        notification.read_at = now
    return notification


def mark_all_read(*, user, now: dt.datetime, kind: str | None = None) -> int:
    """Mark the user's unread in-app notifications as read, all of them or only those of `kind`."""
    rows = Notification.objects.filter(recipient=user, channel=IN_APP, read_at__isnull=True)
    if kind:
        rows = rows.filter(kind=kind)
    return rows.update(read_at=now)


def can_see_failed_deliveries(user) -> bool:
    return is_supervisor(user)


def retry_delivery(*, notification: Notification, actor, now: dt.datetime) -> Notification:
    """Send a failed delivery again (after the address or the gateway was fixed)."""
    if not can_see_failed_deliveries(actor):
        raise PermissionDenied(_("Only supervisors and administrators may retry deliveries."))
    if notification.status != FAILED:
        raise ValidationError({"status": [_("Only a failed delivery can be retried.")]})
    with transaction.atomic():
        Notification.objects.filter(pk=notification.pk, status=FAILED).update(
            status=PENDING, attempts=0, next_attempt_at=now
        )
        from .tasks import deliver_notification, enqueue_on_commit

        enqueue_on_commit(deliver_notification, notification.pk)
    notification.refresh_from_db()
    return notification
