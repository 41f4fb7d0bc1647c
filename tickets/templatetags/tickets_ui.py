"""Template helpers for the ticket pages: names in the page's language, promises, SLA badges."""

from django import template
from django.utils.html import format_html, json_script
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from accounts.masking import mask_phone
from tickets.models import SlaState, Status, Unit

register = template.Library()


def _is_english() -> bool:
    return (get_language() or "").startswith("en")


@register.filter
def local_name(obj) -> str:
    """The English name on English pages when there is one, else the (Chinese) name."""
    english = getattr(obj, "name_en", "")
    return english if english and _is_english() else getattr(obj, "name", str(obj))


def promise_text(amount: int, unit: str) -> str:
    """A published time limit in plain words: "within 3 working days"."""
    if unit == Unit.MINUTES:
        return ngettext("within %(n)s minute", "within %(n)s minutes", amount) % {"n": amount}
    if unit == Unit.HOURS:
        return ngettext("within %(n)s hour", "within %(n)s hours", amount) % {"n": amount}
    if unit == Unit.DAYS:
        return ngettext("within %(n)s calendar day", "within %(n)s calendar days", amount) % {"n": amount}
    if unit == Unit.WORKING_HOURS:
        return ngettext("within %(n)s working hour", "within %(n)s working hours", amount) % {"n": amount}
    if unit == Unit.WORKING_DAYS:
        if amount == 0:
            return _("the same working day")
        return ngettext("within %(n)s working day", "within %(n)s working days", amount) % {"n": amount}
    return f"{amount} {unit}"


@register.filter
def promise(obj) -> str:
    """A milestone (or standard) as a promise: amount and unit in words."""
    return promise_text(obj.amount, obj.unit)


@register.filter
def masked(value) -> str:
    return mask_phone(value or "")


@register.simple_tag
def sla_badge(state, label=None):
    """An SLA state as a coloured badge that also says the state in words (not colour only)."""
    if not state:
        return ""
    text = label or (SlaState(state).label if state in SlaState.values else state)
    return format_html('<span class="badge sla-{}">{}</span>', state, text)


@register.simple_tag(takes_context=True)
def my_ticket_counts(context):
    from tickets.ui_selectors import my_ticket_counts as counts

    return counts(context["request"].user)


@register.simple_tag(takes_context=True)
def team_ticket_counts(context):
    """Counts for supervisors' home page; None for roles that work their own tickets."""
    from accounts.roles import is_supervisor
    from tickets.ui_selectors import team_ticket_counts as counts

    user = context["request"].user
    if not is_supervisor(user):
        return None
    return counts(user)


@register.filter
def status_label(value) -> str:
    return Status(value).label if value in Status.values else (value or "—")


@register.simple_tag
def countdown_labels():
    """Words for the live countdowns (static/js/tickets.js), in the page's language."""
    return json_script(
        {
            "left": _("%s left"),
            "overdue": _("overdue by %s"),
            "paused": _("paused"),
            "days": _("%sd"),
            "hours": _("%sh"),
            "minutes": _("%smin"),
        },
        "countdown-labels",
    )
