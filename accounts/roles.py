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


def may_see_full_personal_data(user) -> bool:
    """Roles that call customers back may see phones and ID numbers in full (each view is logged)."""
    profile = getattr(user, "staff_profile", None)
    return profile is not None and profile.role in ROLES_SEEING_FULL_PERSONAL_DATA


# Roles whose dashboard figures are their own cases only (the supervisors see their org subtree).
ROLES_SEEING_OWN_FIGURES_ONLY = {Role.FRONT_DESK, Role.AGENT, Role.TECHNICIAN}
# Roles that may set targets: the group centre for every unit; a branch manager for the outlets below.
ROLES_SETTING_TARGETS = {Role.BRANCH_MANAGER, Role.CENTRE_MANAGER, Role.ADMINISTRATOR}


def may_set_targets(user) -> bool:
    """The role part of setting targets; which units a user may set them for is their org scope."""
    profile = getattr(user, "staff_profile", None)
    return user.is_superuser or (profile is not None and profile.role in ROLES_SETTING_TARGETS)


def sees_own_figures_only(user) -> bool:
    """Front desk, agents and technicians see the figures of the cases they handle, nobody else's."""
    profile = getattr(user, "staff_profile", None)
    return profile is not None and profile.role in ROLES_SEEING_OWN_FIGURES_ONLY and not user.is_superuser


# Who works cases themselves: the people a case can be assigned to ("assign to").
ROLES_HANDLING_CASES = {Role.FRONT_DESK, Role.AGENT, Role.TECHNICIAN, Role.OUTLET_SUPERVISOR}
# Who may move a case to another unit (transfer); where to is accounts.visibility.transfer_scope.
ROLES_TRANSFERRING_CASES = {
    Role.AGENT,
    Role.OUTLET_SUPERVISOR,
    Role.BRANCH_MANAGER,
    Role.CENTRE_MANAGER,
    Role.ADMINISTRATOR,
}


def may_transfer_cases(user) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    profile = getattr(user, "staff_profile", None)
    return profile is not None and profile.role in ROLES_TRANSFERRING_CASES


def is_service_staff(user) -> bool:
    """Complaints and follow-up calls: every staff role but field technicians (who work on the
    tickets themselves), and superusers."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return getattr(user, "staff_profile", None) is not None and not is_field_technician(user)


SUPERVISOR_ROLES = {Role.OUTLET_SUPERVISOR, Role.BRANCH_MANAGER, Role.CENTRE_MANAGER, Role.ADMINISTRATOR}


def is_supervisor(user) -> bool:
    """Supervisors, managers and administrators (and superusers): they oversee a team's cases."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    profile = getattr(user, "staff_profile", None)
    return profile is not None and profile.role in SUPERVISOR_ROLES


# Who gets the daily digest of their units' cases nearing a deadline.
ROLES_RECEIVING_DIGEST = {Role.OUTLET_SUPERVISOR, Role.BRANCH_MANAGER, Role.CENTRE_MANAGER}
# Who is told in-app that a billing adjustment proposed in their unit waits for approval.
ROLES_TOLD_OF_WAITING_ADJUSTMENTS = {Role.OUTLET_SUPERVISOR, Role.BRANCH_MANAGER}
# Who exchanges files with the billing system (imports, the adjustments feed).
ROLES_EXCHANGING_WITH_BILLING_SYSTEM = {Role.ADMINISTRATOR, Role.CENTRE_MANAGER}


def may_exchange_with_billing_system(user) -> bool:
    """Billing imports and the adjustments feed: the centre and administrators (and superusers)."""
    if not user.is_authenticated:
        return False
    profile = getattr(user, "staff_profile", None)
    return user.is_superuser or (profile is not None and profile.role in ROLES_EXCHANGING_WITH_BILLING_SYSTEM)


def is_field_technician(user) -> bool:
    """Field technicians work on site; the apps give them only the steps of that work."""
    profile = getattr(user, "staff_profile", None)
    return profile is not None and profile.role == Role.TECHNICIAN


def takes_calls(user) -> bool:
    """Call-centre agents take the hotline's calls; everybody else serves the service hall."""
    profile = getattr(user, "staff_profile", None)
    return profile is not None and profile.role == Role.AGENT


# Which model permissions each role's Django group holds, as "app_label.codename" patterns
# (fnmatch). Our apps only; the administrator also manages users and groups.
OUR_APPS = ("accounts", "notifications", "tickets", "complaints", "billing", "satisfaction", "dashboards")
_DESK = (
    "accounts.add_customer",
    "accounts.change_customer",
    "accounts.view_customer",
    "accounts.view_orgunit",
    "accounts.view_customercategory",
    "tickets.add_ticket",
    "tickets.change_ticket",
    "tickets.view_ticket",
    "complaints.add_complaint",
    "complaints.change_complaint",
    "complaints.view_complaint",
)
_SUPERVISOR = _DESK + ("*.view_*", "tickets.change_milestone", "tickets.add_escalation")
ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    Role.FRONT_DESK: _DESK,
    Role.AGENT: _DESK,
    Role.TECHNICIAN: (
        "accounts.view_customer",
        "accounts.view_orgunit",
        "tickets.view_ticket",
        "tickets.change_ticket",
    ),
    Role.OUTLET_SUPERVISOR: _SUPERVISOR,
    Role.BRANCH_MANAGER: _SUPERVISOR,
    Role.CENTRE_MANAGER: _SUPERVISOR
    + ("tickets.*", "complaints.*", "satisfaction.*", "billing.change_*", "dashboards.*"),
    Role.ADMINISTRATOR: (
        "accounts.*",
        "tickets.*",
        "complaints.*",
        "billing.*",
        "satisfaction.*",
        "dashboards.*",
        "auth.*",
    ),
}


def roles_with_permission(perm: str) -> list[Role]:
    """The roles whose group holds `perm` ("app_label.codename"), to name them when access is refused."""
    from fnmatch import fnmatchcase

    return [role for role in Role if any(fnmatchcase(perm, p) for p in ROLE_PERMISSIONS[role])]


def permission_required_naming_roles(perm: str):
    """Like Django's permission_required(raise_exception=True), but the 403 says which roles may."""
    from functools import wraps

    from django.core.exceptions import PermissionDenied
    from django.utils.translation import gettext as _

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.has_perm(perm):
                roles = ", ".join(str(r.label) for r in roles_with_permission(perm))
                raise PermissionDenied(_("This page is for these roles: %(roles)s.") % {"roles": roles})
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def group_name(role: str) -> str:
    """A role's Django group is named after the role's stable value ("front_desk")."""
    return str(role)


def sync_role_groups(apps=None) -> dict[str, int]:
    """Create one Django group per role and set its model permissions; idempotent.

    `apps` is the migration state registry inside a data migration, else the live registry.
    Returns {group name: number of permissions}.
    """
    from fnmatch import fnmatchcase

    if apps is None:
        from django.apps import apps
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    perms = list(
        permission_model.objects.filter(content_type__app_label__in=(*OUR_APPS, "auth")).values_list(
            "id", "content_type__app_label", "codename"
        )
    )
    result = {}
    for role in Role:
        patterns = ROLE_PERMISSIONS[role]
        wanted = {pk for pk, app, code in perms if any(fnmatchcase(f"{app}.{code}", p) for p in patterns)}
        group, _created = group_model.objects.get_or_create(name=group_name(role))
        group.permissions.set(wanted)
        result[group.name] = len(wanted)
    return result


def sync_staff_groups(user) -> None:
    """Make `user`'s role groups match their staff profile's role (other groups untouched)."""
    from django.contrib.auth.models import Group

    role_names = [group_name(r) for r in Role]
    profile = getattr(user, "staff_profile", None)
    keep = group_name(profile.role) if profile is not None else None
    user.groups.remove(*Group.objects.filter(name__in=role_names).exclude(name=keep))
    if keep:
        group, _created = Group.objects.get_or_create(name=keep)
        user.groups.add(group)
