"""Helpers for the tickets tests: tickets made by the services (the organisation and its staff come
from the one builder in tests.factories, re-exported here)."""

import datetime
from zoneinfo import ZoneInfo

from accounts.models import CustomerCategory
from tests.factories import CustomerFactory, Org, OrgUnitFactory
from tests.factories import make_staff as staff
from tickets import services
from tickets.models import Channel, ServiceType

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args) -> datetime.datetime:
    """at(2026, 3, 2, 9, 0) -> an aware Asia/Shanghai datetime."""
    return datetime.datetime(*args, tzinfo=SHANGHAI)


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


__all__ = [
    "CustomerCategoryFactory",
    "CustomerFactory",
    "Org",
    "OrgUnitFactory",
    "at",
    "make_ticket",
    "service",
    "staff",
]
