"""Satisfaction's steps on a case's timeline, stored as a code with parameters and rendered here
in the reader's language."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tickets.timeline import register_step

RECOVERY_OPENED = "satisfaction.recovery_opened"


def _recovery_opened(data, names) -> str:
    return _("Unhappy follow-up answer: service recovery %(reference)s opened.") % {
        "reference": data.get("recovery", "")
    }


def register() -> None:
    """Called from SatisfactionConfig.ready()."""
    register_step(RECOVERY_OPENED, title=gettext_lazy("Service recovery opened"), summary=_recovery_opened)
