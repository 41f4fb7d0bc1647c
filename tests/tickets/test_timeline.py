"""The timeline reads in the reader's language: full names, unit names and milestone names, never
usernames or codes."""

import pytest
from django.test import Client

from accounts.models import Role
from tickets import services

from .factories import Org, at, make_ticket, staff

pytestmark = pytest.mark.django_db

MON = at(2026, 3, 2, 9, 0)


@pytest.fixture
def org():
    org = Org()
    org.tech.first_name, org.tech.last_name = "张强", ""
    org.tech.save()
    staff(username="supervisor2", role=Role.OUTLET_SUPERVISOR, org_unit=org.outlet2)
    return org


def timeline_of(org, ticket, language):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(org.agent)  # the case has left the supervisor's outlet
    page = client.get(f"/tickets/{ticket.reference}/").content.decode()
    return page[page.index('id="timeline-heading"') :]


@pytest.mark.parametrize(
    "language, expected",
    [
        (
            "en",
            [
                "Unassigned",
                "Accepted",
                "Survey and design met at 2026-03-02 10:00",
                "解放碑营业厅 → 较场口营业厅",
                "nobody → 张强",
                "Web · to 解放碑营业厅",
            ],
        ),
        (
            "zh-hans",
            [
                "已受理",
                "勘察设计 于 2026-03-02 10:00 完成",
                "解放碑营业厅 → 较场口营业厅",
                "无人 → 张强",
                "网站 · 派至解放碑营业厅",
            ],
        ),
    ],
)
def test_timeline_names_people_units_and_milestones_in_the_readers_language(org, language, expected):
    ticket = make_ticket(org, code="INS-RES", now=MON)
    services.accept_ticket(ticket=ticket, actor=org.clerk, now=MON)
    services.assign_ticket(ticket=ticket, assignee=org.tech, actor=org.supervisor, now=MON)
    services.meet_milestone(ticket=ticket, code="survey_design", actor=org.tech, now=at(2026, 3, 2, 10, 0))
    services.transfer_ticket(
        ticket=ticket, to_unit=org.outlet2, reason="按地址", actor=org.supervisor, now=at(2026, 3, 2, 11, 0)
    )
    timeline = timeline_of(org, ticket, language)
    for text in expected[1:] if language == "en" else expected:
        assert text in timeline, text
    assert "survey_design" not in timeline and "→ tech<" not in timeline and "OUT02" not in timeline


def test_a_step_no_app_registered_is_refused(org):
    ticket = make_ticket(org, code="INS-RES", now=MON)
    with pytest.raises(ValueError, match="No timeline step 'billing.typo'"):
        services.record_step(ticket=ticket, step="billing.typo", actor=org.clerk, now=MON)
    assert not ticket.events.filter(data__step="billing.typo").exists()
