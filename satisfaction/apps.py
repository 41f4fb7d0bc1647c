from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _seed_after_migrate(sender, using="default", **kwargs):
    """Questions, survey rules and the recovery service type (idempotent; after the catalogue)."""
    from .seed import seed_satisfaction

    if using == "default":
        seed_satisfaction()


def _status_changing(sender, ticket, before, after, actor, now, **kwargs):
    from .services import on_status_changing

    on_status_changing(ticket=ticket, before=before, after=after, actor=actor, now=now)


def _follow_up_url(ticket):
    """Callback, recovery and improvement tickets open on their own satisfaction page (decided by
    the service type, so a list of tickets costs no query per ticket)."""
    from django.urls import reverse

    from .seed import CALLBACK_SERVICE_TYPE, IMPROVEMENT_SERVICE_TYPE, RECOVERY_SERVICE_TYPE

    pages = {
        CALLBACK_SERVICE_TYPE: "satisfaction:survey",
        RECOVERY_SERVICE_TYPE: "satisfaction:recovery",
        IMPROVEMENT_SERVICE_TYPE: "satisfaction:improvement",
    }
    page = pages.get(ticket.service_type.code)
    return reverse(page, args=[ticket.reference]) if page else None


def _add_demo_data(sender, now, **kwargs):
    from notifications.services import withheld

    from .demo import seed_demo_surveys

    with withheld():  # the demo's customers are fictional: no survey SMS goes out to them
        seed_demo_surveys(now=now)


class SatisfactionConfig(AppConfig):
    name = "satisfaction"
    verbose_name = _("Satisfaction")

    def ready(self):
        from accounts.signals import demo_seeded
        from tickets.hooks import register_kind, ticket_status_changing

        from . import (
            outbox,  # noqa: F401  (registers the satisfaction message templates)
            timeline,
        )

        post_migrate.connect(_seed_after_migrate, sender=self, dispatch_uid="satisfaction_seed")
        ticket_status_changing.connect(_status_changing, dispatch_uid="satisfaction_status_changing")
        demo_seeded.connect(_add_demo_data, dispatch_uid="satisfaction_demo")
        register_kind("follow_up", detail_url=_follow_up_url)
        timeline.register()
