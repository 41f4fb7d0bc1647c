"""The sweep's work list: each open milestone's next step of the escalation ladder.

schedule_milestone() keeps a milestone's `next_action_at` / `next_action_level` in step with its
deadline (times: tickets.ladder; thresholds: tickets.policies); services call it after every
change of due_at, met_at or a pause, in the same transaction. `next_action_level` doubles as the
cursor of the ladder: the lowest level not yet done, kept while the milestone is paused, so no
step ever runs twice.
"""

from __future__ import annotations

from . import ladder, policies
from .calendars import get_snapshot
from .models import OPEN_STATUSES, SlaState


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
    return next((level for level in ladder.LEVELS if level not in done), None)


def schedule_milestone(milestone, *, now, policy=None, cal=None, save=True) -> None:
    """Set warn_at, state and the next step (next_action_at/next_action_level) of a milestone.

    The caller passes the milestone with ticket, service_type (and its calendar and policy)
    select_related; saves those four fields when the milestone exists (save=False: caller saves).
    """
    ticket = milestone.ticket
    warn = None
    if milestone.met_at is None and milestone.due_at is not None:
        service_type = ticket.service_type
        policy = policy or policies.policy_for(service_type)
        cal = cal or get_snapshot(service_type.calendar)
        warn = ladder.compute_warn_at(milestone, ticket, policy, cal)
        milestone.warn_at = warn
    milestone.state = ladder.state_at(milestone, now, warn)
    level = _cursor(milestone) if milestone.met_at is None else milestone.next_action_level
    next_at = None
    if level is not None and level <= ladder.LAST_LEVEL and is_watched(milestone, ticket):
        next_at = ladder.step_times(milestone, ticket, policy, cal, warn)[level]
    milestone.next_action_level = level if level is not None and level <= ladder.LAST_LEVEL else None
    milestone.next_action_at = next_at
    if save and milestone.pk:
        milestone.save(update_fields=["warn_at", "state", "next_action_at", "next_action_level"])
