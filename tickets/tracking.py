"""Public tracking of any case by reference + phone, and the link to it printed and sent.

The same rules as complaint tracking: one answer for a wrong reference or a wrong phone,
only what the customer may see (milestone names and dates, public replies), no staff names.
"""

import re
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils.http import urlencode

from .models import Status, Ticket, TicketEvent
from .timeline import timeline_rows

MIN_PHONE_DIGITS = 7


def tracking_url(reference: str) -> str:
    """The public tracking page for a case, on the configured site address (PUBLIC_BASE_URL)."""
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{reverse('track')}?{urlencode({'reference': reference})}"


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value or "")


@dataclass(frozen=True)
class PublicCase:
    reference: str
    service: object  # the ServiceType (its name follows the page's language)
    status: str
    status_label: str
    received_at: object
    milestones: list  # Milestone rows (name, due_at, met_at)
    replies: list  # [(at, text)]
    unit: object  # the responsible OrgUnit (name, address, phone, opening hours)


def case_phones(ticket) -> set[str]:
    """The numbers that may track a case: the contact's, and the account's."""
    phones = {ticket.contact_phone}
    if ticket.customer_id:
        phones |= {ticket.customer.mobile, ticket.customer.landline}
    return {p for p in map(_digits, phones) if len(p) >= MIN_PHONE_DIGITS}


def public_replies(ticket) -> list[tuple]:
    """(at, text) of the replies the customer may read, oldest first, an app's worded ones in the
    reader's language."""
    events = ticket.events.filter(is_public=True, kind=TicketEvent.Kind.REPLY).order_by("at", "id")
    return [(row.event.at, row.summary or row.event.message) for row in timeline_rows(ticket, events)]


def track_case(*, reference: str, phone: str) -> PublicCase | None:
    """The public view of a case, or None when reference and phone do not match (one answer for both)."""
    reference = (reference or "").strip().upper()
    phone = _digits(phone)
    if not reference or len(phone) < MIN_PHONE_DIGITS:
        return None
    ticket = (
        Ticket.objects.select_related("service_type", "customer", "org_unit")
        .filter(reference=reference)
        .first()
    )
    if ticket is None or phone not in case_phones(ticket):
        return None
    replies = public_replies(ticket)
    return PublicCase(
        reference=ticket.reference,
        service=ticket.service_type,
        status=ticket.status,
        status_label=Status(ticket.status).label,
        received_at=ticket.received_at,
        milestones=list(ticket.milestones.order_by("sort_order", "id")),
        replies=replies,
        unit=ticket.org_unit,
    )
