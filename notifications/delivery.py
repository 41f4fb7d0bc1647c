"""Delivering notification rows: email through Django's mail, SMS through a pluggable gateway.

Rows exist before any gateway is called. A delivery run claims due pending rows (SKIP LOCKED,
then a short lease in `next_attempt_at` so a crashed worker's rows come back), calls the
gateways outside any transaction, in a few threads so a slow gateway holds up nobody else, and
records the outcome: sent, or retried with exponential backoff, or failed after MAX_ATTEMPTS
with the last error (visible in the admin and on the failed-deliveries page).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
import threading
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils.module_loading import import_string

from accounts.masking import mask_phone

from .messages import render
from .models import Notification

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
LEASE = dt.timedelta(minutes=5)
BATCH_SIZE = 100
THREADS = 8


class DeliveryError(Exception):
    """A channel could not deliver; the row is retried (or failed after MAX_ATTEMPTS)."""


class PermanentDeliveryError(DeliveryError):
    """Retrying cannot help (no address): the row fails at once."""


# ---------------------------------------------------------------- SMS gateways


class SmsGateway:
    """Send one text message. Raise DeliveryError when the gateway does not accept it."""

    def send(self, phone: str, text: str, *, key: str = "") -> None:
        raise NotImplementedError


class ConsoleSmsGateway(SmsGateway):
    """Development: writes the message to standard output (the number masked, as in any log)."""

    def send(self, phone, text, *, key=""):
        sys.stdout.write(f"SMS to {mask_phone(phone)}: {text}\n")
        sys.stdout.flush()


_file_lock = threading.Lock()


class FileSmsGateway(SmsGateway):
    """Tests and demos: appends one line per message to settings.SMS_FILE_PATH (the number masked)."""

    def __init__(self, path: str | None = None):
        self.path = Path(path or settings.SMS_FILE_PATH)

    def send(self, phone, text, *, key=""):
        line = json.dumps({"to": mask_phone(phone), "text": text, "key": key}, ensure_ascii=False)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with _file_lock, self.path.open("a", encoding="utf-8") as f:
                f.write(line + "\n")
        except OSError as exc:
            raise DeliveryError(f"cannot write {self.path}: {exc}") from exc


class WebhookSmsGateway(SmsGateway):
    """Production: POST {"to", "text", "key"} as JSON with a bearer token; any 2xx is accepted.

    `key` lets the gateway drop a message it already took (we retry after a timeout).
    """

    def __init__(self, url: str | None = None, token: str | None = None, timeout: float | None = None):
        self.url = url or settings.SMS_WEBHOOK_URL
        self.token = settings.SMS_WEBHOOK_TOKEN if token is None else token
        self.timeout = settings.SMS_WEBHOOK_TIMEOUT if timeout is None else timeout
        if not self.url:
            raise DeliveryError("SMS_WEBHOOK_URL is not set")

    def send(self, phone, text, *, key=""):
        body = json.dumps({"to": phone, "text": text, "key": key}, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 (configured URL)
                response.read(1024)
        except urllib.error.HTTPError as exc:
            raise DeliveryError(f"SMS gateway answered HTTP {exc.code}") from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise DeliveryError(f"SMS gateway unreachable: {reason}") from exc


SMS_BACKENDS = {"console": ConsoleSmsGateway, "file": FileSmsGateway, "webhook": WebhookSmsGateway}


def get_sms_gateway() -> SmsGateway:
    """The gateway named by settings.SMS_BACKEND: console, file, webhook or a dotted class path."""
    name = settings.SMS_BACKEND
    cls = SMS_BACKENDS.get(name) or import_string(name)
    return cls()


# ---------------------------------------------------------------- one delivery


def _send(notification: Notification) -> None:
    """The outside call for one row (no database access here)."""
    channel = notification.channel
    if channel == Notification.Channel.IN_APP:
        return
    address = notification.address or (
        notification.recipient.email
        if channel == Notification.Channel.EMAIL and notification.recipient_id
        else ""
    )
    if not address:
        raise PermanentDeliveryError("no address to deliver to")
    title, body = render(notification, language=settings.LANGUAGE_CODE)
    if channel == Notification.Channel.EMAIL:
        try:
            send_mail(title, body, settings.DEFAULT_FROM_EMAIL, [address])
        except Exception as exc:
            raise DeliveryError(f"email: {type(exc).__name__}: {exc}") from exc
    elif channel == Notification.Channel.SMS:
        text = title if not body else f"{title}\n{body}"
        get_sms_gateway().send(address, text[:500], key=f"notification-{notification.pk}")
    else:
        raise DeliveryError(f"unknown channel {channel!r}")


def backoff(attempts: int) -> dt.timedelta:
    """1, 2, 4, 8 ... minutes after the nth failed attempt, at most an hour."""
    return min(dt.timedelta(minutes=2 ** max(attempts - 1, 0)), dt.timedelta(hours=1))


def _record(notification: Notification, error: str | None, *, now: dt.datetime, permanent=False) -> str:
    """Write the outcome; only a row still pending is touched (idempotent). Returns the outcome."""
    attempts = notification.attempts + 1
    if error is None:
        fields = {
            "status": Notification.DeliveryStatus.SENT,
            "sent_at": now,
            "next_attempt_at": None,
            "attempts": attempts,
            "last_error": "",
        }
        outcome = "sent"
    elif attempts >= MAX_ATTEMPTS or permanent:
        fields = {
            "status": Notification.DeliveryStatus.FAILED,
            "next_attempt_at": None,
            "attempts": attempts,
            "last_error": error[:2000],
        }
        outcome = "failed"
    else:
        fields = {
            "next_attempt_at": now + backoff(attempts),
            "attempts": attempts,
            "last_error": error[:2000],
        }
        outcome = "retry"
    pending = Notification.DeliveryStatus.PENDING
    Notification.objects.filter(pk=notification.pk, status=pending).update(**fields)
    for name, value in fields.items():
        setattr(notification, name, value)
    if outcome != "sent":
        logger.warning("notification %s (%s) %s: %s", notification.pk, notification.channel, outcome, error)
    return outcome


def _attempt(notification: Notification) -> tuple[str | None, bool]:
    """(error or None, whether the error is permanent)."""
    try:
        _send(notification)
    except DeliveryError as exc:
        return str(exc), isinstance(exc, PermanentDeliveryError)
    except Exception as exc:  # a gateway bug must not lose the row either
        logger.exception("notification %s: unexpected delivery error", notification.pk)
        return f"{type(exc).__name__}: {exc}", False
    return None, False


# ---------------------------------------------------------------- claiming and the retry sweep


def claim_pending(*, now: dt.datetime, ids=None, limit: int = BATCH_SIZE) -> list[Notification]:
    """Take due pending rows that no other worker holds, and lease them for LEASE."""
    with transaction.atomic():
        qs = Notification.objects.select_for_update(skip_locked=True, of=("self",)).filter(
            status=Notification.DeliveryStatus.PENDING, next_attempt_at__lte=now
        )
        if ids is not None:
            qs = qs.filter(pk__in=list(ids))
        rows = list(qs.select_related("recipient").order_by("next_attempt_at")[:limit])
        if rows:
            Notification.objects.filter(pk__in=[n.pk for n in rows]).update(next_attempt_at=now + LEASE)
    return rows


def deliver_pending(*, now: dt.datetime, ids=None, limit: int = BATCH_SIZE) -> Counter:
    """Deliver due pending rows (all due, or only `ids`); calls run in threads, results are
    recorded here. Returns counts of sent / retry / failed."""
    counts = Counter()
    remaining = list(ids) if ids is not None else None
    while True:
        batch_ids = remaining[:limit] if remaining is not None else None
        rows = claim_pending(now=now, ids=batch_ids, limit=limit)
        if rows:
            with ThreadPoolExecutor(max_workers=min(THREADS, len(rows))) as pool:
                outcomes = list(pool.map(_attempt, rows))
            for row, (error, permanent) in zip(rows, outcomes, strict=True):
                counts[_record(row, error, now=now, permanent=permanent)] += 1
        if remaining is not None:
            remaining = remaining[limit:]
            if not remaining:
                break
        elif len(rows) < limit:
            break
    if counts:
        logger.info("delivery at %s: %s", now.isoformat(), dict(counts))
    return counts
