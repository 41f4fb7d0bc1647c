"""The ticket API shows the escalation history and the complaint file's summary without N+1."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from tests.complaints.factories import file as file_complaint
from tickets.sweep import sweep_due_milestones

from .factories import at, make_ticket

pytestmark = pytest.mark.django_db

NOW = at(2026, 3, 2, 10, 0)  # Monday
URL = "/api/v1/tickets/"
OVERDUE = datetime.timedelta(days=6)  # ACC-SVC (1 working day) received the Tuesday before


@pytest.fixture(autouse=True)
def clock(settings):
    with time_machine.travel(NOW, tick=False), translation.override("en"):
        yield


@pytest.fixture
def agent_client(api_client, org):
    api_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    api_client.force_authenticate(org.agent)
    return api_client


def add_mix(org, count, *, offset=0):
    """`count` tickets: a third plain, a third complaints (with their file), a third overdue and swept."""
    for n in range(offset, offset + count):
        moment = NOW - datetime.timedelta(minutes=n + 1)
        if n % 3 == 0:
            make_ticket(org, now=moment)
        elif n % 3 == 1:
            file_complaint(org, now=moment, complainant_phone=f"1390000{n:04d}")
        else:
            make_ticket(org, code="ACC-SVC", now=moment, received_at=moment - OVERDUE)
    sweep_due_milestones(now=NOW)


def list_page(client):
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(f"{URL}?scope=all&limit=50")
    assert r.status_code == 200, r.content
    return len(ctx.captured_queries), r.json()["results"]


def test_list_query_count_does_not_grow_with_complaints_and_escalations(agent_client, org):
    add_mix(org, 5)
    five_queries, five = list_page(agent_client)
    add_mix(org, 25, offset=5)
    thirty_queries, thirty = list_page(agent_client)

    assert len(five) == 5 and len(thirty) == 30
    assert sum("complaint" in row.get("extra", {}) for row in thirty) == 10
    assert sum(bool(row["escalations"]) for row in thirty) >= 10  # the overdue ones, maybe a complaint
    assert five_queries == thirty_queries


def test_detail_and_list_show_the_escalation_history(agent_client, org):
    ticket = make_ticket(org, code="ACC-SVC", now=NOW, received_at=NOW - OVERDUE)
    sweep_due_milestones(now=NOW)

    detail = agent_client.get(f"{URL}{ticket.reference}/").json()
    listed = next(
        row
        for row in agent_client.get(f"{URL}?scope=all").json()["results"]
        if row["reference"] == ticket.reference
    )

    assert detail["escalation_level"] == 3
    assert [(e["level"], e["level_display"], e["milestone"]) for e in detail["escalations"]] == [
        (0, "Warning to handler", "complete"),
        (1, "Outlet supervisor", "complete"),
        (2, "Branch manager", "complete"),
        (3, "Group service centre", "complete"),
    ]
    first = detail["escalations"][0]
    assert first["at"] == "2026-03-02T10:00:00+08:00"
    assert first["due_at"] == detail["milestones"][0]["due_at"]
    assert listed["escalations"] == detail["escalations"]


def test_detail_of_a_complaint_carries_its_file_summary(agent_client, org):
    complaint = file_complaint(org, now=NOW)
    body = agent_client.get(f"{URL}{complaint.ticket.reference}/").json()
    assert body["extra"]["complaint"]["category"] == "billing"
    assert body["escalations"] == []
