"""One permission rule for the API and the pages: the role's Django model permissions (accounts.roles)."""

from rest_framework.permissions import DjangoModelPermissions

# What each kind of request needs, for the API (by HTTP method) and the pages (by action).
ACTION_PERMISSIONS = {
    "view": "%(app_label)s.view_%(model_name)s",
    "add": "%(app_label)s.add_%(model_name)s",
    "change": "%(app_label)s.change_%(model_name)s",
}


def permission_for(model, action: str) -> str:
    """ "accounts.change_customer" for (Customer, "change"): the name the pages' decorators check."""
    meta = model._meta
    return ACTION_PERMISSIONS[action] % {"app_label": meta.app_label, "model_name": meta.model_name}


class RoleModelPermissions(DjangoModelPermissions):
    """Reading needs the model's view permission, creating its add, changing its change permission."""

    perms_map = {
        "GET": [ACTION_PERMISSIONS["view"]],
        "OPTIONS": [],
        "HEAD": [ACTION_PERMISSIONS["view"]],
        "POST": [ACTION_PERMISSIONS["add"]],
        "PUT": [ACTION_PERMISSIONS["change"]],
        "PATCH": [ACTION_PERMISSIONS["change"]],
        "DELETE": ["%(app_label)s.delete_%(model_name)s"],
    }
