"""Fixtures for the dashboards tests: the tickets tests' small organisation plus a branch manager,
a centre manager, and hand-built deadlines (`deadline(...)`) placed exactly where a case needs them."""

import pytest

from accounts.models import Role
from tests.tickets.factories import Org, at, make_ticket, staff
from tickets.models import Milestone, Status, Ticket

NOW = at(2026, 11, 20, 10, 0)


class DashOrg(Org):
    def __init__(self):
        super().__init__()
        self.branch_manager = staff(username="branchmgr", role=Role.BRANCH_MANAGER, org_unit=self.branch)
        self.centre_manager = staff(username="centremgr", role=Role.CENTRE_MANAGER, org_unit=self.centre)
        self.far_supervisor = staff(username="far_sup", role=Role.OUTLET_SUPERVISOR, org_unit=self.far_outlet)


@pytest.fixture
def org(db):
    return DashOrg()


def deadline(
    org,
    *,
    due_at,
    met_at=None,
    unit="working_hours",
    amount=8,
    org_unit=None,
    paused_at=None,
    status=None,
    code="RPR-RES",
    assignee=None,
    priority=None,
    customer=None,
):
    """One ticket holding exactly one deadline, due and met when the case says (arranged, not lived)."""
    ticket = make_ticket(org, code=code, now=at(2026, 10, 1, 9, 0), customer=customer)
    first = ticket.milestones.order_by("sort_order").first()
    ticket.milestones.exclude(pk=first.pk).delete()
    Milestone.objects.filter(pk=first.pk).update(
        due_at=due_at, met_at=met_at, unit=unit, amount=amount, started_at=at(2026, 10, 1, 9, 0)
    )
    fields = {"org_unit": org_unit or org.outlet}
    if paused_at is not None:
        fields.update(status=Status.WAITING_CUSTOMER, paused_at=paused_at)
    if status is not None:
        fields["status"] = status
    if assignee is not None:
        fields["assignee"] = assignee
    if priority is not None:
        fields["priority"] = priority
    Ticket.objects.filter(pk=ticket.pk).update(**fields)
    return Ticket.objects.get(pk=ticket.pk)
