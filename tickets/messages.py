"""What ticket notifications say (templates registered with notifications.messages), on which
channels besides in-app a step of the ladder goes out, and which case they point at (`subject_for`)."""

from __future__ import annotations

import functools

from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext_lazy as _

from notifications import messages
from notifications.models import Notification
from notifications.services import Subject

from . import hooks

WARNING = "ticket.warning"
BREACH = "ticket.breach"
ESCALATED = "ticket.escalated"
EMERGENCY = "ticket.emergency"

messages.register(
    WARNING,
    title=_("Deadline approaching: %(reference)s %(milestone)s due %(due)s"),
    body=_("%(service)s, handled by %(unit)s.\n%(url)s"),
)
messages.register(
    BREACH,
    title=_("Deadline breached: %(reference)s %(milestone)s was due %(due)s"),
    body=_("%(service)s, handled by %(unit)s.\n%(url)s"),
)
messages.register(
    ESCALATED,
    title=_("Escalated to level %(level)s: %(reference)s %(milestone)s was due %(due)s"),
    body=_("%(service)s, handled by %(unit)s.\n%(url)s"),
)
messages.register(
    EMERGENCY,
    title=_("Emergency: %(reference)s %(service)s"),
    body=_("%(address)s\n%(description)s\n%(url)s"),
)


def step_template(level: int) -> str:
    return WARNING if level == 0 else BREACH if level == 1 else ESCALATED


# Channels per level besides in-app; emergencies also text every level.
STEP_CHANNELS = {
    0: (Notification.Channel.EMAIL,),
    1: (Notification.Channel.EMAIL,),
    2: (Notification.Channel.EMAIL, Notification.Channel.SMS),
    3: (Notification.Channel.EMAIL, Notification.Channel.SMS),
}
EMERGENCY_CHANNELS = (Notification.Channel.EMAIL, Notification.Channel.SMS)


def step_channels(level: int, *, is_emergency: bool) -> tuple[str, ...]:
    """The channels besides in-app on which a step of the ladder is sent."""
    return EMERGENCY_CHANNELS if is_emergency else STEP_CHANNELS[level]


def in_languages(text: str, text_en: str = "") -> dict[str, str]:
    """A stored name with its English form, as a per-language parameter."""
    return {"zh-hans": text, "en": text_en or text}


def ticket_type_id() -> int:
    from .models import Ticket

    return ContentType.objects.get_for_model(Ticket).pk  # cached by the content types framework


@functools.lru_cache(maxsize=1)
def _link_pattern() -> str:
    from django.urls import reverse

    return reverse("tickets:detail", args=["REFERENCE"])


def ticket_link(reference: str) -> str:
    """The staff page of a ticket, as a path."""
    return _link_pattern().replace("REFERENCE", reference)


def subject_for(ticket, *, link: str | None = None) -> Subject:
    """The case a ticket notification points at: its kind's own page when an upper app has one
    (`link`: given by callers that already know it, such as the sweep)."""
    if link is None:
        link = hooks.detail_url_for(ticket) or ticket_link(ticket.reference)
    return Subject(
        type_id=ticket_type_id(),
        id=ticket.pk,
        reference=ticket.reference,
        link=link,
        org_unit_id=ticket.org_unit_id,
    )


def _transferred_body(params: dict, language: str) -> str:
    from django.utils.translation import gettext

    return gettext("From %(unit)s: %(reason)s") % {"unit": params["from_unit"], "reason": params["reason"]}


def _reply_body(params: dict, language: str) -> str:
    from django.utils.translation import gettext

    # The link first: an SMS is cut at 500 characters, a long reply is read in full on the page.
    return gettext("%(company)s: a reply on your request %(reference)s (also at %(url)s):\n\n%(text)s") % {
        "company": params["company"],
        "reference": params["reference"],
        "url": params["url"],
        "text": messages.render_value(params["text"], language),
    }


TRANSFERRED = "ticket.transferred"
REPLY = "ticket.reply"
messages.register(TRANSFERRED, title=_("Case %(reference)s transferred to %(unit)s"), body=_transferred_body)
messages.register(REPLY, title=_("Reply on %(reference)s"), body=_reply_body)
