"""The dispute's steps on its ticket's timeline, stored as a code with parameters and rendered here
in the reader's language."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tickets.timeline import register_step

CHECK_ORDERED = "billing.check_ordered"
REPLACEMENT_ORDERED = "billing.replacement_ordered"
METER_REPLACED = "billing.meter_replaced"
OUTCOME = "billing.outcome"
METER_TEST_SERVICE = "MTR-TEST"


def _check_ordered(data, names) -> str:
    what = _("meter test") if data.get("service") == METER_TEST_SERVICE else _("re-read")
    return _("%(what)s ordered: %(ref)s") % {"what": what, "ref": data.get("ticket", "")}


def _replacement_ordered(data, names) -> str:
    return _("Meter %(serial)s failed the test: it is replaced at no cost and the test fee is waived.") % {
        "serial": data.get("meter", "")
    }


def _meter_replaced(data, names) -> str:
    return _("Meter %(old)s replaced by %(new)s on %(day)s, at no cost.") % {
        "old": data.get("old_meter", ""),
        "new": data.get("new_meter", ""),
        "day": data.get("replaced_on", ""),
    }


def _outcome(data, names) -> str:
    if data.get("adjustment"):
        return _(
            "Your billing dispute %(ref)s: the bills were re-priced from %(old)s CNY to %(new)s CNY; "
            "the difference of %(diff)s CNY is adjusted on your account."
        ) % {
            "ref": data.get("reference", ""),
            "old": data.get("old_amount"),
            "new": data.get("new_amount"),
            "diff": data["adjustment"],
        }
    return _("Your billing dispute %(ref)s was checked: %(finding)s; the bills stand.") % {
        "ref": data.get("reference", ""),
        "finding": data.get("finding") or _("no error was found"),
    }


def register() -> None:
    """Called from BillingConfig.ready()."""
    register_step(CHECK_ORDERED, title=gettext_lazy("Check ordered"), summary=_check_ordered)
    register_step(
        REPLACEMENT_ORDERED, title=gettext_lazy("Meter replacement ordered"), summary=_replacement_ordered
    )
    register_step(METER_REPLACED, title=gettext_lazy("Meter replaced"), summary=_meter_replaced)
    register_step(OUTCOME, summary=_outcome)  # a reply to the customer: the timeline shows it as one
