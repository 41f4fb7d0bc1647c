"""The supervisors' daily digest: what is breached and what will breach by the end of today.

The cases live in the apps above this one; each registers a source (`register_source`) that
answers, in a few queries, how many of its deadlines are breached or due today per org unit and
which ones come first. The digest adds them up for each supervisor's part of the organisation.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import StaffProfile
from accounts.roles import ROLES_RECEIVING_DIGEST

from . import messages
from .models import Kind, Notification
from .services import EMAIL, Message, write_notifications

logger = logging.getLogger(__name__)

DIGEST_ITEMS = 10
TEMPLATE = "digest.daily"


@dataclass(frozen=True)
class DigestItem:
    path: str  # the responsible org unit's path
    reference: str
    name: object  # text, or a text per language (messages.localized)
    due_at: dt.datetime


@dataclass
class DigestFigures:
    counts: dict  # org unit path -> [breached, due later today]
    items: list  # DigestItem, nearest deadline first


digest_sources: list[Callable[..., DigestFigures]] = []


def register_source(source: Callable[..., DigestFigures]) -> None:
    """`source(now=, day_end=)` -> DigestFigures; registered once when the owning app starts."""
    if source not in digest_sources:
        digest_sources.append(source)


def _body(params: dict, language: str) -> str:
    lines = []
    for reference, name, due, breached in params.get("items", []):
        state = _("breached") if breached else _("due today")
        lines.append(
            f"{reference} {messages.render_value(name, language)} "
            f"{messages.render_value({'at': due}, language)} ({state})"
        )
    return "\n".join(lines)


messages.register(
    TEMPLATE, title=gettext_lazy("Daily digest: %(breached)s breached, %(today)s due today"), body=_body
)


def _local_day_bounds(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    local = timezone.localtime(now)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + dt.timedelta(days=1)


def send_supervisor_digests(*, now: dt.datetime) -> dict:
    """Each outlet supervisor, branch manager and centre manager: what is breached in their part
    of the organisation and what will breach by the end of today (in-app and email).

    Once per local day per person (a second run the same day sends nothing). A few queries in
    all, whatever the number of supervisors.
    """
    day_start, day_end = _local_day_bounds(now)
    counts = defaultdict(lambda: [0, 0])
    items = []
    for source in digest_sources:
        figures = source(now=now, day_end=day_end)
        for path, (breached, today) in figures.counts.items():
            counts[path][0] += breached
            counts[path][1] += today
        items += figures.items
    if not counts:
        return {"digests": 0}
    items.sort(key=lambda item: item.due_at)
    done = set(
        Notification.objects.filter(
            kind=Kind.DIGEST, channel=Notification.Channel.IN_APP, created_at__gte=day_start
        ).values_list("recipient_id", flat=True)
    )
    supervisors = (
        StaffProfile.objects.filter(role__in=ROLES_RECEIVING_DIGEST, user__is_active=True)
        .exclude(user_id__in=done)
        .select_related("user", "org_unit")
    )
    batch = []
    for profile in supervisors:
        scope = profile.org_unit.path
        breached = sum(c[0] for p, c in counts.items() if p.startswith(scope))
        today = sum(c[1] for p, c in counts.items() if p.startswith(scope))
        if not breached and not today:
            continue
        lines = [
            [i.reference, i.name, i.due_at.isoformat(), i.due_at <= now]
            for i in items
            if i.path.startswith(scope)
        ][:DIGEST_ITEMS]
        batch.append(
            Message(
                recipients=[profile],
                kind=Kind.DIGEST,
                template=TEMPLATE,
                channels=(EMAIL,),
                params={"breached": breached, "today": today, "items": lines},
            )
        )
    created = write_notifications(batch, now=now) if batch else []
    digests = len(batch)
    logger.info("supervisor digests at %s: %d sent (%d rows)", now.isoformat(), digests, len(created))
    return {"digests": digests}
