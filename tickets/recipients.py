"""Who hears of a step of the ladder: the staff of a ticket's unit and of the units above it.

0 the handler (the assignee, else the unit's front desk, agents and technicians); 1 the outlet
supervisor; 2 the branch manager; 3 the group customer service centre. A level nobody holds
passes up. One query per batch of tickets (`RecipientDirectory`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Q

from accounts.models import OrgUnit, StaffProfile
from accounts.roles import Role

from .ladder import LAST_LEVEL

# Who handles a ticket of a unit when nobody is assigned: the unit's queue.
HANDLER_ROLES = (Role.FRONT_DESK, Role.AGENT, Role.TECHNICIAN)
LEVEL_ROLES = {1: Role.OUTLET_SUPERVISOR, 2: Role.BRANCH_MANAGER, 3: Role.CENTRE_MANAGER}
LEVEL_UNIT_KINDS = {1: None, 2: OrgUnit.Kind.BRANCH, 3: OrgUnit.Kind.CENTRE}
RECIPIENT_ROLES = (*HANDLER_ROLES, *LEVEL_ROLES.values())


@dataclass(frozen=True)
class Recipient:
    user: object
    mobile: str
    role: str

    def as_json(self) -> dict:
        return {
            "id": self.user.pk,
            "name": self.user.get_full_name() or self.user.get_username(),
            "role": str(self.role),
        }


class RecipientDirectory:
    """Staff of the org units (and their ancestors) of a batch of tickets: one query for all."""

    def __init__(self, tickets):
        tickets = list(tickets)
        paths = {ticket.org_unit.path for ticket in tickets}
        assignee_ids = {ticket.assignee_id for ticket in tickets if ticket.assignee_id}
        codes = {c for path in paths for c in path.strip("/").split("/") if c}
        self.by_user: dict[int, Recipient] = {}
        self.by_unit_role: dict[tuple[str, str], list[Recipient]] = defaultdict(list)
        self.unit_kind: dict[str, str] = {}
        self._json: dict[tuple, list[dict]] = {}
        if not codes and not assignee_ids:
            return
        profiles = (
            StaffProfile.objects.filter(
                Q(org_unit__code__in=codes, role__in=RECIPIENT_ROLES) | Q(user_id__in=assignee_ids),
                user__is_active=True,
            )
            .select_related("user", "org_unit")
            .only(
                "role",
                "mobile",
                "user__id",
                "user__username",
                "user__first_name",
                "user__last_name",
                "user__email",
                "user__is_active",
                "org_unit__path",
                "org_unit__kind",
            )
            .order_by("user_id")
        )
        for profile in profiles:
            recipient = Recipient(user=profile.user, mobile=profile.mobile, role=profile.role)
            self.by_user[profile.user_id] = recipient
            self.by_unit_role[(profile.org_unit.path, profile.role)].append(recipient)
            self.unit_kind[profile.org_unit.path] = profile.org_unit.kind

    def as_json(self, recipients) -> list[dict]:
        """[r.as_json() for r in recipients], worked out once per directory for each list (do not
        change the list returned: it is shared)."""
        key = tuple((r.user.pk, r.role) for r in recipients)
        found = self._json.get(key)
        if found is None:
            found = self._json[key] = [r.as_json() for r in recipients]
        return found

    def _at_ancestor(self, path: str, role: str, kind: str | None) -> list[Recipient]:
        """Holders of `role` at the nearest unit on `path` (self first, then upwards) of `kind`."""
        parts = [c for c in path.strip("/").split("/") if c]
        for depth in range(len(parts), 0, -1):
            unit_path = "/" + "/".join(parts[:depth]) + "/"
            found = self.by_unit_role.get((unit_path, role))
            if found and (kind is None or self.unit_kind.get(unit_path) == kind):
                return found
        return []

    def handlers(self, ticket) -> list[Recipient]:
        if ticket.assignee_id:
            recipient = self.by_user.get(ticket.assignee_id)
            return [recipient or Recipient(user=ticket.assignee, mobile="", role="")]
        path = ticket.org_unit.path
        return [r for role in HANDLER_ROLES for r in self.by_unit_role.get((path, role), [])]

    def audience(self, ticket, level: int) -> list[Recipient]:
        """Who is told of a step: the handler at the warning; the handler and the outlet supervisor
        at breach; the branch manager at level 2; the centre at level 3 (managers hear of the rest
        through the daily digest)."""
        if level != 1:
            return self.for_level(ticket, level)
        found = {r.user.pk: r for r in self.handlers(ticket) + self.for_level(ticket, 1)}
        return list(found.values())

    def for_level(self, ticket, level: int) -> list[Recipient]:
        """Who hears of a step; nobody at a level passes it up, so no step goes unheard."""
        for candidate in range(level, LAST_LEVEL + 1):
            if candidate == 0:
                found = self.handlers(ticket)
            else:
                found = self._at_ancestor(
                    ticket.org_unit.path, LEVEL_ROLES[candidate], LEVEL_UNIT_KINDS[candidate]
                )
            if found:
                return found
        return []
