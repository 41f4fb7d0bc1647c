"""The deadline sweep: performs every escalation step that has come due, exactly once.

Run every minute by beat (tasks.sweep_deadlines) and by `manage.py sweep_deadlines`.

Steps, per chunk, in one transaction (`_sweep_chunk`):

1. Claim (`claim_queryset`): up to `chunk_size` milestones whose `next_action_at` has passed
   (partial index `milestone_due_action`), oldest first, with SELECT ... FOR UPDATE SKIP LOCKED:
   a second sweep running at the same moment takes other rows, never the same ones.
2. Plan (`_plan`): each row's steps due from its cursor (`next_action_level`). A row several
   steps behind performs only the highest one; the steps before it are recorded as skipped,
   with no notification (never an "approaching" warning after the breach).
3. Write (`_write`): escalation rows with ON CONFLICT DO NOTHING RETURNING (the unique
   (milestone, level) constraint makes each step happen once; only rows actually inserted go
   on), timeline events, notification rows through the one writer (delivered after commit),
   the milestones' next steps and the tickets' escalation level and SLA state. Set-based SQL
   lives in gasservice.bulk_sql.
4. Guard: the chunk's plan and write run in a savepoint. If anything raises, the chunk is done
   again row by row, each in its own savepoint; a failing row is set aside with `last_error`
   and retried after a growing delay (`retry_delay`), and the rest of the chunk commits. The
   set-aside rows show in the admin and as a count in /healthz.

A small constant number of queries per chunk; the cost follows the steps due, not the number
of open milestones. Stops when a claim returns less than a full chunk.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import logging
import time
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from gasservice.bulk_sql import insert_rows as _insert
from gasservice.bulk_sql import update_rows as _update
from notifications.messages import at, render_value, title_renderer
from notifications.models import Kind as NotificationKind
from notifications.services import Message, Subject, write_notifications

from . import escalation, ladder, messages, policies
from .calendars import get_snapshot
from .models import Escalation, EscalationPolicy, Milestone, Ticket, TicketEvent, WorkCalendar
from .recipients import RecipientDirectory
from .sla import sla_rank

logger = logging.getLogger(__name__)

RETRY_AFTER_ERROR = dt.timedelta(minutes=5)
MAX_RETRY_DELAY = dt.timedelta(hours=6)
DEFAULT_CHUNK_SIZE = 500


@dataclass
class SweepResult:
    claimed: int = 0
    escalations: int = 0
    warnings: int = 0
    events: int = 0
    notifications: int = 0
    skipped: int = 0
    errors: int = 0
    chunks: int = 0
    by_level: Counter = field(default_factory=Counter)
    seconds: float = 0.0

    def add(self, other: SweepResult) -> None:
        for name in ("escalations", "warnings", "skipped", "events", "notifications", "errors"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.by_level.update(other.by_level)

    def as_dict(self) -> dict:
        return {
            "claimed": self.claimed,
            "escalations": self.escalations,
            "warnings": self.warnings,
            "skipped": self.skipped,
            "events": self.events,
            "notifications": self.notifications,
            "errors": self.errors,
            "chunks": self.chunks,
            "by_level": {str(k): v for k, v in sorted(self.by_level.items())},
            "seconds": round(self.seconds, 4),
        }


def claim_queryset(now: dt.datetime, chunk_size: int):
    """The claim: ids of due, unmet milestones, oldest step first, rows another sweep holds skipped.

    Ids only, on the partial index: cheap to plan and to run when nothing is due; the rows'
    tickets, service types and units are read afterwards by primary key.
    """
    return (
        Milestone.objects.select_for_update(skip_locked=True)
        .filter(next_action_at__isnull=False, met_at__isnull=True, next_action_at__lte=now)
        .order_by("next_action_at")
        .values_list("id", flat=True)[:chunk_size]
    )


# ---------------------------------------------------------------- the claimed rows, as plain objects
#
# The sweep reads columns, not model instances: a chunk is hundreds of milestones, each with its
# ticket, unit and service type, and building ~6 model instances per row cost more than the SQL.
# The objects below carry exactly the attributes the ladder, its policies and recipients read.

_POLICY_FIELDS = (
    "code",
    "name",
    "warn_percent",
    "level2_after_amount",
    "level2_after_unit",
    "level3_after_amount",
    "level3_after_unit",
    "is_default",
)
_ROW_FIELDS = (
    "id",
    "ticket_id",
    "code",
    "name",
    "name_en",
    "unit",
    "due_at",
    "started_at",
    "met_at",
    "is_override",
    "next_action_level",
    "state",
    "warn_at",
    "ticket__status",
    "ticket__paused_at",
    "ticket__received_at",
    "ticket__hotline_due_at",
    "ticket__escalation_level",
    "ticket__sla_state",
    "ticket__reference",
    "ticket__assignee_id",
    "ticket__org_unit_id",
    "ticket__org_unit__path",
    "ticket__org_unit__name",
    "ticket__service_type_id",
    "ticket__service_type__name",
    "ticket__service_type__name_en",
    "ticket__service_type__is_emergency",
    "ticket__service_type__calendar_id",
    "ticket__service_type__calendar__updated_at",
    "ticket__service_type__calendar__time_zone",
    "ticket__service_type__escalation_policy_id",
    *(f"ticket__service_type__escalation_policy__{name}" for name in _POLICY_FIELDS),
)


class _OrgUnit:
    __slots__ = ("pk", "path", "name")

    def __init__(self, pk, path, name):
        self.pk, self.path, self.name = pk, path, name


class _ServiceType:
    """A service type with its calendar and policy; `ladder` caches (policy, snapshot, ordered)."""

    __slots__ = (
        "pk",
        "name",
        "names",
        "is_emergency",
        "calendar",
        "escalation_policy_id",
        "escalation_policy",
        "ladder",
    )

    def __init__(self, pk, name, name_en, is_emergency, calendar, policy_id, policy):
        self.pk, self.name, self.is_emergency, self.calendar = pk, name, is_emergency, calendar
        self.names = messages.in_languages(name, name_en)
        self.escalation_policy_id, self.escalation_policy, self.ladder = policy_id, policy, None


class _Ticket:
    __slots__ = (
        "pk",
        "status",
        "paused_at",
        "received_at",
        "hotline_due_at",
        "escalation_level",
        "sla_state",
        "reference",
        "assignee_id",
        "assignee",
        "org_unit",
        "service_type",
        "subject",
    )

    @property
    def id(self):
        return self.pk


class _Milestone:
    __slots__ = (
        "pk",
        "ticket_id",
        "ticket",
        "code",
        "name",
        "name_en",
        "unit",
        "due_at",
        "started_at",
        "met_at",
        "is_override",
        "next_action_level",
        "state",
        "warn_at",
        "next_action_at",
        "last_error",
    )

    @property
    def id(self):
        return self.pk


def _claimed_rows(ids: list[int]) -> list[_Milestone]:
    """The claimed milestones (one query), oldest step first; one _Ticket per ticket."""
    rows = Milestone.objects.filter(pk__in=ids).order_by("next_action_at").values_list(*_ROW_FIELDS)
    tickets: dict[int, _Ticket] = {}
    units: dict[int, _OrgUnit] = {}
    types: dict[int, _ServiceType] = {}
    milestones = []
    type_id_of_ticket = messages.ticket_type_id()
    for (
        pk,
        ticket_id,
        code,
        name,
        name_en,
        unit,
        due_at,
        started_at,
        met_at,
        is_override,
        level,
        state,
        warn_at,
        status,
        paused_at,
        received_at,
        hotline_due_at,
        escalation_level,
        sla_state,
        reference,
        assignee_id,
        unit_id,
        unit_path,
        unit_name,
        type_id,
        type_name,
        type_name_en,
        is_emergency,
        calendar_id,
        calendar_updated_at,
        calendar_tz,
        policy_id,
        *policy,
    ) in rows:
        ticket = tickets.get(ticket_id)
        if ticket is None:
            ticket = tickets[ticket_id] = _Ticket()
            ticket.pk, ticket.status, ticket.paused_at = ticket_id, status, paused_at
            ticket.received_at, ticket.hotline_due_at = received_at, hotline_due_at
            ticket.escalation_level, ticket.sla_state = escalation_level, sla_state
            ticket.reference, ticket.assignee_id, ticket.assignee = reference, assignee_id, None
            org_unit = units.get(unit_id)
            if org_unit is None:
                org_unit = units[unit_id] = _OrgUnit(unit_id, unit_path, unit_name)
            ticket.org_unit = org_unit
            service_type = types.get(type_id)
            if service_type is None:
                calendar = WorkCalendar(id=calendar_id, updated_at=calendar_updated_at, time_zone=calendar_tz)
                own = (
                    EscalationPolicy(id=policy_id, **dict(zip(_POLICY_FIELDS, policy, strict=True)))
                    if policy_id is not None
                    else None
                )
                service_type = types[type_id] = _ServiceType(
                    type_id, type_name, type_name_en, is_emergency, calendar, policy_id, own
                )
            ticket.service_type = service_type
            ticket.subject = Subject(
                type_id=type_id_of_ticket,
                id=ticket_id,
                reference=reference,
                link=messages.ticket_link(reference),
                org_unit_id=unit_id,
            )
        m = _Milestone()
        m.pk, m.ticket_id, m.ticket, m.code, m.name, m.unit = pk, ticket_id, ticket, code, name, unit
        m.name_en = name_en
        m.due_at, m.started_at, m.met_at, m.is_override = due_at, started_at, met_at, is_override
        m.next_action_level, m.state, m.warn_at = level, state, warn_at
        m.next_action_at, m.last_error = None, ""
        milestones.append(m)
    return milestones


def _ladder(service_type: _ServiceType):
    """(policy, calendar snapshot, whether the policy's step times are ordered), once per chunk."""
    if service_type.ladder is None:
        policy = policies.policy_for(service_type)
        cal = get_snapshot(service_type.calendar)
        service_type.ladder = (policy, cal, ladder.is_ordered(policy))
    return service_type.ladder


def _attach_assignees(tickets, directory) -> None:
    """Assignees the directory does not know (no active staff profile) as users: one query, rarely."""
    missing = {t.assignee_id for t in tickets if t.assignee_id and t.assignee_id not in directory.by_user}
    if not missing:
        return
    users = get_user_model()._default_manager.in_bulk(missing)
    for ticket in tickets:
        if ticket.assignee_id in missing:
            ticket.assignee = users.get(ticket.assignee_id)


# ---------------------------------------------------------------- one chunk


@dataclass
class _Plan:
    """What one claim will write: the steps to perform and to record as skipped, per milestone."""

    milestones: list  # every claimed row, with its new warn_at/state/next step
    steps: list = field(default_factory=list)  # (milestone, ticket, level performed, levels skipped)


def _plan(milestones: list[_Milestone], now: dt.datetime) -> _Plan:
    """Work out each claimed row's next step. A row several steps behind (worker stopped, backup
    restored) performs only the highest step now due; the ones before it are skipped."""
    plan = _Plan(milestones=milestones)
    for m in milestones:
        ticket = m.ticket
        m.last_error = ""
        if not escalation.is_watched(m, ticket):
            m.next_action_at = None  # stale row (closed, paused): the services reschedule it
            continue
        policy, cal, ordered = _ladder(ticket.service_type)
        warn = ladder.compute_warn_at(m, ticket, policy, cal)
        cursor = m.next_action_level if m.next_action_level is not None else 0
        levels, next_level, next_at = ladder.due_steps(
            m, policy, cal, warn, cursor, now, ordered=ordered, ticket=ticket
        )
        state = ladder.state_at(m, now, warn)
        m.warn_at, m.state, m.next_action_level, m.next_action_at = warn, state, next_level, next_at
        if levels:
            plan.steps.append((m, ticket, levels[-1], levels[:-1]))
    return plan


def _write(plan: _Plan, now: dt.datetime, result: SweepResult) -> None:
    """Write a plan: escalation rows (each step once, by the unique constraint), timeline events,
    notifications through the one writer, the milestones' next steps and the tickets' levels."""
    recipients, rows = {}, []
    directory = None
    if plan.steps:
        directory = RecipientDirectory(t for _m, t, _l, _s in plan.steps)
        _attach_assignees([t for _m, t, _l, _s in plan.steps], directory)
        for m, ticket, level, skipped in plan.steps:
            for passed in skipped:
                rows.append(
                    {
                        "milestone_id": m.pk,
                        "ticket_id": ticket.pk,
                        "level": passed,
                        "due_at": m.due_at,
                        "recipients": [],
                        "is_skipped": True,
                    }
                )
            found = directory.audience(ticket, level)
            recipients[m.pk] = found
            rows.append(
                {
                    "milestone_id": m.pk,
                    "ticket_id": ticket.pk,
                    "level": level,
                    "due_at": m.due_at,
                    "recipients": directory.as_json(found),
                    "is_skipped": False,
                }
            )
    inserted = {
        (mid, level)
        for mid, level in _insert(
            Escalation,
            rows,
            shared={"at": now},
            returning=("milestone_id", "level"),
            conflict=("milestone_id", "level"),
        )
    }

    events, batch, touched, due_texts, shown_dues, titles = [], [], {}, {}, {}, {}
    site_language = settings.LANGUAGE_CODE
    for m, ticket, level, skipped in plan.steps:
        result.skipped += sum(1 for passed in skipped if (m.pk, passed) in inserted)
        if (m.pk, level) in inserted:
            found = recipients[m.pk]
            template = messages.step_template(level)
            due = due_texts.get(m.due_at) or due_texts.setdefault(m.due_at, at(m.due_at))
            params = {
                "milestone": messages.in_languages(m.name, m.name_en),
                "due": due,
                "level": level,
                "unit": ticket.org_unit.name,
                "service": ticket.service_type.names,
            }
            # The timeline's text, in the site language: the translated title looked up once per
            # template and each due time shown once per chunk.
            title = titles.get(template) or titles.setdefault(
                template, title_renderer(template, language=site_language)
            )
            shown = shown_dues.get(m.due_at) or shown_dues.setdefault(
                m.due_at, render_value(due, site_language.lower())
            )
            events.append(
                {
                    "ticket_id": ticket.pk,
                    "message": title({**params, "due": shown, "reference": ticket.reference, "url": ""}),
                    "kind": TicketEvent.Kind.WARNING if level == 0 else TicketEvent.Kind.ESCALATED,
                    "data": {
                        "milestone": m.code,
                        "level": level,
                        "due_at": m.due_at.isoformat(),
                        "skipped": list(skipped),
                        "recipients": directory.as_json(found),
                    },
                }
            )
            batch.append(
                Message(
                    recipients=found,
                    template=template,
                    params=params,
                    channels=messages.step_channels(level, is_emergency=ticket.service_type.is_emergency),
                    subject=ticket.subject,
                    kind=NotificationKind.BREACH if level else NotificationKind.WARNING,
                )
            )
            result.by_level[level] += 1
            if level == 0:
                result.warnings += 1
            else:
                result.escalations += 1
            touched[ticket.pk] = ticket
            if ticket.escalation_level is None or level > ticket.escalation_level:
                ticket.escalation_level = level
        if sla_rank(m.state) > sla_rank(ticket.sla_state):
            ticket.sla_state = m.state
            touched[ticket.pk] = ticket

    _insert(TicketEvent, events, shared={"actor_id": None, "at": now, "is_public": False})
    created = write_notifications(batch, now=now)
    _update(
        Milestone,
        [
            {
                "id": m.pk,
                "warn_at": m.warn_at,
                "state": m.state,
                "next_action_at": m.next_action_at,
                "next_action_level": m.next_action_level,
                "last_error": "",
                "sweep_failures": 0,
            }
            for m in plan.milestones
        ],
    )
    _update(
        Ticket,
        [
            {"id": t.pk, "escalation_level": t.escalation_level, "sla_state": t.sla_state}
            for t in touched.values()
        ],
        only_raise=("escalation_level",),
    )
    result.events += len(events)
    result.notifications += len(created)


def retry_delay(failures: int) -> dt.timedelta:
    """How long a set-aside row waits before its next try: 5, 10, 20 ... minutes, at most 6 hours."""
    return min(RETRY_AFTER_ERROR * 2 ** max(failures - 1, 0), MAX_RETRY_DELAY)


def _set_aside(pk: int, exc: Exception, now: dt.datetime, result: SweepResult) -> None:
    """A row whose work raised: keep the error, try again later (a growing delay), sweep on."""
    logger.exception("sweep: milestone %s set aside", pk)
    failures = (Milestone.objects.filter(pk=pk).values_list("sweep_failures", flat=True).first() or 0) + 1
    Milestone.objects.filter(pk=pk).update(
        last_error=f"{now.isoformat()} {type(exc).__name__}: {exc}"[:2000],
        sweep_failures=failures,
        next_action_at=now + retry_delay(failures),
    )
    result.errors += 1


def _sweep_chunk(now: dt.datetime, chunk_size: int, result: SweepResult) -> int:
    """Claim a chunk and do its work in one transaction; returns the rows claimed.

    The whole chunk is tried at once inside a savepoint (the set-based fast path). If anything in
    it raises, that savepoint is rolled back and each row is done again in a savepoint of its
    own: a failing row is set aside (`_set_aside`), every other row of the chunk commits.
    """
    with transaction.atomic():
        ids = list(claim_queryset(now, chunk_size))
        if not ids:
            return 0
        try:
            with transaction.atomic():
                partial = SweepResult()
                _write(_plan(_claimed_rows(ids), now), now, partial)
            result.add(partial)
        except Exception:  # noqa: BLE001 - found out row by row below
            logger.warning("sweep: a row of this chunk failed; doing the %d rows one by one", len(ids))
            for pk in ids:
                try:
                    with transaction.atomic():
                        partial = SweepResult()
                        _write(_plan(_claimed_rows([pk]), now), now, partial)
                    result.add(partial)
                except Exception as exc:  # one broken row must not stop the sweep or loop on itself
                    _set_aside(pk, exc, now, result)
        return len(ids)


@contextlib.contextmanager
def _collector_paused():
    """Automatic garbage collection off while a chunk runs.

    A chunk makes tens of thousands of short-lived containers (rows, dicts, recipients) that die
    by reference counting when it ends. Collections in the middle would only promote them to the
    older generations and, now and then, set off a full collection of the worker's whole heap
    (~50 ms of a sweep that should take a few hundred). Re-enabled afterwards only if it was on
    (two sweeps in two threads of one process leave it on).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def sweep_due_milestones(
    *, now: dt.datetime, chunk_size: int = DEFAULT_CHUNK_SIZE, max_chunks: int | None = None
) -> SweepResult:
    """Perform every escalation step due at `now` (see the module docstring for the steps)."""
    started = time.perf_counter()
    result = SweepResult()
    while max_chunks is None or result.chunks < max_chunks:
        with _collector_paused():
            claimed = _sweep_chunk(now, chunk_size, result)
        result.claimed += claimed
        if claimed:
            result.chunks += 1
        if claimed < chunk_size:
            break
    result.seconds = time.perf_counter() - started
    logger.info("sweep at %s: %s", now.isoformat(), result.as_dict())
    return result
