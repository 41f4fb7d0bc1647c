"""factory_boy factories shared by every app's tests, and the one builder of the test organisation."""

import itertools

import factory
from django.contrib.auth import get_user_model

from accounts.models import Customer, CustomerCategory, OrgUnit, Role, Segment
from accounts.services import create_staff


class OrgUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrgUnit
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"OU{n:03d}")
    name = factory.LazyAttribute(lambda o: f"Unit {o.code}")
    kind = OrgUnit.Kind.OUTLET
    parent = None


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Staff"
    password = factory.django.Password("pass-12345")


class StaffFactory(UserFactory):
    """A staff user made by the product's service (password pass-12345):
    StaffFactory(role=Role.FRONT_DESK, org_unit=outlet)."""

    role = Role.FRONT_DESK
    org_unit = factory.SubFactory(OrgUnitFactory)

    @classmethod
    def _create(cls, model_class, *args, username, role, org_unit, password=None, **kwargs):
        return make_staff(role, org_unit, username=username, **kwargs)


class CustomerCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerCategory
        django_get_or_create = ("code",)

    code = "residential"
    name = "居民"
    name_en = "Residential"
    segment = Segment.RESIDENTIAL


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    account_no = factory.Sequence(lambda n: f"{3100000000 + n:010d}")
    name = factory.Sequence(lambda n: f"客户{n}")
    category = factory.SubFactory(CustomerCategoryFactory)
    mobile = factory.Sequence(lambda n: f"138{n:08d}")
    address = factory.Sequence(lambda n: f"渝中区解放碑路{n}号")
    outlet = factory.SubFactory(OrgUnitFactory)


_staff_seq = itertools.count(1)


def make_staff(role, org_unit, *, username=None, password="pass-12345", **kwargs):
    """A staff user created the way the product creates them (profile and role group), read back
    with their unit as the views read the signed-in user."""
    username = username or f"staff{next(_staff_seq)}"
    kwargs.setdefault("first_name", username.title())
    user = create_staff(username=username, password=password, role=role, org_unit=org_unit, **kwargs)
    return type(user).objects.select_related("staff_profile__org_unit").get(pk=user.pk)


class Org:
    """The test organisation: centre -> branch (two outlets) and a second branch (one outlet).

    With `people` (the default) also its staff (a clerk, technicians, an agent, a supervisor) and
    three customers; `call_centre` adds the call centre under the centre.
    """

    def __init__(self, *, people: bool = True, call_centre: bool = False):
        kind = OrgUnit.Kind
        self.centre = OrgUnitFactory(code="GSC", name="客服中心", kind=kind.CENTRE)
        self.branch = OrgUnitFactory(code="BR01", name="渝中分公司", kind=kind.BRANCH, parent=self.centre)
        self.outlet = OrgUnitFactory(code="OUT01", name="解放碑营业厅", kind=kind.OUTLET, parent=self.branch)
        self.outlet2 = OrgUnitFactory(code="OUT02", name="较场口营业厅", kind=kind.OUTLET, parent=self.branch)
        self.branch2 = OrgUnitFactory(code="BR02", name="江北分公司", kind=kind.BRANCH, parent=self.centre)
        self.far_outlet = OrgUnitFactory(
            code="OUT03", name="观音桥营业厅", kind=kind.OUTLET, parent=self.branch2
        )
        if call_centre:
            self.call_centre = OrgUnitFactory(
                code="CC", name="呼叫中心", kind=kind.CALL_CENTRE, parent=self.centre
            )
        if not people:
            return
        self.clerk = make_staff(Role.FRONT_DESK, self.outlet, username="clerk")
        self.tech = make_staff(Role.TECHNICIAN, self.outlet, username="tech")
        self.far_tech = make_staff(Role.TECHNICIAN, self.far_outlet, username="far_tech")
        self.agent = make_staff(Role.AGENT, self.centre, username="agent")
        self.supervisor = make_staff(Role.OUTLET_SUPERVISOR, self.outlet, username="supervisor")
        self.residential = CustomerCategoryFactory(code="residential", name="residential", name_en="")
        self.commercial = CustomerCategoryFactory(
            code="commercial", name="commercial", name_en="", segment=Segment.COMMERCIAL
        )
        self.customer = CustomerFactory(outlet=self.outlet, category=self.residential)
        self.restaurant = CustomerFactory(outlet=self.outlet, category=self.commercial)
        self.far_customer = CustomerFactory(outlet=self.far_outlet, category=self.residential)
