"""The escalation ladder's times: pure functions over a calendar snapshot (no ORM, no clock).

Levels (shared/data/service_standards.md "Escalation ladder"): 0 warns the handler at the policy's
share of the allowed time (a 12345 order's deadline: one working day before it); 1 is the breach;
2 and 3 come a policy interval after the breach. A policy is anything with `warn_percent` and
`level2_after_amount/unit`, `level3_after_amount/unit` (tickets.models.EscalationPolicy); a
milestone has `due_at`, `started_at`, `unit`, `met_at`, `is_override`; a ticket `received_at`
and `hotline_due_at`. States are tickets.models.SlaState values, as in tickets.sla.
"""

from __future__ import annotations

import datetime as dt

from . import sla

LEVELS = (0, 1, 2, 3)
LAST_LEVEL = LEVELS[-1]


def one_working_day_before(cal: sla.CalendarSnapshot, moment: dt.datetime) -> dt.datetime:
    """The same local time on the previous working day (12345 orders: warn a working day ahead)."""
    local = moment.astimezone(cal.tz)
    day = local.date() - dt.timedelta(days=1)
    for _i in range(366):
        if cal.is_working_day(day):
            break
        day -= dt.timedelta(days=1)
    return dt.datetime.combine(day, local.time(), tzinfo=cal.tz)


def is_hotline_deadline(milestone, ticket) -> bool:
    """Whether the milestone's deadline is the one a 12345 hotline order set."""
    if ticket.hotline_due_at is None:
        return False
    return milestone.is_override or milestone.due_at == ticket.hotline_due_at


def compute_warn_at(milestone, ticket, policy, cal: sla.CalendarSnapshot) -> dt.datetime:
    """When the handler is warned: at the policy's share of the allowed time, or for a 12345
    order's deadline one working day before it; never before the clock started."""
    due = milestone.due_at
    start = milestone.started_at or ticket.received_at
    if is_hotline_deadline(milestone, ticket):
        warn = one_working_day_before(cal, due)
    elif start is not None and start < due:
        warn = sla.warn_at(cal, start, due, milestone.unit, policy.warn_percent)
    else:
        warn = due
    if start is not None and warn < start:
        warn = min(start, due)
    return warn


def step_time(level: int, milestone, policy, cal: sla.CalendarSnapshot, warn: dt.datetime) -> dt.datetime:
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
    milestone, ticket, policy, cal: sla.CalendarSnapshot, warn: dt.datetime | None = None
) -> dict[int, dt.datetime]:
    """{level: when} for a milestone with a due time."""
    warn = warn or compute_warn_at(milestone, ticket, policy, cal)
    return {level: step_time(level, milestone, policy, cal, warn) for level in LEVELS}


def is_ordered(policy) -> bool:
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
    policy,
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
        ordered = is_ordered(policy)
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
    """A milestone's SLA state at `now`: met (late or not), pending without a deadline, else by the clock."""
    if milestone.met_at is not None:
        return "met_late" if milestone.due_at and milestone.met_at > milestone.due_at else "met"
    if milestone.due_at is None:
        return "pending"
    return sla.state_by_clock(stored="pending", due=milestone.due_at, warn=warn, is_paused=False, now=now)
