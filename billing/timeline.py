"""The dispute's steps on its ticket's timeline, stored as a code with parameters and rendered here
in the reader's language."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tickets.timeline import register_step

CHECK_ORDERED = "billing.check_ordered"
METER_TEST_SERVICE = "MTR-TEST"


def _check_ordered(data, names) -> str:
    what = _("meter test") if data.get("service") == METER_TEST_SERVICE else _("re-read")
    return _("%(what)s ordered: %(ref)s") % {"what": what, "ref": data.get("ticket", "")}


def register() -> None:
    """Called from BillingConfig.ready()."""
    register_step(CHECK_ORDERED, title=gettext_lazy("Check ordered"), summary=_check_ordered)
