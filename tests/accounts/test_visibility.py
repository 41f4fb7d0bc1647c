"""visible_to(user): the one rule for who sees which customers."""

import pytest
from django.contrib.auth.models import AnonymousUser

from accounts.models import Customer, OrgUnit, Role

from .factories import CustomerFactory, UserFactory, make_staff

ALL = {"OUT01", "OUT02", "OUT03"}


@pytest.mark.parametrize(
    "role, unit, sees",
    [
        (Role.FRONT_DESK, "outlet", {"OUT01"}),
        (Role.TECHNICIAN, "outlet", {"OUT01"}),
        (Role.OUTLET_SUPERVISOR, "outlet2", {"OUT02"}),
        (Role.BRANCH_MANAGER, "branch", {"OUT01", "OUT02"}),
        (Role.BRANCH_MANAGER, "branch2", {"OUT03"}),
        (Role.AGENT, "call_centre", ALL),
        (Role.CENTRE_MANAGER, "centre", ALL),
        (Role.ADMINISTRATOR, "centre", ALL),
        (Role.FRONT_DESK, "centre", ALL),  # a front desk at the centre sees the centre's subtree
    ],
    ids=[
        "front desk sees own outlet only",
        "technician sees own outlet only",
        "outlet supervisor sees own outlet",
        "branch manager sees branch subtree",
        "other branch manager sees other branch",
        "call-centre agent sees all",
        "centre manager sees all",
        "administrator sees all",
        "staff at the centre unit see its subtree",
    ],
)
def test_staff_see_customers_of_their_subtree(org, role, unit, sees):
    for outlet in (org.outlet, org.outlet2, org.far_outlet):
        CustomerFactory(outlet=outlet)
    user = make_staff(role, getattr(org, unit))
    visible = set(Customer.objects.visible_to(user).values_list("outlet__code", flat=True))
    assert visible == sees


@pytest.mark.parametrize("who", ["anonymous", "no profile", "inactive"])
def test_nobody_without_a_profile_sees_anything(org, who):
    CustomerFactory(outlet=org.outlet)
    if who == "anonymous":
        user = AnonymousUser()
    elif who == "no profile":
        user = UserFactory()
    else:
        user = make_staff(Role.AGENT, org.call_centre)
        user.is_active = False
    assert not Customer.objects.visible_to(user).exists()


def test_superuser_without_profile_sees_all(org):
    CustomerFactory(outlet=org.far_outlet)
    admin = UserFactory(is_superuser=True)
    assert Customer.objects.visible_to(admin).count() == 1


def test_org_units_visible_to_branch_manager_are_its_subtree(org):
    user = make_staff(Role.BRANCH_MANAGER, org.branch)
    codes = set(OrgUnit.objects.visible_to(user).values_list("code", flat=True))
    assert codes == {"BR01", "OUT01", "OUT02"}
