"""Small reads for the staff pages (the shared queue/detail reads live in selectors.py)."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Prefetch, Q
from django.utils import timezone

from accounts.models import OrgUnit
from accounts.roles import ROLES_HANDLING_CASES

from . import selectors
from .models import (
    OPEN_STATUSES,
    Attachment,
    Escalation,
    MilestoneStandard,
    ServiceType,
    SlaState,
    Ticket,
)
from .selectors import sla_state_q


def intake_service_types(segment: str | None = None) -> list[ServiceType]:
    """Active service types a clerk may pick, limited to those applying to `segment`."""
    types = ServiceType.objects.filter(is_active=True).order_by("category", "sort_order", "code")
    return [t for t in types if segment is None or t.applies_to(segment)]


def published_catalogue() -> list[ServiceType]:
    """The public catalogue of commitments, with each type's milestone standards."""
    return list(
        ServiceType.objects.filter(is_public=True, is_active=True)
        .order_by("sort_order", "code")
        .prefetch_related(
            Prefetch("standards", queryset=MilestoneStandard.objects.order_by("sort_order", "id"))
        )
    )


def visible_org_units(user) -> list[OrgUnit]:
    """Org units whose tickets `user` may see (for the queue's filter)."""
    from accounts.visibility import ALL, org_scope

    scope = org_scope(user)
    units = OrgUnit.objects.filter(is_active=True).order_by("path")
    if scope is ALL:
        return list(units)
    if scope is None:
        return []
    return list(units.filter(path__startswith=scope))


def assignable_staff(ticket: Ticket) -> list:
    """Active staff who handle cases, in the ticket's responsible unit and the units below it."""
    return list(
        get_user_model()
        .objects.filter(
            is_active=True,
            staff_profile__org_unit__path__startswith=ticket.org_unit.path,
            staff_profile__role__in=ROLES_HANDLING_CASES,
        )
        .select_related("staff_profile", "staff_profile__org_unit")
        .order_by("staff_profile__org_unit__path", "username")
    )


def visible_attachment(user, reference: str, uuid) -> Attachment | None:
    """An attachment of a ticket `user` may see, else None (the caller answers 404)."""
    return (
        Attachment.objects.filter(
            ticket__in=Ticket.objects.visible_to(user), ticket__reference=reference, uuid=uuid
        )
        .select_related("ticket")
        .first()
    )


def _open_counts(tickets, now) -> dict[str, int]:
    """Open tickets among `tickets`: total, at risk and breached at `now`, by the clock (one query)."""
    return tickets.filter(status__in=OPEN_STATUSES).aggregate(
        open=Count("id"),
        at_risk=Count("id", filter=sla_state_q(SlaState.AT_RISK, now)),
        breached=Count("id", filter=sla_state_q(SlaState.BREACHED, now)),
    )


def my_ticket_counts(user, now=None) -> dict[str, int]:
    """Open tickets assigned to `user` (`now`: the clock of the SLA states, default the call's time)."""
    if not user.is_authenticated:
        return {"open": 0, "at_risk": 0, "breached": 0}
    return _open_counts(Ticket.objects.filter(assignee=user), now or timezone.now())


def team_ticket_counts(user, now=None) -> dict[str, int]:
    """Open tickets of the org subtree `user` sees."""
    return _open_counts(Ticket.objects.visible_to(user), now or timezone.now())


def attachments_of(ticket: Ticket) -> list[Attachment]:
    return list(Attachment.objects.filter(ticket=ticket).order_by("uploaded_at", "id"))


def escalations_of(ticket: Ticket) -> list[Escalation]:
    return list(Escalation.objects.filter(ticket=ticket).select_related("milestone").order_by("at", "id"))


@dataclass
class QueuePage:
    rows: list
    next_cursor: str | None
    previous_cursor: str | None


def _before(qs, cursor):
    """Rows before the cursor in (next_due_at NULLS LAST, id) order."""
    due, pk = selectors.decode_cursor(cursor)
    if due is None:
        return qs.filter(Q(next_due_at__isnull=False) | Q(next_due_at__isnull=True, pk__lt=pk))
    return qs.filter(Q(next_due_at__lt=due) | Q(next_due_at=due, pk__lt=pk))


def queue_page(user, *, after=None, before=None, limit=25, **filters) -> QueuePage:
    """A queue page that can also go back: forward pages come from selectors.queue_for; a page
    before a cursor is read in reverse order with the same filters and the same keyset."""
    if not before:
        page = selectors.queue_for(user, after=after, limit=limit, **filters)
        previous = selectors.encode_cursor(page.rows[0]) if after and page.rows else None
        return QueuePage(rows=page.rows, next_cursor=page.next_cursor, previous_cursor=previous)
    qs = _before(selectors.queue_queryset(user, **filters), before)
    qs = qs.select_related(*selectors.QUEUE_RELATED).order_by(F("next_due_at").desc(nulls_first=True), "-id")
    rows = list(qs[: limit + 1])
    has_more = len(rows) > limit
    rows = list(reversed(rows[:limit]))
    return QueuePage(
        rows=rows,
        next_cursor=selectors.encode_cursor(rows[-1]) if rows else None,
        previous_cursor=selectors.encode_cursor(rows[0]) if has_more else None,
    )


def period_deadline_count(user, *, scope, now, period, **filters) -> int:
    """How many deadlines of a period the queue's tickets hold (the figure a dashboard number counts)."""
    tickets = selectors.queue_queryset(user, scope=scope, now=now, period=period, **filters).order_by()
    return selectors.period_milestones(user, now=now, tickets=tickets, **period).count()
