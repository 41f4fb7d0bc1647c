from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _seed_rules(sender, **kwargs):
    from .seed import seed_billing_rules

    seed_billing_rules()


def _dispute_url(ticket):
    """A dispute's ticket, and the re-read or meter-test ticket of one, open on the dispute page."""
    from django.urls import reverse

    dispute = getattr(ticket, "billing_dispute", None) or getattr(ticket, "dispute_check", None)
    if dispute is None:
        return None
    return reverse("billing:dispute_detail", args=[dispute.ticket.reference])


def _dispute_extra(ticket):
    dispute = getattr(ticket, "billing_dispute", None)
    if dispute is None:
        return {}
    return {"billing_dispute": {"kind": dispute.kind, "step": dispute.step, "is_open": dispute.is_open}}


def _add_demo_data(sender, now, **kwargs):
    from .demo import seed_demo_billing

    seed_demo_billing(now=now)


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Meter reading and billing")

    def ready(self):
        from accounts.customer_page import register_action, register_section
        from accounts.signals import demo_seeded
        from tickets.hooks import register_kind

        from . import (
            services,  # noqa: F401  (registers the billing message templates)
            timeline,
        )
        from .customer_page import billing_section, new_dispute_action

        post_migrate.connect(_seed_rules, sender=self, dispatch_uid="billing_seed_rules")
        demo_seeded.connect(_add_demo_data, dispatch_uid="billing_demo")
        timeline.register()
        register_section("billing", billing_section)
        register_action("billing_dispute", new_dispute_action)
        register_kind(
            "billing", detail_url=_dispute_url, extra_data=_dispute_extra, prefetch=["billing_dispute"]
        )
