"""The alert an emergency raises at creation, before any deadline: handlers and the outlet
supervisor hear of it at once, in-app and by SMS and email."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from notifications.models import Kind as NotificationKind
from notifications.services import notify

from . import messages
from .models import TicketEvent
from .recipients import RecipientDirectory


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
        channels=messages.EMERGENCY_CHANNELS,
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
