"""What complainants are told (notification templates; rendered in the site language when sent)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from notifications import messages

RECEIVED = "complaint.received"
ANSWERED = "complaint.answered"


def _received_body(params: dict, language: str) -> str:
    promised = ""
    if params.get("due"):
        promised = _(" We will answer by %(due)s.") % {"due": messages.render_value(params["due"], language)}
    return _("We have received your complaint, reference %(reference)s.%(promised)s Track it at %(url)s") % {
        "reference": params["reference"],
        "promised": promised,
        "url": params["url"],
    }


messages.register(RECEIVED, title=gettext_lazy("Complaint %(reference)s received"), body=_received_body)
# The link first: an SMS is cut at 500 characters, a long answer is read in full on the page.
messages.register(
    ANSWERED,
    title=gettext_lazy("Complaint %(reference)s answered"),
    body=gettext_lazy("We have answered your complaint %(reference)s (also at %(url)s):\n\n%(answer)s"),
)
