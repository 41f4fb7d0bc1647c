"""Who may do what in the satisfaction pages (the roles themselves live in accounts.roles)."""

from accounts.roles import is_supervisor

__all__ = ["is_supervisor"]  # supervisors and managers: the figures, closing recoveries, improvement actions
