"""The complaint steps on the ticket's timeline: stored as a step code with parameters, rendered
here in the reader's language (category and unit names looked up once per page)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tickets.timeline import register_names, register_step

from .models import ComplaintCategory, Remedy, RootCause, Source

FILED = "complaints.file"
ACKNOWLEDGED = "complaints.acknowledge"
CONTACTED = "complaints.contact"
INVESTIGATED = "complaints.investigate"
ANSWERED = "complaints.respond"
CLOSED = "complaints.close"
REOPENED = "complaints.reopen"
LINKED = "complaints.link"
UNLINKED = "complaints.unlink"

CATEGORY = "complaint_category"


def _label(choices, value) -> str:
    return str(choices(value).label) if value in choices.values else (value or "—")


def _categories(codes: set) -> dict:
    return {c.code: c.display_name for c in ComplaintCategory.objects.filter(code__in=codes)}


def _filed(data, names) -> str:
    text = _("%(category)s, source: %(source)s") % {
        "category": names.name(CATEGORY, data.get("category")),
        "source": _label(Source, data.get("source")),
    }
    if data.get("is_repeat"):  # which complaint it repeats shows in the chain, to those who may read it
        text += " · " + _("repeat complaint")
    return text


def _investigated(data, names) -> str:
    text = _("%(result)s, root cause %(cause)s") % {
        "result": _("substantiated") if data.get("is_substantiated") else _("not substantiated"),
        "cause": _label(RootCause, data.get("root_cause")),
    }
    if data.get("department_at_fault"):
        text += " · " + _("department at fault: %(unit)s") % {"unit": names.unit(data["department_at_fault"])}
    return text


def _answered(data, names) -> str:
    remedy = _label(Remedy, data.get("remedy"))
    if data.get("remedy_amount"):
        return _("remedy: %(remedy)s, %(amount)s CNY") % {"remedy": remedy, "amount": data["remedy_amount"]}
    return _("remedy: %(remedy)s") % {"remedy": remedy}


def _closed(data, names) -> str:
    if data.get("customer_accepted"):
        return _("Customer accepted the answer.")
    return _("Closed without the customer's acceptance.")


def _reopened(data, names) -> str:
    return _("appeal no. %(count)s") % {"count": data.get("reopen_count", 1)}


def _reference(data, names) -> str:
    return data.get("ticket", "")


def known_names(complaint) -> dict:
    """The names a complaint page has loaded already (its category, units), so its timeline reads no more."""
    units = [u for u in (complaint.ticket.org_unit, complaint.department_at_fault) if u is not None]
    return {
        CATEGORY: {complaint.category.code: complaint.category.display_name},
        "unit": {u.code: u.name for u in units},
    }


def register() -> None:
    """Called from ComplaintsConfig.ready()."""
    register_names(CATEGORY, _categories)
    register_step(
        FILED,
        title=gettext_lazy("Complaint filed"),
        summary=_filed,
        names=lambda data: [(CATEGORY, data.get("category"))],
    )
    register_step(ACKNOWLEDGED, title=gettext_lazy("Complaint acknowledged"))
    register_step(CONTACTED, title=gettext_lazy("Complainant contacted"))
    register_step(
        INVESTIGATED,
        title=gettext_lazy("Investigation recorded"),
        summary=_investigated,
        names=lambda data: [("unit", data.get("department_at_fault"))],
    )
    register_step(ANSWERED, title=gettext_lazy("Answer sent"), summary=_answered)
    register_step(CLOSED, title=gettext_lazy("Complaint closed"), summary=_closed)
    register_step(REOPENED, title=gettext_lazy("Appeal"), summary=_reopened)
    register_step(LINKED, title=gettext_lazy("Related case linked"), summary=_reference)
    register_step(UNLINKED, title=gettext_lazy("Related case unlinked"), summary=_reference)
