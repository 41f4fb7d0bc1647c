"""Hooks for the apps above `tickets` (complaints, billing, satisfaction): no imports upward.

Signals are sent after the transaction commits (transaction.on_commit), with kwargs:
- ticket_created: ticket, actor
- ticket_status_changed: ticket, before, after, actor
- ticket_closed: ticket, actor

One signal is sent inside the transaction of the change, so that what an upper app writes in
answer (a follow-up survey on closing, its withdrawal on reopening) commits or rolls back with
the change itself:
- ticket_status_changing: ticket, before, after, actor, now (ticket row locked, status set)

`ticket_kinds` lets an upper app say how its kind of ticket (a service-type category such as
"complaint" or "billing") is shown: where its own detail page is and which extra fields the API
adds, and which related rows the API's reads load with the tickets (`prefetch`: lookups such as
"complaint__category", so `extra_data` costs no query per ticket). tickets only ever calls what
was registered.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import prefetch_related_objects
from django.dispatch import Signal

ticket_created = Signal()
ticket_status_changed = Signal()
ticket_closed = Signal()
ticket_status_changing = Signal()


@dataclass(frozen=True)
class TicketKind:
    category: str
    detail_url: Callable | None = None  # ticket -> str | None
    extra_data: Callable | None = None  # ticket -> dict (added to the API representation under "extra")
    prefetch: tuple[str, ...] = ()  # prefetch_related lookups from Ticket that extra_data/detail_url read
    contact_email: Callable | None = None  # ticket -> str: where replies are emailed besides the SMS


ticket_kinds: dict[str, TicketKind] = {}


def register_kind(
    category: str,
    *,
    detail_url: Callable | None = None,
    extra_data: Callable | None = None,
    prefetch: Iterable[str] = (),
    contact_email: Callable | None = None,
) -> None:
    """Called from an upper app's AppConfig.ready(); registering twice replaces the entry."""
    ticket_kinds[category] = TicketKind(
        category=category,
        detail_url=detail_url,
        extra_data=extra_data,
        prefetch=tuple(prefetch),
        contact_email=contact_email,
    )


def prefetch_lookups(categories=None) -> list[str]:
    """The registered kinds' prefetch lookups (only those of `categories` when given), once each."""
    return list(
        dict.fromkeys(
            lookup
            for kind in ticket_kinds.values()
            if categories is None or kind.category in categories
            for lookup in kind.prefetch
        )
    )


def prefetch_kind_data(tickets) -> None:
    """Load what the kinds of these tickets read, one query per lookup of a kind present (none else)."""
    lookups = prefetch_lookups({ticket.service_type.category for ticket in tickets})
    if tickets and lookups:
        prefetch_related_objects(list(tickets), *lookups)


def kind_for(ticket) -> TicketKind | None:
    return ticket_kinds.get(ticket.service_type.category)


def detail_url_for(ticket) -> str | None:
    """The page an upper app registered for this kind of ticket; None: the ticket's own page."""
    kind = kind_for(ticket)
    return kind.detail_url(ticket) if kind and kind.detail_url else None


def extra_data_for(ticket) -> dict:
    kind = kind_for(ticket)
    return (kind.extra_data(ticket) or {}) if kind and kind.extra_data else {}
