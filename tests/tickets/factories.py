"""Helpers for the tickets tests: an organisation, staff, customers, and tickets made by the services."""

import datetime
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model

from accounts.models import CustomerCategory, OrgUnit, Role, Segment, StaffProfile
from tests.factories import CustomerFactory, OrgUnitFactory
from tickets import services
from tickets.models import Channel, ServiceType

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args) -> datetime.datetime:
    """at(2026, 3, 2, 9, 0) -> an aware Asia/Shanghai datetime."""
    return datetime.datetime(*args, tzinfo=SHANGHAI)


class Org:
    """A small tree: centre -> branch -> two outlets; plus a second branch with one outlet."""

    def __init__(self):
        kind = OrgUnit.Kind
        self.centre = OrgUnitFactory(code="GSC", name="客服中心", kind=kind.CENTRE)
        self.branch = OrgUnitFactory(code="BR01", name="渝中分公司", kind=kind.BRANCH, parent=self.centre)
        self.outlet = OrgUnitFactory(code="OUT01", name="解放碑营业厅", kind=kind.OUTLET, parent=self.branch)
        self.outlet2 = OrgUnitFactory(code="OUT02", name="较场口营业厅", kind=kind.OUTLET, parent=self.branch)
        self.branch2 = OrgUnitFactory(code="BR02", name="江北分公司", kind=kind.BRANCH, parent=self.centre)
        self.far_outlet = OrgUnitFactory(
            code="OUT03", name="观音桥营业厅", kind=kind.OUTLET, parent=self.branch2
        )
        self.clerk = staff(username="clerk", role=Role.FRONT_DESK, org_unit=self.outlet)
        self.tech = staff(username="tech", role=Role.TECHNICIAN, org_unit=self.outlet)
        self.far_tech = staff(username="far_tech", role=Role.TECHNICIAN, org_unit=self.far_outlet)
        self.agent = staff(username="agent", role=Role.AGENT, org_unit=self.centre)
        self.supervisor = staff(username="supervisor", role=Role.OUTLET_SUPERVISOR, org_unit=self.outlet)
        self.residential = CustomerCategoryFactory("residential", Segment.RESIDENTIAL)
        self.commercial = CustomerCategoryFactory("commercial", Segment.COMMERCIAL)
        self.customer = CustomerFactory(outlet=self.outlet, category=self.residential)
        self.restaurant = CustomerFactory(outlet=self.outlet, category=self.commercial)
        self.far_customer = CustomerFactory(outlet=self.far_outlet, category=self.residential)


def staff(*, username, role, org_unit):
    user = get_user_model().objects.create(username=username, first_name=username.title())
    StaffProfile.objects.update_or_create(user=user, defaults={"role": role, "org_unit": org_unit})
    return type(user).objects.select_related("staff_profile__org_unit").get(pk=user.pk)


def CustomerCategoryFactory(code, segment):  # noqa: N802 - reads like the other factories
    return CustomerCategory.objects.get_or_create(code=code, defaults={"name": code, "segment": segment})[0]


def service(code) -> ServiceType:
    return ServiceType.objects.select_related("calendar", "escalation_policy").get(code=code)


def make_ticket(org, *, code="RPR-RES", now, customer=None, actor=None, **kwargs):
    kwargs.setdefault("channel", Channel.WEB)  # taken at the desk it would be accepted at once
    kwargs.setdefault("description", "灶具打不着火")
    return services.create_ticket(
        service_type=service(code),
        customer=customer or org.customer,
        actor=actor or org.clerk,
        now=now,
        **kwargs,
    )
