from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _seed_catalogue_after_migrate(sender, using="default", plan=None, **kwargs):
    """A fresh database always has the published catalogue (idempotent, cheap when present)."""
    from .catalogue import seed_catalogue

    if using == "default":
        seed_catalogue()


def _recompute_provisional(calendar):
    from django.utils import timezone

    from .services import recompute_provisional_deadlines

    return recompute_provisional_deadlines(calendar, now=timezone.now())


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Service tickets")

    def ready(self):
        from notifications.digest import register_source

        from . import (
            calendars,  # noqa: F401  (calendar change signals; sla owner)
            messages,  # noqa: F401  (registers the ticket notification templates)
        )
        from .selectors import digest_figures

        register_source(digest_figures)

        calendars.register_provisional_recompute(_recompute_provisional)
        post_migrate.connect(
            _seed_catalogue_after_migrate, sender=self, dispatch_uid="tickets_seed_catalogue"
        )
        try:
            from accounts.signals import demo_seeded
        except ImportError:  # pragma: no cover - the accounts app predates the demo seed
            demo_seeded = None
        from accounts.customer_page import register_action, register_section

        from .customer_page import cases_section, new_ticket_action

        register_section("tickets_cases", cases_section)
        register_action("tickets_new", new_ticket_action)
        if demo_seeded is not None:
            from .demo import seed_demo_tickets

            demo_seeded.connect(seed_demo_tickets, dispatch_uid="tickets_demo_tickets")
