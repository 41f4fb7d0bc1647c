"""Who may do what in billing (the API and the pages ask here)."""

from accounts.roles import Role

# Who exchanges files with the billing system (imports, the adjustments feed).
BILLING_SYSTEM_ROLES = {Role.ADMINISTRATOR, Role.CENTRE_MANAGER}
# Field technicians see disputes and record re-reads, meter tests and meter replacements; no other step.
TECHNICIAN_STEPS = {"retrieve", "list", "reread", "meter_test", "replace_meter"}


def role_of(user):
    profile = getattr(user, "staff_profile", None)
    return profile.role if profile else None


def may_handle_billing(user, step: str | None = None) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    role = role_of(user)
    if role is None:
        return False
    return role != Role.TECHNICIAN or step in TECHNICIAN_STEPS


def may_exchange_with_billing_system(user) -> bool:
    return user.is_authenticated and (user.is_superuser or role_of(user) in BILLING_SYSTEM_ROLES)
