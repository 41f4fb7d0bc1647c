"""Who may do what in billing (the API and the pages ask here)."""

from accounts.roles import is_field_technician

# Field technicians see disputes and record re-reads, meter tests and meter replacements; no other step.
TECHNICIAN_STEPS = {"retrieve", "list", "reread", "meter_test", "replace_meter"}


def may_handle_billing(user, step: str | None = None) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    if getattr(user, "staff_profile", None) is None:
        return False
    return not is_field_technician(user) or step in TECHNICIAN_STEPS
