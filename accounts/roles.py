"""Staff roles and what each may see."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    FRONT_DESK = "front_desk", _("Front desk")
    AGENT = "agent", _("Call-centre agent")
    TECHNICIAN = "technician", _("Field technician")
    OUTLET_SUPERVISOR = "outlet_supervisor", _("Outlet supervisor")
    BRANCH_MANAGER = "branch_manager", _("Branch manager")
    CENTRE_MANAGER = "centre_manager", _("Centre manager")
    ADMINISTRATOR = "administrator", _("Administrator")


# Roles that see every org unit's cases (DESIGN: call-centre agents and the centre see all).
ROLES_SEEING_ALL = {Role.AGENT, Role.CENTRE_MANAGER, Role.ADMINISTRATOR}
# Roles that may view phone and ID numbers in full on a customer's page (each view is logged).
ROLES_SEEING_FULL_PERSONAL_DATA = {
    Role.FRONT_DESK,
    Role.AGENT,
    Role.TECHNICIAN,
    Role.OUTLET_SUPERVISOR,
    Role.BRANCH_MANAGER,
    Role.CENTRE_MANAGER,
}
SUPERVISOR_ROLES = {Role.OUTLET_SUPERVISOR, Role.BRANCH_MANAGER, Role.CENTRE_MANAGER, Role.ADMINISTRATOR}
