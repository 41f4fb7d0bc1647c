"""Small reads for the staff pages (the shared queue/detail reads live in selectors.py)."""

from django.contrib.auth import get_user_model
from django.db.models import Count, Prefetch, Q

from accounts.models import OrgUnit

from .models import (
    OPEN_STATUSES,
    Attachment,
    Escalation,
    Milestone,
    MilestoneStandard,
    ServiceType,
    SlaState,
    Ticket,
    TicketEvent,
)


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
    """Active staff of the ticket's responsible unit and the units below it."""
    return list(
        get_user_model()
        .objects.filter(is_active=True, staff_profile__org_unit__path__startswith=ticket.org_unit.path)
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


def my_ticket_counts(user) -> dict[str, int]:
    """Open tickets assigned to `user`: total, at risk and breached (one query)."""
    if not user.is_authenticated:
        return {"open": 0, "at_risk": 0, "breached": 0}
    return Ticket.objects.filter(assignee=user, status__in=OPEN_STATUSES).aggregate(
        open=Count("id"),
        at_risk=Count("id", filter=Q(sla_state=SlaState.AT_RISK)),
        breached=Count("id", filter=Q(sla_state=SlaState.BREACHED)),
    )


def ticket_page(user, reference: str) -> Ticket | None:
    """A visible ticket with everything its page shows, in a fixed number of queries."""
    return (
        Ticket.objects.visible_to(user)
        .select_related(
            "service_type", "customer", "customer__category", "org_unit", "assignee", "created_by"
        )
        .prefetch_related(
            Prefetch("milestones", queryset=Milestone.objects.order_by("sort_order", "id")),
            Prefetch("events", queryset=TicketEvent.objects.select_related("actor").order_by("at", "id")),
            Prefetch("attachments", queryset=Attachment.objects.order_by("uploaded_at", "id")),
            Prefetch(
                "escalations", queryset=Escalation.objects.select_related("milestone").order_by("at", "id")
            ),
        )
        .filter(reference=reference)
        .first()
    )
