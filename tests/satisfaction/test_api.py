"""The read-only API: /api/v1/surveys/ (with figures), /api/v1/recoveries/, in the OpenAPI schema."""

import pytest

from accounts.models import Role
from satisfaction import services
from satisfaction.models import SurveyRule
from tests.tickets.factories import staff

from .factories import GOOD, MON, closed_case, survey_of


@pytest.fixture(autouse=True)
def every_case(db):
    SurveyRule.objects.exclude(service_type__category="follow_up").update(share_percent=100)


@pytest.fixture
def answered(org):
    survey = survey_of(closed_case(org))
    services.answer_survey(survey=survey, scores={**GOOD, "T1": 1}, overall=2, is_solved=False, now=MON)
    return survey


def test_survey_list_and_detail_by_case_reference(api_client, org, answered):
    api_client.force_authenticate(org.supervisor)
    rows = api_client.get("/api/v1/surveys/").json()["results"]
    assert [r["reference"] for r in rows] == [answered.ticket.reference]
    row = rows[0]
    assert row["phone"] == org.customer.mobile[:3] + "****" + org.customer.mobile[-4:]
    assert (row["state"], row["method"], row["org_unit"], row["handler"]) == (
        "answered",
        "sms",
        "OUT01",
        "tech",
    )
    assert row["answer"]["overall"] == 2 and row["answer"]["scores"]["T1"] == 1
    assert row["answer"]["is_solved"] is False
    assert row["recovery"] == answered.recovery.ticket.reference
    detail = api_client.get(f"/api/v1/surveys/{answered.ticket.reference}/")
    assert detail.status_code == 200 and detail.json()["reference"] == answered.ticket.reference


def test_survey_filters(api_client, org, answered):
    api_client.force_authenticate(org.agent)
    assert api_client.get("/api/v1/surveys/", {"state": "pending"}).json()["count"] == 0
    assert (
        api_client.get("/api/v1/surveys/", {"unit": "BR01", "closed_from": "2026-03-02"}).json()["count"] == 1
    )
    assert api_client.get("/api/v1/surveys/", {"unit": "BR02"}).json()["count"] == 0
    bad = api_client.get("/api/v1/surveys/", {"state": "happy"})
    assert bad.status_code == 400 and "state" in bad.json()


def test_recoveries(api_client, org, answered):
    api_client.force_authenticate(org.supervisor)
    [row] = api_client.get("/api/v1/recoveries/").json()["results"]
    assert row["original"] == answered.ticket.reference and row["assignee"] == "supervisor"
    assert (
        row["reasons"] == ["overall_low", "item_at_1", "not_solved"] and row["is_customer_satisfied"] is None
    )
    assert api_client.get("/api/v1/recoveries/", {"is_open": "false"}).json()["count"] == 0


def test_figures(api_client, org, answered):
    api_client.force_authenticate(org.supervisor)
    data = api_client.get(
        "/api/v1/surveys/figures/", {"start": "2026-03-01", "end": "2026-03-31", "group_by": "outlet"}
    ).json()
    assert data["target"] == 90
    assert data["total"]["answered"] == 1 and data["total"]["satisfaction_rate"] == "0.0"
    assert [r["key"] for r in data["rows"]] == ["OUT01"]
    bad = api_client.get("/api/v1/surveys/figures/", {"start": "March", "group_by": "planet", "unit": "BR02"})
    assert bad.status_code == 400
    assert set(bad.json()) == {"start", "group_by", "unit"}


def test_outsiders_and_technicians(api_client, org, answered):
    outsider = staff(username="far_desk", role=Role.FRONT_DESK, org_unit=org.far_outlet)
    api_client.force_authenticate(outsider)
    assert api_client.get("/api/v1/surveys/").json()["count"] == 0
    assert api_client.get(f"/api/v1/surveys/{answered.ticket.reference}/").status_code == 404
    assert api_client.get("/api/v1/recoveries/").json()["count"] == 0
    api_client.force_authenticate(org.tech)
    assert api_client.get("/api/v1/surveys/").status_code == 403
    api_client.force_authenticate(None)
    assert api_client.get("/api/v1/recoveries/").status_code in (401, 403)


def test_read_only(api_client, org, answered):
    api_client.force_authenticate(org.supervisor)
    assert api_client.post("/api/v1/surveys/", {}).status_code == 405
    assert api_client.delete(f"/api/v1/surveys/{answered.ticket.reference}/").status_code == 405


def test_in_the_schema(api_client):
    schema = api_client.get("/api/schema/", {"format": "json"}).json()
    for path in (
        "/api/v1/surveys/",
        "/api/v1/surveys/{reference}/",
        "/api/v1/surveys/figures/",
        "/api/v1/recoveries/",
        "/api/v1/recoveries/{reference}/",
    ):
        assert path in schema["paths"], path
