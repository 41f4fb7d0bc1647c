"""The deadline sweep: performs every escalation step that has come due, exactly once.

Run every minute by beat (tasks.sweep_deadlines) and by `manage.py sweep_deadlines`.

Steps, per chunk, in one transaction:

1. Claim up to `chunk_size` milestones whose `next_action_at` has passed (partial index
   `milestone_due_action`), oldest first, with SELECT ... FOR UPDATE SKIP LOCKED: a second
   sweep running at the same moment takes other rows, never the same ones.
2. For each, work out every level from its cursor (`next_action_level`) whose time has come.
3. Insert the Escalation rows with ON CONFLICT DO NOTHING RETURNING: the unique
   (milestone, level) constraint makes each step happen once; only rows actually inserted go on.
4. For those: timeline events (warning / escalated) and notification rows (in-app, plus email
   and SMS rows left pending), recipients resolved for the whole chunk in one query.
5. Move each milestone to its next step (or none), update its state; raise the tickets'
   escalation_level and sla_state. A row whose processing raises keeps its error in
   `last_error` and is retried five minutes later; it never stops the sweep.
6. After commit, queue delivery of the pending notifications (one message per chunk).

A small constant number of queries per chunk; the cost follows the steps due, not the number
of open milestones. Stops when a claim returns less than a full chunk.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import json
import logging
import time
from collections import Counter
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import connection, transaction

from . import escalation
from .calendars import get_snapshot
from .models import Escalation, EscalationPolicy, Milestone, Notification, Ticket, TicketEvent, WorkCalendar

logger = logging.getLogger(__name__)

RETRY_AFTER_ERROR = dt.timedelta(minutes=5)
DEFAULT_CHUNK_SIZE = 500


@dataclass
class SweepResult:
    claimed: int = 0
    escalations: int = 0
    warnings: int = 0
    events: int = 0
    notifications: int = 0
    errors: int = 0
    chunks: int = 0
    by_level: Counter = field(default_factory=Counter)
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {"claimed": self.claimed, "escalations": self.escalations, "warnings": self.warnings,
                "events": self.events, "notifications": self.notifications, "errors": self.errors,
                "chunks": self.chunks, "by_level": {str(k): v for k, v in sorted(self.by_level.items())},
                "seconds": round(self.seconds, 4)}


def claim_queryset(now: dt.datetime, chunk_size: int):
    """The claim: ids of due, unmet milestones, oldest step first, rows another sweep holds skipped.

    Ids only, on the partial index: cheap to plan and to run when nothing is due; the rows'
    tickets, service types and units are read afterwards by primary key.
    """
    return (
        Milestone.objects.select_for_update(skip_locked=True)
        .filter(next_action_at__isnull=False, met_at__isnull=True, next_action_at__lte=now)
        .order_by("next_action_at").values_list("id", flat=True)[:chunk_size]
    )


# ---------------------------------------------------------------- the claimed rows, as plain objects
#
# The sweep reads columns, not model instances: a chunk is hundreds of milestones, each with its
# ticket, unit and service type, and building ~6 model instances per row cost more than the SQL.
# The objects below carry exactly the attributes tickets.escalation reads.

_POLICY_FIELDS = ("code", "name", "warn_percent", "level2_after_amount", "level2_after_unit",
                  "level3_after_amount", "level3_after_unit", "is_default")
_ROW_FIELDS = (
    "id", "ticket_id", "code", "name", "unit", "due_at", "started_at", "met_at", "is_override",
    "next_action_level", "state", "warn_at",
    "ticket__status", "ticket__paused_at", "ticket__received_at", "ticket__hotline_due_at",
    "ticket__escalation_level", "ticket__sla_state", "ticket__reference", "ticket__assignee_id",
    "ticket__org_unit_id", "ticket__org_unit__path", "ticket__org_unit__name",
    "ticket__service_type_id", "ticket__service_type__name", "ticket__service_type__is_emergency",
    "ticket__service_type__calendar_id", "ticket__service_type__calendar__updated_at",
    "ticket__service_type__calendar__time_zone", "ticket__service_type__escalation_policy_id",
    *(f"ticket__service_type__escalation_policy__{name}" for name in _POLICY_FIELDS),
)


class _OrgUnit:
    __slots__ = ("pk", "path", "name")

    def __init__(self, pk, path, name):
        self.pk, self.path, self.name = pk, path, name


class _ServiceType:
    """A service type with its calendar and policy; `ladder` caches (policy, snapshot, ordered)."""

    __slots__ = ("pk", "name", "is_emergency", "calendar", "escalation_policy_id", "escalation_policy",
                 "ladder")

    def __init__(self, pk, name, is_emergency, calendar, policy_id, policy):
        self.pk, self.name, self.is_emergency, self.calendar = pk, name, is_emergency, calendar
        self.escalation_policy_id, self.escalation_policy, self.ladder = policy_id, policy, None


class _Ticket:
    __slots__ = ("pk", "status", "paused_at", "received_at", "hotline_due_at", "escalation_level",
                 "sla_state", "reference", "assignee_id", "assignee", "org_unit", "service_type")

    @property
    def id(self):
        return self.pk


class _Milestone:
    __slots__ = ("pk", "ticket_id", "ticket", "code", "name", "unit", "due_at", "started_at", "met_at",
                 "is_override", "next_action_level", "state", "warn_at", "next_action_at", "last_error")

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
    for (pk, ticket_id, code, name, unit, due_at, started_at, met_at, is_override, level, state, warn_at,
         status, paused_at, received_at, hotline_due_at, escalation_level, sla_state, reference, assignee_id,
         unit_id, unit_path, unit_name, type_id, type_name, is_emergency, calendar_id, calendar_updated_at,
         calendar_tz, policy_id, *policy) in rows:
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
                own = (EscalationPolicy(id=policy_id, **dict(zip(_POLICY_FIELDS, policy, strict=True)))
                       if policy_id is not None else None)
                service_type = types[type_id] = _ServiceType(
                    type_id, type_name, is_emergency, calendar, policy_id, own)
            ticket.service_type = service_type
        m = _Milestone()
        m.pk, m.ticket_id, m.ticket, m.code, m.name, m.unit = pk, ticket_id, ticket, code, name, unit
        m.due_at, m.started_at, m.met_at, m.is_override = due_at, started_at, met_at, is_override
        m.next_action_level, m.state, m.warn_at = level, state, warn_at
        m.next_action_at, m.last_error = None, ""
        milestones.append(m)
    return milestones


def _ladder(service_type: _ServiceType):
    """(policy, calendar snapshot, whether the policy's step times are ordered), once per chunk."""
    if service_type.ladder is None:
        policy = escalation.policy_for(service_type)
        cal = get_snapshot(service_type.calendar)
        service_type.ladder = (policy, cal, escalation.ladder_is_ordered(policy))
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


# ---------------------------------------------------------------- set-based writes


def _json_default(value):
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _as_json_document(rows: list[dict]) -> str:
    return json.dumps(rows, default=_json_default, ensure_ascii=False, separators=(",", ":"))


def _json_record(model, names) -> str:
    """`AS v("a" type, ...)` for json_to_recordset: the columns' own database types."""
    fields = {f.attname: f for f in model._meta.concrete_fields}
    quote = connection.ops.quote_name
    return "v(" + ", ".join(f"{quote(n)} {fields[n].db_type(connection)}" for n in names) + ")"


def _insert(model, rows: list[dict], *, shared: dict | None = None, returning: tuple[str, ...] = (),
            conflict: tuple[str, ...] = ()) -> list[tuple]:
    """One INSERT for many rows given as {attname: value} (all rows with the same keys), plus
    `shared` {attname: value} for the columns every row has the same value in.

    PostgreSQL: the rows travel as one JSON document (json_to_recordset), which costs far less
    to build, quote and parse than thousands of VALUES parameters; shared values are sent once.
    `conflict`: ON CONFLICT (columns) DO NOTHING, so RETURNING gives the rows actually inserted.
    """
    if not rows:
        return []
    shared = shared or {}
    if connection.vendor != "postgresql":
        rows = [{**row, **shared} for row in rows]
        return _insert_values(model, rows, returning=returning, conflict=conflict)
    quote = connection.ops.quote_name
    fields = {f.attname: f for f in model._meta.concrete_fields}
    names = list(rows[0])
    columns = ", ".join(quote(fields[n].column) for n in [*names, *shared])
    values = [f"v.{quote(n)}" for n in names] + [f"%s::{fields[n].db_type(connection)}" for n in shared]
    params = [fields[n].get_db_prep_save(value, connection) for n, value in shared.items()]
    sql = (f"INSERT INTO {quote(model._meta.db_table)} ({columns}) SELECT {', '.join(values)} "
           f"FROM json_to_recordset(%s::json) AS {_json_record(model, names)}")
    if conflict:
        sql += f" ON CONFLICT ({', '.join(quote(c) for c in conflict)}) DO NOTHING"
    if returning:
        sql += " RETURNING " + ", ".join(quote(c) for c in returning)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, _as_json_document(rows)])
        return cursor.fetchall() if returning else []


SQLITE_MAX_PARAMS = 32000  # SQLite's bound-parameter limit is 32766 (since 3.32)


def _insert_values(model, rows: list[dict], *, returning=(), conflict=()) -> list[tuple]:
    """The portable INSERT ... VALUES (SQLite in development), in batches."""
    fields = {f.attname: f for f in model._meta.concrete_fields if not f.primary_key}
    names = list(rows[0])
    adapt = connection.ops.adapt_datetimefield_value
    converters = []
    for name in names:
        internal = fields[name].get_internal_type()
        converters.append(
            adapt if internal == "DateTimeField" else json.dumps if internal == "JSONField" else None)
    quote = connection.ops.quote_name
    placeholder = "(" + ", ".join(["%s"] * len(names)) + ")"
    columns = ", ".join(quote(fields[n].column) for n in names)
    head = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES "
    tail = ""
    if conflict:
        tail += f" ON CONFLICT ({', '.join(quote(c) for c in conflict)}) DO NOTHING"
    if returning:
        tail += " RETURNING " + ", ".join(quote(c) for c in returning)
    result = []
    per_batch = max(1, SQLITE_MAX_PARAMS // len(names))
    for start in range(0, len(rows), per_batch):
        batch = rows[start:start + per_batch]
        params = []
        for row in batch:
            params += [value if conv is None or value is None else conv(value)
                       for conv, value in zip(converters, (row[n] for n in names), strict=True)]
        with connection.cursor() as cursor:
            cursor.execute(head + ", ".join([placeholder] * len(batch)) + tail, params)
            if returning:
                result += cursor.fetchall()
    return result


def _update(model, rows: list[dict], *, only_raise: tuple[str, ...] = ()) -> None:
    """One UPDATE ... FROM json_to_recordset for many rows {"id": ..., field: value} (PostgreSQL);
    Django's bulk_update elsewhere. `only_raise`: columns never lowered (GREATEST with the stored
    value, so a level another transaction raised meanwhile stays; NULL never overwrites a value).
    """
    if not rows:
        return
    names = [n for n in rows[0] if n != "id"]
    if connection.vendor != "postgresql":
        objs = []
        for row in rows:
            obj = model(pk=row["id"])
            for name in names:
                setattr(obj, name, row[name])
            objs.append(obj)
        model.objects.bulk_update(objs, names)
        return
    quote = connection.ops.quote_name
    fields = {f.attname: f for f in model._meta.concrete_fields}
    assignments, changes = [], []
    for name in names:
        column, value = f"t.{quote(fields[name].column)}", f"v.{quote(name)}"
        if name in only_raise:
            assignments.append(f"{quote(fields[name].column)} = GREATEST({column}, {value})")
            changes.append(f"{value} > {column} OR ({column} IS NULL AND {value} IS NOT NULL)")
        else:
            assignments.append(f"{quote(fields[name].column)} = {value}")
            changes.append(f"{column} IS DISTINCT FROM {value}")
    # Rows already as wanted are left alone: no new row version, no index entries, no WAL.
    sql = (f"UPDATE {quote(model._meta.db_table)} AS t SET {', '.join(assignments)} "
           f"FROM json_to_recordset(%s::json) AS {_json_record(model, ['id', *names])} "
           f"WHERE t.id = v.id AND ({' OR '.join(changes)})")
    with connection.cursor() as cursor:
        cursor.execute(sql, [_as_json_document(rows)])


# ---------------------------------------------------------------- one chunk


def _sweep_chunk(now: dt.datetime, chunk_size: int, result: SweepResult) -> tuple[int, list[int]]:
    """One claim-and-process transaction; returns (rows claimed, pending notification ids)."""
    with transaction.atomic():
        ids = list(claim_queryset(now, chunk_size))
        if not ids:
            return 0, []
        milestones = _claimed_rows(ids)
        planned = []  # (milestone, ticket, levels due)
        for m in milestones:
            ticket = m.ticket
            try:
                if not escalation.is_watched(m, ticket):
                    m.next_action_at = None  # stale row (closed, paused): the services reschedule it
                    continue
                policy, cal, ordered = _ladder(ticket.service_type)
                warn = escalation.compute_warn_at(m, ticket, policy, cal)
                cursor = m.next_action_level if m.next_action_level is not None else 0
                levels, next_level, next_at = escalation.due_steps(
                    m, policy, cal, warn, cursor, now, ordered=ordered, ticket=ticket)
                state = escalation.state_at(m, now, warn)
                m.warn_at, m.state, m.next_action_level, m.next_action_at = warn, state, next_level, next_at
                if levels:
                    planned.append((m, ticket, levels))
            except Exception as exc:  # one broken row must not stop the sweep or loop on itself
                logger.exception("sweep: milestone %s failed", m.pk)
                m.last_error = f"{now.isoformat()} {type(exc).__name__}: {exc}"[:2000]
                m.next_action_at = now + RETRY_AFTER_ERROR
                result.errors += 1

        recipients, rows = {}, []
        if planned:
            directory = escalation.RecipientDirectory(t for _m, t, _l in planned)
            _attach_assignees([t for _m, t, _l in planned], directory)
            for m, ticket, levels in planned:
                for level in levels:
                    found = directory.for_level(ticket, level)
                    recipients[(m.pk, level)] = found
                    rows.append({"milestone_id": m.pk, "ticket_id": ticket.pk, "level": level,
                                 "due_at": m.due_at, "recipients": directory.as_json(found)})
        inserted = {(mid, level) for mid, level in _insert(
            Escalation, rows, shared={"at": now}, returning=("milestone_id", "level"),
            conflict=("milestone_id", "level"))}

        events, notifications, touched = [], [], {}
        messages = escalation.StepMessages() if inserted else None
        for m, ticket, levels in planned:
            for level in levels:
                if (m.pk, level) not in inserted:
                    continue
                title, body = messages(ticket, m, level)
                found = recipients[(m.pk, level)]
                events.append({
                    "ticket_id": ticket.pk, "message": title,
                    "kind": TicketEvent.Kind.WARNING if level == 0 else TicketEvent.Kind.ESCALATED,
                    "data": {"milestone": m.code, "level": level, "due_at": m.due_at.isoformat(),
                             "recipients": directory.as_json(found)},
                })
                extra = (escalation.EMERGENCY_EXTRA_CHANNELS if ticket.service_type.is_emergency
                         else escalation.EXTRA_CHANNELS[level])
                notifications += escalation.notification_deliveries(
                    recipients=found, ticket_id=ticket.pk, title=title, body=body, now=now,
                    extra_channels=extra)
                result.by_level[level] += 1
                if level == 0:
                    result.warnings += 1
                else:
                    result.escalations += 1
                touched[ticket.pk] = ticket
                if ticket.escalation_level is None or level > ticket.escalation_level:
                    ticket.escalation_level = level
            if escalation._STATE_RANK.get(m.state, 0) > escalation._STATE_RANK.get(ticket.sla_state, 0):
                ticket.sla_state = m.state
                touched[ticket.pk] = ticket

        _insert(TicketEvent, events, shared={"actor_id": None, "at": now, "is_public": False})
        created = _insert(Notification, notifications, returning=("id", "status"),
                          shared=escalation.notification_shared(kind=escalation.ESCALATION_KIND, now=now))
        _update(Milestone, [
            {"id": m.pk, "warn_at": m.warn_at, "state": m.state, "next_action_at": m.next_action_at,
             "next_action_level": m.next_action_level, "last_error": m.last_error} for m in milestones
        ])
        _update(Ticket, [
            {"id": t.pk, "escalation_level": t.escalation_level, "sla_state": t.sla_state}
            for t in touched.values()
        ], only_raise=("escalation_level",))
        pending = [pk for pk, status in created if status == Notification.DeliveryStatus.PENDING]
        if pending:
            from .tasks import deliver_pending_notifications, enqueue_on_commit

            enqueue_on_commit(deliver_pending_notifications, pending)
        result.events += len(events)
        result.notifications += len(created)
        return len(ids), pending


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


def sweep_due_milestones(*, now: dt.datetime, chunk_size: int = DEFAULT_CHUNK_SIZE,
                         max_chunks: int | None = None) -> SweepResult:
    """Perform every escalation step due at `now` (see the module docstring for the steps)."""
    started = time.perf_counter()
    result = SweepResult()
    while max_chunks is None or result.chunks < max_chunks:
        with _collector_paused():
            claimed, _pending = _sweep_chunk(now, chunk_size, result)
        result.claimed += claimed
        if claimed:
            result.chunks += 1
        if claimed < chunk_size:
            break
    result.seconds = time.perf_counter() - started
    logger.info("sweep at %s: %s", now.isoformat(), result.as_dict())
    return result


