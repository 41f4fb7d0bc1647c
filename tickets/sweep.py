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

import datetime as dt
import json
import logging
import time
from collections import Counter
from dataclasses import dataclass, field

from django.db import connection, transaction

from . import escalation
from .calendars import get_snapshot
from .models import Escalation, Milestone, Notification, Ticket, TicketEvent

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


def _claimed_rows(ids: list[int]) -> list[Milestone]:
    return list(
        Milestone.objects.filter(pk__in=ids)
        .select_related("ticket__service_type__calendar", "ticket__service_type__escalation_policy",
                        "ticket__org_unit", "ticket__assignee")
        .order_by("next_action_at")
    )


def _update_rows(model, rows: list[dict], columns: dict[str, str]) -> None:
    """One UPDATE ... FROM (VALUES ...) for many rows (PostgreSQL); Django's bulk_update elsewhere.

    `columns` maps field name -> SQL type; each row is {"id": ..., field: value}.
    """
    if not rows:
        return
    if connection.vendor != "postgresql":
        objs = []
        for row in rows:
            obj = model(pk=row["id"])
            for name in columns:
                setattr(obj, name, row[name])
            objs.append(obj)
        model.objects.bulk_update(objs, list(columns))
        return
    table = connection.ops.quote_name(model._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value
    names = list(columns)
    placeholder = "(" + ", ".join(["%s::bigint"] + [f"%s::{columns[n]}" for n in names]) + ")"
    params = []
    for row in rows:
        params.append(row["id"])
        params += [adapt(row[n]) if columns[n] == "timestamptz" else row[n] for n in names]
    assignments = ", ".join(f"{connection.ops.quote_name(n)} = v.{n}" for n in names)
    if model is Ticket:  # never lower a level another transaction raised meanwhile
        assignments = assignments.replace(
            '"escalation_level" = v.escalation_level',
            '"escalation_level" = GREATEST(COALESCE(t."escalation_level", -1), v.escalation_level)')
    sql = (f"UPDATE {table} AS t SET {assignments} FROM (VALUES {', '.join([placeholder] * len(rows))}) "
           f"AS v(id, {', '.join(names)}) WHERE t.id = v.id")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _insert_escalations(rows: list[tuple]) -> set[tuple[int, int]]:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING: the (milestone, level) pairs actually new."""
    if not rows:
        return set()
    table = connection.ops.quote_name(Escalation._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value
    values, params = [], []
    for milestone_id, ticket_id, level, at, due_at, recipients in rows:
        values.append("(%s, %s, %s, %s, %s, %s)")
        params += [milestone_id, ticket_id, level, adapt(at), adapt(due_at), json.dumps(recipients)]
    sql = (f"INSERT INTO {table} (milestone_id, ticket_id, level, at, due_at, recipients) VALUES "
           f"{', '.join(values)} ON CONFLICT (milestone_id, level) DO NOTHING RETURNING milestone_id, level")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {(m, lvl) for m, lvl in cursor.fetchall()}


def _sweep_chunk(now: dt.datetime, chunk_size: int, result: SweepResult) -> tuple[int, list[int]]:
    """One claim-and-process transaction; returns (rows claimed, pending notification ids)."""
    with transaction.atomic():
        ids = list(claim_queryset(now, chunk_size))
        if not ids:
            return 0, []
        milestones = _claimed_rows(ids)
        canonical = {}  # one Ticket instance per ticket, so per-ticket updates accumulate
        for m in milestones:
            m.ticket = canonical.setdefault(m.ticket_id, m.ticket)
        planned = []  # (milestone, ticket, levels due)
        for m in milestones:
            ticket = m.ticket
            try:
                if not escalation.is_watched(m, ticket):
                    m.next_action_at = None  # stale row (closed, paused): the services reschedule it
                    m.last_error = ""
                    continue
                service_type = ticket.service_type
                policy = escalation.policy_for(service_type)
                cal = get_snapshot(service_type.calendar)
                warn = escalation.compute_warn_at(m, ticket, policy, cal)
                times = escalation.step_times(m, ticket, policy, cal, warn)
                cursor = m.next_action_level if m.next_action_level is not None else 0
                due_levels = [lvl for lvl in escalation.LEVELS if lvl >= cursor and times[lvl] <= now]
                cursor = (due_levels[-1] + 1) if due_levels else cursor
                m.warn_at = warn
                m.state = escalation.state_at(m, now, warn)
                m.next_action_level = cursor if cursor <= escalation.LAST_LEVEL else None
                m.next_action_at = times[cursor] if cursor <= escalation.LAST_LEVEL else None
                m.last_error = ""
                if due_levels:
                    planned.append((m, ticket, due_levels))
            except Exception as exc:  # one broken row must not stop the sweep or loop on itself
                logger.exception("sweep: milestone %s failed", m.pk)
                m.last_error = f"{now.isoformat()} {type(exc).__name__}: {exc}"[:2000]
                m.next_action_at = now + RETRY_AFTER_ERROR
                result.errors += 1

        directory = escalation.RecipientDirectory(t for _m, t, _l in planned) if planned else None
        recipients = {}
        rows = []
        for m, ticket, levels in planned:
            for level in levels:
                found = directory.for_level(ticket, level)
                recipients[(m.pk, level)] = found
                rows.append((m.pk, ticket.pk, level, now, m.due_at, [r.as_json() for r in found]))
        inserted = _insert_escalations(rows)

        events, notifications, touched = [], [], {}
        for m, ticket, levels in planned:
            for level in levels:
                if (m.pk, level) not in inserted:
                    continue
                title, body = escalation.step_message(ticket, m, level)
                found = recipients[(m.pk, level)]
                events.append({
                    "ticket_id": ticket.pk, "actor_id": None, "at": now, "is_public": False, "message": title,
                    "kind": TicketEvent.Kind.WARNING if level == 0 else TicketEvent.Kind.ESCALATED,
                    "data": {"milestone": m.code, "level": level, "due_at": m.due_at.isoformat(),
                             "recipients": [r.as_json() for r in found]},
                })
                extra = (escalation.EMERGENCY_EXTRA_CHANNELS if ticket.service_type.is_emergency
                         else escalation.EXTRA_CHANNELS[level])
                notifications += escalation.notification_values(
                    recipients=found, ticket=ticket, kind=escalation.ESCALATION_KIND, title=title, body=body,
                    now=now, extra_channels=extra)
                result.by_level[level] += 1
                if level == 0:
                    result.warnings += 1
                else:
                    result.escalations += 1
                touched[ticket.pk] = ticket
                before = -1 if ticket.escalation_level is None else ticket.escalation_level
                ticket.escalation_level = max(level, before)
            if escalation._STATE_RANK.get(m.state, 0) > escalation._STATE_RANK.get(ticket.sla_state, 0):
                ticket.sla_state = m.state
                touched[ticket.pk] = ticket

        _insert_rows(TicketEvent, events)
        created = _insert_rows(Notification, notifications, returning=("id", "status"))
        _update_rows(Milestone, [
            {"id": m.pk, "warn_at": m.warn_at, "state": m.state, "next_action_at": m.next_action_at,
             "next_action_level": m.next_action_level, "last_error": m.last_error} for m in milestones
        ], {"warn_at": "timestamptz", "state": "varchar", "next_action_at": "timestamptz",
            "next_action_level": "smallint", "last_error": "text"})
        _update_rows(Ticket, [
            {"id": t.pk, "escalation_level": t.escalation_level, "sla_state": t.sla_state}
            for t in touched.values()
        ], {"escalation_level": "smallint", "sla_state": "varchar"})
        pending = [pk for pk, status in created if status == Notification.DeliveryStatus.PENDING]
        if pending:
            from .tasks import deliver_pending_notifications, enqueue_on_commit

            enqueue_on_commit(deliver_pending_notifications, pending)
        result.events += len(events)
        result.notifications += len(created)
        return len(ids), pending


def _insert_rows(model, rows: list[dict], returning: tuple[str, ...] = ()) -> list[tuple]:
    """One multi-row INSERT from plain dicts (no model instances: the sweep makes thousands)."""
    if not rows:
        return []
    fields = {f.attname: f for f in model._meta.concrete_fields if not f.primary_key}
    names = list(rows[0])
    adapt = connection.ops.adapt_datetimefield_value
    converters = []
    for name in names:
        internal = fields[name].get_internal_type()
        if internal == "DateTimeField":
            converters.append(adapt)
        elif internal == "JSONField":
            converters.append(json.dumps)
        else:
            converters.append(None)
    params = []
    for row in rows:
        params += [value if conv is None or value is None else conv(value)
                   for conv, value in zip(converters, (row[n] for n in names), strict=True)]
    quote = connection.ops.quote_name
    placeholder = "(" + ", ".join(["%s"] * len(names)) + ")"
    sql = (f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(fields[n].column) for n in names)}) "
           f"VALUES {', '.join([placeholder] * len(rows))}")
    if returning:
        sql += " RETURNING " + ", ".join(quote(c) for c in returning)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if returning else []


def sweep_due_milestones(*, now: dt.datetime, chunk_size: int = DEFAULT_CHUNK_SIZE,
                         max_chunks: int | None = None) -> SweepResult:
    """Perform every escalation step due at `now` (see the module docstring for the steps)."""
    started = time.perf_counter()
    result = SweepResult()
    while max_chunks is None or result.chunks < max_chunks:
        claimed, _pending = _sweep_chunk(now, chunk_size, result)
        result.claimed += claimed
        if claimed:
            result.chunks += 1
        if claimed < chunk_size:
            break
    result.seconds = time.perf_counter() - started
    logger.info("sweep at %s: %s", now.isoformat(), result.as_dict())
    return result


