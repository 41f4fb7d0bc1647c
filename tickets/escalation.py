"""The escalation ladder: when each step of a milestone is due, and who hears of it.

Levels (shared/data/service_standards.md "Escalation ladder", thresholds from EscalationPolicy):
0 warns the handler at `warn_percent` of the allowed time; 1 tells the outlet supervisor at
breach; 2 the branch manager after a further interval; 3 the group customer service centre.

schedule_milestone() keeps a milestone's `next_action_at` / `next_action_level` (the sweep's
work list) in step with its deadline; services call it after every change of due_at, met_at or
a pause, in the same transaction. `next_action_level` doubles as the cursor of the ladder: the
lowest level not yet done, kept while the milestone is paused, so no step ever runs twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import OrgUnit, StaffProfile
from accounts.roles import Role
from notifications.models import Kind as NotificationKind
from notifications.models import Notification
from notifications.services import notify

from . import messages, sla
from .calendars import get_snapshot
from .models import OPEN_STATUSES, EscalationPolicy, SlaState, TicketEvent, Unit

logger = logging.getLogger(__name__)

LEVELS = (0, 1, 2, 3)
LAST_LEVEL = LEVELS[-1]
DEFAULT_POLICY_CODE = "DEFAULT"
EMERGENCY_POLICY_CODE = "EMERGENCY"
# The published defaults (service_standards.md); used when the database holds no policy row.
POLICY_DEFAULTS = {
    DEFAULT_POLICY_CODE: {
        "name": "默认升级规则",
        "warn_percent": 80,
        "is_default": True,
        "level2_after_amount": 1,
        "level2_after_unit": Unit.WORKING_DAYS,
        "level3_after_amount": 3,
        "level3_after_unit": Unit.WORKING_DAYS,
    },
    EMERGENCY_POLICY_CODE: {
        "name": "抢险升级规则",
        "warn_percent": 80,
        "is_default": False,
        "level2_after_amount": 15,
        "level2_after_unit": Unit.MINUTES,
        "level3_after_amount": 60,
        "level3_after_unit": Unit.MINUTES,
    },
}
# Who handles a ticket of a unit when nobody is assigned: the unit's queue.
HANDLER_ROLES = (Role.FRONT_DESK, Role.AGENT, Role.TECHNICIAN)
LEVEL_ROLES = {1: Role.OUTLET_SUPERVISOR, 2: Role.BRANCH_MANAGER, 3: Role.CENTRE_MANAGER}
LEVEL_UNIT_KINDS = {1: None, 2: OrgUnit.Kind.BRANCH, 3: OrgUnit.Kind.CENTRE}
RECIPIENT_ROLES = (*HANDLER_ROLES, *LEVEL_ROLES.values())
# Channels per level besides in-app; emergencies also text every level.
EXTRA_CHANNELS = {
    0: (Notification.Channel.EMAIL,),
    1: (Notification.Channel.EMAIL,),
    2: (Notification.Channel.EMAIL, Notification.Channel.SMS),
    3: (Notification.Channel.EMAIL, Notification.Channel.SMS),
}
EMERGENCY_EXTRA_CHANNELS = (Notification.Channel.EMAIL, Notification.Channel.SMS)


# ---------------------------------------------------------------- policies (data, cached)


_policy_cache: dict[str, tuple[float, EscalationPolicy]] = {}
_policy_lock = threading.Lock()
POLICY_CACHE_SECONDS = 60.0


def ensure_default_policies() -> dict[str, EscalationPolicy]:
    """Create the DEFAULT and EMERGENCY policies if missing (idempotent; edits in the admin are kept)."""
    result = {}
    for code, values in POLICY_DEFAULTS.items():
        defaults = dict(values)
        other_default = EscalationPolicy.objects.filter(is_default=True).exclude(code=code)
        if defaults["is_default"] and other_default.exists():
            defaults["is_default"] = False
        result[code], _created = EscalationPolicy.objects.get_or_create(code=code, defaults=defaults)
    clear_policy_cache()
    return result


def clear_policy_cache() -> None:
    with _policy_lock:
        _policy_cache.clear()


@receiver([post_save, post_delete], sender=EscalationPolicy, dispatch_uid="escalation_policy_changed")
def _policy_changed(sender, **kwargs):
    clear_policy_cache()


def _cached_policy(key: str, load) -> EscalationPolicy:
    cached = _policy_cache.get(key)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    policy = load()
    with _policy_lock:
        _policy_cache[key] = (time.monotonic() + POLICY_CACHE_SECONDS, policy)
    return policy


def _builtin(code: str) -> EscalationPolicy:
    return EscalationPolicy(code=code, **POLICY_DEFAULTS[code])


def policy_for(service_type) -> EscalationPolicy:
    """The service type's own policy, else the emergency policy for emergencies, else the default.

    No query when the service type's policy is select_related or the fallback is cached.
    """
    if service_type.escalation_policy_id is not None:
        return service_type.escalation_policy
    if service_type.is_emergency:
        return _cached_policy(
            EMERGENCY_POLICY_CODE,
            lambda: (
                EscalationPolicy.objects.filter(code=EMERGENCY_POLICY_CODE).first()
                or _builtin(EMERGENCY_POLICY_CODE)
            ),
        )
    return _cached_policy(
        DEFAULT_POLICY_CODE,
        lambda: EscalationPolicy.objects.filter(is_default=True).first() or _builtin(DEFAULT_POLICY_CODE),
    )


# ---------------------------------------------------------------- the ladder's times (pure)


def _one_working_day_before(cal: sla.CalendarSnapshot, moment: dt.datetime) -> dt.datetime:
    """The same local time on the previous working day (12345 orders: warn a working day ahead)."""
    local = moment.astimezone(cal.tz)
    day = local.date() - dt.timedelta(days=1)
    for _i in range(366):
        if cal.is_working_day(day):
            break
        day -= dt.timedelta(days=1)
    return dt.datetime.combine(day, local.time(), tzinfo=cal.tz)


def _is_hotline_deadline(milestone, ticket) -> bool:
    if ticket.hotline_due_at is None:
        return False
    return milestone.is_override or milestone.due_at == ticket.hotline_due_at


def compute_warn_at(milestone, ticket, policy: EscalationPolicy, cal: sla.CalendarSnapshot) -> dt.datetime:
    """When the handler is warned: at the policy's share of the allowed time, or for a 12345
    order's deadline one working day before it; never before the clock started."""
    due = milestone.due_at
    start = milestone.started_at or ticket.received_at
    if _is_hotline_deadline(milestone, ticket):
        warn = _one_working_day_before(cal, due)
    elif start is not None and start < due:
        warn = sla.warn_at(cal, start, due, milestone.unit, policy.warn_percent)
    else:
        warn = due
    if start is not None and warn < start:
        warn = min(start, due)
    return warn


def step_time(
    level: int, milestone, policy: EscalationPolicy, cal: sla.CalendarSnapshot, warn: dt.datetime
) -> dt.datetime:
    """When step `level` of a milestone with a due time comes due (`warn`: its compute_warn_at)."""
    if level == 0:
        return warn
    due = milestone.due_at
    if level == 1:
        return due
    if level == 2:
        return sla.add_duration(cal, due, policy.level2_after_amount, policy.level2_after_unit).at
    return sla.add_duration(cal, due, policy.level3_after_amount, policy.level3_after_unit).at


def step_times(
    milestone, ticket, policy: EscalationPolicy, cal: sla.CalendarSnapshot, warn: dt.datetime | None = None
) -> dict[int, dt.datetime]:
    """{level: when} for a milestone with a due time."""
    warn = warn or compute_warn_at(milestone, ticket, policy, cal)
    return {level: step_time(level, milestone, policy, cal, warn) for level in LEVELS}


def ladder_is_ordered(policy: EscalationPolicy) -> bool:
    """Whether the policy's step times never decrease with the level, for any milestone.

    Warn <= due <= level 2 always (a warning is never after the deadline, an interval after it is
    never before it); level 3 follows level 2 when both intervals share a unit and the third is
    not the shorter. Then the steps due at a moment are the levels before the first one still to
    come, and later levels need not be computed.
    """
    return (
        policy.level2_after_unit == policy.level3_after_unit
        and policy.level3_after_amount >= policy.level2_after_amount
    )


def due_steps(
    milestone,
    policy: EscalationPolicy,
    cal: sla.CalendarSnapshot,
    warn: dt.datetime,
    cursor: int,
    now: dt.datetime,
    *,
    ordered: bool | None = None,
    ticket=None,
) -> tuple[list[int], int | None, dt.datetime | None]:
    """(levels due at `now` from `cursor` on, the next level to do or None, when it comes due).

    The same answer as taking every level >= cursor whose step_times entry has passed, with the
    levels after the first still to come computed only when the ladder is not ordered.
    """
    if ordered is None:
        ordered = ladder_is_ordered(policy)
    if not ordered:
        times = step_times(milestone, ticket, policy, cal, warn)
        levels = [level for level in LEVELS if level >= cursor and times[level] <= now]
        nxt = (levels[-1] + 1) if levels else cursor
        return levels, (nxt if nxt <= LAST_LEVEL else None), (times[nxt] if nxt <= LAST_LEVEL else None)
    levels = []
    level = cursor
    while level <= LAST_LEVEL:
        at = step_time(level, milestone, policy, cal, warn)
        if at > now:
            return levels, level, at
        levels.append(level)
        level += 1
    return levels, None, None


def state_at(milestone, now: dt.datetime, warn: dt.datetime | None) -> str:
    if milestone.met_at is not None:
        return SlaState.MET_LATE if milestone.due_at and milestone.met_at > milestone.due_at else SlaState.MET
    if milestone.due_at is None:
        return SlaState.PENDING
    if now >= milestone.due_at:
        return SlaState.BREACHED
    if warn is not None and now >= warn:
        return SlaState.AT_RISK
    return SlaState.ON_TIME


def is_watched(milestone, ticket) -> bool:
    """The ladder runs only for an unmet, started milestone of an open ticket that is not paused."""
    return (
        milestone.met_at is None
        and milestone.due_at is not None
        and ticket.status in OPEN_STATUSES
        and ticket.paused_at is None
    )


def _cursor(milestone) -> int | None:
    """The lowest level not yet done (None: all done)."""
    if milestone.next_action_level is not None:
        return milestone.next_action_level
    if milestone.pk is None or milestone.state == SlaState.PENDING:
        return 0
    # Rare: the ladder ran to its end (or was never scheduled); ask the ledger once.
    done = {e.level for e in milestone.escalations.all()}
    return next((level for level in LEVELS if level not in done), None)


def schedule_milestone(milestone, *, now, policy=None, cal=None, save=True) -> None:
    """Set warn_at, state and the next step (next_action_at/next_action_level) of a milestone.

    The caller passes the milestone with ticket, service_type (and its calendar and policy)
    select_related; saves those four fields when the milestone exists (save=False: caller saves).
    """
    ticket = milestone.ticket
    warn = None
    if milestone.met_at is None and milestone.due_at is not None:
        service_type = ticket.service_type
        policy = policy or policy_for(service_type)
        cal = cal or get_snapshot(service_type.calendar)
        warn = compute_warn_at(milestone, ticket, policy, cal)
        milestone.warn_at = warn
    milestone.state = state_at(milestone, now, warn)
    level = _cursor(milestone) if milestone.met_at is None else milestone.next_action_level
    next_at = None
    if level is not None and level <= LAST_LEVEL and is_watched(milestone, ticket):
        next_at = step_times(milestone, ticket, policy, cal, warn)[level]
    milestone.next_action_level = level if level is not None and level <= LAST_LEVEL else None
    milestone.next_action_at = next_at
    if save and milestone.pk:
        milestone.save(update_fields=["warn_at", "state", "next_action_at", "next_action_level"])


# ---------------------------------------------------------------- recipients


@dataclass(frozen=True)
class Recipient:
    user: object
    mobile: str
    role: str

    def as_json(self) -> dict:
        return {
            "id": self.user.pk,
            "name": self.user.get_full_name() or self.user.get_username(),
            "role": str(self.role),
        }


class RecipientDirectory:
    """Staff of the org units (and their ancestors) of a batch of tickets: one query for all."""

    def __init__(self, tickets):
        tickets = list(tickets)
        paths = {ticket.org_unit.path for ticket in tickets}
        assignee_ids = {ticket.assignee_id for ticket in tickets if ticket.assignee_id}
        codes = {c for path in paths for c in path.strip("/").split("/") if c}
        self.by_user: dict[int, Recipient] = {}
        self.by_unit_role: dict[tuple[str, str], list[Recipient]] = defaultdict(list)
        self.unit_kind: dict[str, str] = {}
        self._json: dict[tuple, list[dict]] = {}
        if not codes and not assignee_ids:
            return
        profiles = (
            StaffProfile.objects.filter(
                Q(org_unit__code__in=codes, role__in=RECIPIENT_ROLES) | Q(user_id__in=assignee_ids),
                user__is_active=True,
            )
            .select_related("user", "org_unit")
            .only(
                "role",
                "mobile",
                "user__id",
                "user__username",
                "user__first_name",
                "user__last_name",
                "user__email",
                "user__is_active",
                "org_unit__path",
                "org_unit__kind",
            )
            .order_by("user_id")
        )
        for profile in profiles:
            recipient = Recipient(user=profile.user, mobile=profile.mobile, role=profile.role)
            self.by_user[profile.user_id] = recipient
            self.by_unit_role[(profile.org_unit.path, profile.role)].append(recipient)
            self.unit_kind[profile.org_unit.path] = profile.org_unit.kind

    def as_json(self, recipients) -> list[dict]:
        """[r.as_json() for r in recipients], worked out once per directory for each list (do not
        change the list returned: it is shared)."""
        key = tuple((r.user.pk, r.role) for r in recipients)
        found = self._json.get(key)
        if found is None:
            found = self._json[key] = [r.as_json() for r in recipients]
        return found

    def _at_ancestor(self, path: str, role: str, kind: str | None) -> list[Recipient]:
        """Holders of `role` at the nearest unit on `path` (self first, then upwards) of `kind`."""
        parts = [c for c in path.strip("/").split("/") if c]
        for depth in range(len(parts), 0, -1):
            unit_path = "/" + "/".join(parts[:depth]) + "/"
            found = self.by_unit_role.get((unit_path, role))
            if found and (kind is None or self.unit_kind.get(unit_path) == kind):
                return found
        return []

    def handlers(self, ticket) -> list[Recipient]:
        if ticket.assignee_id:
            recipient = self.by_user.get(ticket.assignee_id)
            return [recipient or Recipient(user=ticket.assignee, mobile="", role="")]
        path = ticket.org_unit.path
        return [r for role in HANDLER_ROLES for r in self.by_unit_role.get((path, role), [])]

    def audience(self, ticket, level: int) -> list[Recipient]:
        """Who is told of a step: the handler at the warning; the handler and the outlet supervisor
        at breach; the branch manager at level 2; the centre at level 3 (managers hear of the rest
        through the daily digest)."""
        if level != 1:
            return self.for_level(ticket, level)
        found = {r.user.pk: r for r in self.handlers(ticket) + self.for_level(ticket, 1)}
        return list(found.values())

    def for_level(self, ticket, level: int) -> list[Recipient]:
        """Who hears of a step; nobody at a level passes it up, so no step goes unheard."""
        for candidate in range(level, LAST_LEVEL + 1):
            if candidate == 0:
                found = self.handlers(ticket)
            else:
                found = self._at_ancestor(
                    ticket.org_unit.path, LEVEL_ROLES[candidate], LEVEL_UNIT_KINDS[candidate]
                )
            if found:
                return found
        return []


# ---------------------------------------------------------------- emergencies: alert at creation


def alert_emergency(ticket, *, now: dt.datetime) -> int:
    """An emergency ticket alerts its handlers and the outlet supervisor at once (in-app, SMS, email).

    Called by create_ticket inside its transaction: the ticket and its alert exist together or
    not at all; the SMS and email rows are delivered after commit. Returns the rows written.
    """
    if not ticket.service_type.is_emergency:
        return 0
    directory = RecipientDirectory([ticket])
    recipients = {r.user.pk: r for r in directory.handlers(ticket) + directory.for_level(ticket, 1)}
    service = ticket.service_type
    rows = notify(
        recipients=recipients.values(),
        kind=NotificationKind.EMERGENCY,
        template=messages.EMERGENCY,
        params={
            "service": messages.in_languages(service.name, service.name_en),
            "address": ticket.contact_address,
            "description": ticket.description[:300],
        },
        channels=EMERGENCY_EXTRA_CHANNELS,
        subject=messages.subject_for(ticket),
        now=now,
    )
    with translation.override(settings.LANGUAGE_CODE):
        message = _("Emergency alert sent to %(count)s staff.") % {"count": len(recipients)}
    TicketEvent.objects.create(
        ticket=ticket,
        kind=TicketEvent.Kind.NOTIFICATION,
        at=now,
        message=message,
        data={"kind": NotificationKind.EMERGENCY, "recipients": [r.as_json() for r in recipients.values()]},
    )
    return len(rows)
