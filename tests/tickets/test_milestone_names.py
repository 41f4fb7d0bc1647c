"""Milestone names in the reader's language: ticket page, receipt, API, and the backfill of old rows."""

import importlib

import pytest
import time_machine
from django.apps import apps
from django.urls import reverse

from tickets.models import Milestone

from .factories import at, make_ticket

pytestmark = pytest.mark.django_db

NOW = at(2026, 3, 2, 10, 0)


@pytest.fixture(autouse=True)
def clock(settings):
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def ticket(org):
    return make_ticket(org, code="RPR-RES", now=NOW)


def test_new_milestones_carry_the_standards_english_name(ticket):
    names = {m.code: (m.name, m.name_en) for m in ticket.milestones.all()}
    assert names == {
        "contact": ("联系客户", "Customer contacted"),
        "arrive": ("到达现场", "On site"),
        "repair": ("维修完成", "Repaired"),
    }


@pytest.mark.parametrize(
    ("language", "shown", "hidden"),
    [
        ("en", ["Customer contacted", "On site", "Repaired"], ["联系客户", "到达现场"]),
        ("zh-hans", ["联系客户", "到达现场", "维修完成"], ["Customer contacted", "On site"]),
    ],
)
@pytest.mark.parametrize("page", ["tickets:detail", "tickets:receipt"])
def test_ticket_page_and_receipt_name_milestones_in_the_page_language(
    client, org, ticket, page, language, shown, hidden
):
    client.force_login(org.clerk)
    html = client.get(reverse(page, args=[ticket.reference]), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    for text in shown:
        assert text in html
    for text in hidden:
        assert f">{text}<" not in html


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["Customer contacted", "On site", "Repaired"]),
        ("zh-hans", ["联系客户", "到达现场", "维修完成"]),
    ],
)
def test_api_names_milestones_in_the_request_language(api_client, org, ticket, language, expected):
    api_client.force_authenticate(org.clerk)
    body = api_client.get(f"/api/v1/tickets/{ticket.reference}/", HTTP_ACCEPT_LANGUAGE=language).json()
    assert [m["name"] for m in body["milestones"]] == expected


def test_migration_backfills_english_names_of_existing_milestones(ticket):
    Milestone.objects.filter(ticket=ticket).update(name_en="")
    migration = importlib.import_module("tickets.migrations.0005_milestone_name_en")

    migration.copy_english_names(apps, None)

    assert dict(Milestone.objects.filter(ticket=ticket).values_list("code", "name_en")) == {
        "contact": "Customer contacted",
        "arrive": "On site",
        "repair": "Repaired",
    }
