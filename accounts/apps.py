from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _after_migrate(sender, using="default", **kwargs):
    """A freshly migrated database always has the customer categories and the role groups."""
    from django.db import connections

    from .roles import OUR_APPS, sync_role_groups
    from .seeding import seed_categories

    if sender.label not in OUR_APPS:
        return
    tables = connections[using].introspection.table_names()
    if "accounts_customercategory" in tables and "auth_group" in tables:
        seed_categories()
        sync_role_groups()


def _profile_saved(sender, instance, raw=False, **kwargs):
    """However a profile is saved (service, admin, fixtures), the role's group follows."""
    from .roles import sync_staff_groups

    if not raw:
        sync_staff_groups(instance.user)


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Customers and organisation")

    def ready(self):
        from django.db.models.signals import post_save

        from .models import StaffProfile

        post_migrate.connect(_after_migrate, dispatch_uid="accounts.after_migrate")
        post_save.connect(_profile_saved, sender=StaffProfile, dispatch_uid="accounts.profile_saved")
