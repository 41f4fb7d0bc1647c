"""factory_boy factories shared by every app's tests."""

import factory
from django.contrib.auth import get_user_model

from accounts.models import Customer, CustomerCategory, OrgUnit, Role, Segment, StaffProfile


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


class StaffProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffProfile
        django_get_or_create = ("user",)

    role = Role.FRONT_DESK
    org_unit = factory.SubFactory(OrgUnitFactory)


class StaffFactory(UserFactory):
    """A user with a staff profile: StaffFactory(role=Role.FRONT_DESK, org_unit=outlet)."""

    class Meta:
        skip_postgeneration_save = True

    class Params:
        role = Role.FRONT_DESK
        org_unit = factory.SubFactory(OrgUnitFactory)

    staff_profile = factory.RelatedFactory(
        StaffProfileFactory,
        factory_related_name="user",
        role=factory.SelfAttribute("..role"),
        org_unit=factory.SelfAttribute("..org_unit"),
    )


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
