"""What satisfaction tells people: its message templates and its calls of the one writer.

Rows are written in the caller's transaction and delivered by the worker after commit (a text
to a customer waits in the outbox until its `send_at`, a decent hour).
"""

from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from notifications import messages
from notifications.services import EMAIL, SMS, Address, Message, notify, write_notifications
from tickets.messages import subject_for

SURVEY_SMS_KIND = "satisfaction_survey"
REPEAT_RECOVERY_KIND = "satisfaction_repeat_recovery"
SURVEY_SMS = "satisfaction.survey_sms"
REPEAT_UNHAPPY = "satisfaction.repeat_unhappy"


def _survey_text(params: dict, language: str) -> str:
    return gettext(
        "%(company)s: your request %(reference)s is completed. Please tell us how we did (1 minute): "
        "%(link)s (valid for 7 days)"
    ) % {"company": params["company"], "reference": params["reference"], "link": params["link"]}


messages.register(SURVEY_SMS, title=_survey_text)
messages.register(
    REPEAT_UNHAPPY,
    title=_("Second unhappy answer within 90 days: %(reference)s"),
    body=_("The customer of %(original)s was already unhappy after %(earlier)s."),
)


def queue_customer_sms(texts: list[dict], *, now) -> int:
    """texts: dicts of ticket, phone, link, company, send_at. One INSERT for all; returns the count."""
    batch = [
        Message(
            recipients=[Address(SMS, t["phone"])],
            kind=SURVEY_SMS_KIND,
            template=SURVEY_SMS,
            params={"company": t["company"], "link": t["link"]},
            subject=subject_for(t["ticket"]),
            send_at=t["send_at"],
        )
        for t in texts
    ]
    return len(write_notifications(batch, now=now)) if batch else 0


def notify_repeat_unhappy(*, recipients, ticket, original: str, earlier: str, now) -> None:
    """In-app notifications (and e-mail when configured) for the branch managers about a ticket."""
    by_email = getattr(settings, "SATISFACTION_NOTIFY_BY_EMAIL", False)
    channels = [EMAIL] if by_email else []
    notify(
        recipients=recipients,
        kind=REPEAT_RECOVERY_KIND,
        template=REPEAT_UNHAPPY,
        channels=channels,
        params={"original": original, "earlier": earlier},
        subject=subject_for(ticket),
        now=now,
    )
