"""An organisation tree for the accounts tests: centre -> 2 branches -> 2 outlets each, call centre."""

import itertools
from dataclasses import dataclass

from accounts.models import CustomerCategory, OrgUnit
from accounts.seeding import seed_categories
from accounts.services import create_staff
from tests.factories import CustomerFactory, OrgUnitFactory, UserFactory

_staff_seq = itertools.count(1)


def make_staff(role, org_unit, *, username=None, password="pass-12345", **kwargs):
    """A staff user created the way the product creates them (profile + role group)."""
    return create_staff(
        username=username or f"staff{next(_staff_seq)}",
        password=password,
        role=role,
        org_unit=org_unit,
        **kwargs,
    )


@dataclass
class Org:
    centre: OrgUnit
    branch1: OrgUnit
    branch2: OrgUnit
    outlet1a: OrgUnit
    outlet1b: OrgUnit
    outlet2a: OrgUnit
    call_centre: OrgUnit


def make_org() -> Org:
    centre = OrgUnitFactory(code="TGSC", name="客户服务中心", kind=OrgUnit.Kind.CENTRE)
    b1 = OrgUnitFactory(code="TBR1", name="渝中分公司", kind=OrgUnit.Kind.BRANCH, parent=centre)
    b2 = OrgUnitFactory(code="TBR2", name="江北分公司", kind=OrgUnit.Kind.BRANCH, parent=centre)
    return Org(
        centre=centre,
        branch1=b1,
        branch2=b2,
        outlet1a=OrgUnitFactory(code="TO1A", name="解放碑营业厅", kind=OrgUnit.Kind.OUTLET, parent=b1),
        outlet1b=OrgUnitFactory(code="TO1B", name="大坪营业厅", kind=OrgUnit.Kind.OUTLET, parent=b1),
        outlet2a=OrgUnitFactory(code="TO2A", name="观音桥营业厅", kind=OrgUnit.Kind.OUTLET, parent=b2),
        call_centre=OrgUnitFactory(code="TCC", name="呼叫中心", kind=OrgUnit.Kind.CALL_CENTRE, parent=centre),
    )


def category(code: str) -> CustomerCategory:
    seed_categories()
    return CustomerCategory.objects.get(code=code)


__all__ = ["CustomerFactory", "Org", "UserFactory", "category", "make_org", "make_staff"]
