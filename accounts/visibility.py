"""Row-level visibility: the one place that says which org units' rows a user sees.

Staff see the rows of their own org subtree; call-centre agents, the centre and
administrators see all. Every app's queryset inherits `VisibleQuerySet` and names the path
to its responsible org unit (`org_field`); UI and API both go through `visible_to(user)`.
"""

from django.db import models
from django.db.models import Q

from .roles import ROLES_SEEING_ALL, Role, may_transfer_cases

ALL = object()


def org_scope(user):
    """The org path prefix `user` may see, `ALL`, or None for nothing."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return ALL
    profile = getattr(user, "staff_profile", None)
    if profile is None:
        return None
    if profile.role in ROLES_SEEING_ALL:
        return ALL
    return profile.org_unit.path


def is_unit_visible_to(user, unit) -> bool:
    """The same rule as `visible_to`, for one org unit already in hand (no query)."""
    scope = org_scope(user)
    if scope is ALL:
        return True
    return scope is not None and unit is not None and unit.path.startswith(scope)


def transfer_scope(user):
    """The org path prefix inside which `user` may transfer cases, `ALL`, or None.

    The units they see; an outlet supervisor also hands a misplaced case to the other
    outlets of their branch (beyond it, the branch manager or the call centre moves it).
    """
    if not may_transfer_cases(user):
        return None
    scope = org_scope(user)
    profile = getattr(user, "staff_profile", None)
    if scope is ALL or profile is None or profile.role != Role.OUTLET_SUPERVISOR:
        return scope
    parent = profile.org_unit.parent
    return parent.path if parent is not None else scope


class VisibleQuerySet(models.QuerySet):
    # Path from the model to its responsible OrgUnit; "" when the model is OrgUnit itself.
    org_field = "org_unit"
    # Path to the staff member who filed a case, for "cases I filed"; "" when rows have no filer.
    filer_field = ""

    def visible_to(self, user):
        """The rows `user` works on: their org subtree (everything for the roles that see all)."""
        scope = org_scope(user)
        if scope is ALL:
            return self
        if scope is None:
            return self.none()
        return self.filter(self._scope_q(scope))

    def readable_by(self, user):
        """`visible_to` plus, read only, the cases `user` filed themselves in another unit.

        A customer may complain at any service hall; the case goes to the account's outlet,
        and the person who took it can still open it to print the receipt.
        """
        scope = org_scope(user)
        if scope is ALL:
            return self
        if scope is None:
            return self.none()
        if not self.filer_field:
            return self.filter(self._scope_q(scope))
        return self.filter(self._scope_q(scope) | Q(**{self.filer_field: user}))

    def _scope_q(self, scope) -> Q:
        lookup = f"{self.org_field}__path__startswith" if self.org_field else "path__startswith"
        return Q(**{lookup: scope})
