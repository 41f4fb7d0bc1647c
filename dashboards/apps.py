from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    name = "dashboards"
    verbose_name = _("SLA dashboards")

    def ready(self):
        from accounts.signals import demo_seeded

        from . import rollups
        from .demo import seed_demo_targets

        rollups.connect_signals()
        demo_seeded.connect(seed_demo_targets, dispatch_uid="dashboards_demo_targets")
