"""Who may do what in the satisfaction pages (the roles themselves live in accounts.roles)."""

from accounts.roles import SUPERVISOR_ROLES


def is_supervisor(user) -> bool:
    """Supervisors and managers: the figures, closing recoveries, improvement actions."""
    profile = getattr(user, "staff_profile", None)
    return bool(user is not None and user.is_authenticated) and (
        user.is_superuser or (profile is not None and profile.role in SUPERVISOR_ROLES)
    )
