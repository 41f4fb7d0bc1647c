from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _seed_categories(sender, **kwargs):
    from .seed import seed_complaint_categories

    seed_complaint_categories()


def _complaint_url(ticket):
    """Tickets with a complaint file open on the complaint page; others keep the ticket page."""
    from django.urls import reverse

    if getattr(ticket, "complaint", None) is None:
        return None
    return reverse("complaints:detail", args=[ticket.reference])


def _new_complaint_action(request, customer):
    """ "New complaint" on a customer's page: the staff intake with the account filled in."""
    from django.urls import reverse
    from django.utils.http import urlencode
    from django.utils.translation import gettext as _

    if not request.user.has_perm("complaints.add_complaint"):
        return None
    query = urlencode({"customer": customer.account_no})
    return _("New complaint"), f"{reverse('complaints:intake')}?{query}"


def _complainant_email(ticket):
    complaint = getattr(ticket, "complaint", None)
    return complaint.complainant_email if complaint is not None else ""


def _complaint_extra(ticket):
    complaint = getattr(ticket, "complaint", None)
    if complaint is None:
        return {}
    return {
        "complaint": {
            "category": complaint.category.code,
            "severity": complaint.severity,
            "source": complaint.source,
            "stage": complaint.stage,
            "is_repeat": complaint.is_repeat,
        }
    }


def _add_demo_data(sender, now, **kwargs):
    from notifications.services import withheld

    from .demo import seed_demo_complaints

    with withheld():  # the demo's complainants are fictional: no SMS or email goes out for them
        seed_demo_complaints(now=now)


class ComplaintsConfig(AppConfig):
    name = "complaints"
    verbose_name = _("Complaints")

    def ready(self):
        from accounts.customer_page import register_action
        from accounts.signals import demo_seeded
        from tickets.hooks import register_kind

        from . import (
            messages,  # noqa: F401  (registers the complainant message templates)
            timeline,
        )

        timeline.register()

        register_action("complaints_new", _new_complaint_action)
        post_migrate.connect(_seed_categories, sender=self, dispatch_uid="complaints_seed_categories")
        demo_seeded.connect(_add_demo_data, dispatch_uid="complaints_demo")
        # Complaints (CMP-STD, CMP-SAFE) and 12345 orders have the complaint page as their detail page.
        for category in ("complaint", "hotline"):
            register_kind(
                category,
                detail_url=_complaint_url,
                extra_data=_complaint_extra,
                prefetch=["complaint__category"],
                contact_email=_complainant_email,
            )
