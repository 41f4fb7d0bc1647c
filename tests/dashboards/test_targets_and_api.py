"""Targets cascade (stricter only below the group), scorecards, and the reports API's answers and errors."""

import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from dashboards import services
from dashboards.models import Measure
from tests.tickets.factories import at

from .conftest import NOW, deadline


def set_target(org, *, unit, value, actor, measure=Measure.ON_TIME_RATE):
    return services.set_target(
        measure=measure,
        org_unit=unit,
        value=Decimal(value),
        valid_from=dt.date(2026, 1, 1),
        actor=actor,
        now=NOW,
    )


def test_a_branch_may_set_a_stricter_target_for_its_outlet(org):
    set_target(org, unit=org.centre, value="90", actor=org.centre_manager)
    target = set_target(org, unit=org.outlet, value="95", actor=org.branch_manager)
    found = services.effective_target(
        measure=Measure.ON_TIME_RATE, org_unit=org.outlet, day=dt.date(2026, 11, 1)
    )
    assert found == target
    assert services.effective_target(
        measure=Measure.ON_TIME_RATE, org_unit=org.outlet2, day=dt.date(2026, 11, 1)
    ).value == Decimal("90")


@pytest.mark.parametrize(
    "measure, group, looser",
    [
        (Measure.ON_TIME_RATE, "90", "85"),
        (Measure.COMPLAINTS_PER_10K, "2", "3"),  # fewer complaints is better: a higher ceiling is looser
    ],
)
def test_a_looser_target_is_refused(org, measure, group, looser):
    set_target(org, unit=org.centre, value=group, actor=org.centre_manager, measure=measure)
    with pytest.raises(ValidationError) as error:
        set_target(org, unit=org.outlet, value=looser, actor=org.branch_manager, measure=measure)
    assert "only set a stricter target" in error.value.message_dict["value"][0]
    assert "客服中心" in error.value.message_dict["value"][0]


def test_a_branch_manager_sets_targets_below_the_branch_only(org):
    with pytest.raises(ValidationError) as error:
        set_target(org, unit=org.far_outlet, value="99", actor=org.branch_manager)
    assert error.value.message_dict["org_unit"] == ["A branch sets targets for the outlets below it only."]
    with pytest.raises(ValidationError):
        set_target(org, unit=org.outlet, value="99", actor=org.supervisor)


def test_the_targets_page_shows_the_refusal_on_its_field(org, client):
    set_target(org, unit=org.centre, value="90", actor=org.centre_manager)
    client.force_login(org.branch_manager)
    response = client.post(
        "/dashboards/targets/",
        {
            "measure": "on_time_rate",
            "org_unit": "OUT01",
            "valid_from": "2026-01-01",
            "value": "80",
            "amber_margin": "5",
        },
    )
    assert response.status_code == 400
    assert "only set a stricter target" in response.content.decode()


def test_scorecard_colours_by_the_stated_rule(org, api_client):
    set_target(org, unit=org.centre, value="90", actor=org.centre_manager)
    deadline(org, due_at=at(2026, 11, 10, 17, 30), met_at=at(2026, 11, 10, 9, 0), org_unit=org.outlet)
    deadline(org, due_at=at(2026, 11, 10, 17, 30), org_unit=org.outlet2)
    api_client.force_authenticate(org.branch_manager)
    with time_machine.travel(NOW, tick=False):
        response = api_client.get("/api/v1/reports/targets/", {"from": "2026-11-01", "to": "2026-11-30"})
    assert response.status_code == 200
    units = [(u["unit"], u["rank"], u["colour"], u["scores"][0]["actual"]) for u in response.json()["units"]]
    assert units == [("OUT01", 1, "green", "100.00"), ("OUT02", 2, "red", "0.00")]


def test_sla_report_rows_by_group(org, api_client):
    deadline(org, due_at=at(2026, 11, 10, 17, 30), met_at=at(2026, 11, 12, 10, 0))
    api_client.force_authenticate(org.branch_manager)
    with time_machine.travel(NOW, tick=False):
        response = api_client.get(
            "/api/v1/reports/sla/", {"from": "2026-11-01", "to": "2026-11-30", "group_by": "outlet"}
        )
    body = response.json()
    assert response.status_code == 200
    assert body["from"] == "2026-11-01"
    [row] = body["rows"]
    assert (row["key"], row["counted"], row["met_late"], row["on_time_rate"]) == ("OUT01", 1, 1, "0.0")
    assert row["durations"][0]["late_median"] == 10.0  # 9 working hours late, at the 10 h step


@pytest.mark.parametrize(
    "params, field, message",
    [
        ({"from": "2026-11-30", "to": "2026-11-01"}, "to", "The end of the period is before its start."),
        ({"from": "2020-01-01", "to": "2026-11-01"}, "to", "A period may be at most 3 years long."),
        ({"from": "2026-11-01", "to": "2026-11-30", "group_by": "colour"}, "group_by", None),
        ({"from": "2026-11-01"}, "to", "This field is required."),
        ({"from": "yesterday", "to": "2026-11-30"}, "from", None),
    ],
)
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/reports/sla/",
        "/api/v1/reports/complaints/",
        "/api/v1/reports/targets/",
        "/api/v1/reports/satisfaction/",
    ],
)
def test_bad_input_is_a_field_error(org, api_client, path, params, field, message):
    if "group_by" in params and path not in ("/api/v1/reports/sla/", "/api/v1/reports/satisfaction/"):
        return
    api_client.force_authenticate(org.branch_manager)
    response = api_client.get(path, params)
    assert response.status_code == 400
    errors = response.json()
    assert field in str(errors)
    if message:
        assert message in str(errors)


def test_a_unit_outside_the_scope_is_not_found(org, api_client, client):
    api_client.force_authenticate(org.branch_manager)
    for path in (
        "/api/v1/reports/sla/",
        "/api/v1/reports/targets/",
        "/api/v1/reports/complaints/",
        "/api/v1/reports/satisfaction/",
    ):
        response = api_client.get(path, {"from": "2026-11-01", "to": "2026-11-30", "unit": "OUT03"})
        assert response.status_code == 404, path
    client.force_login(org.branch_manager)
    assert client.get("/dashboards/report/BR02/2026-11/").status_code == 404
    assert client.get("/dashboards/report/BR01/2026-11/").status_code == 200


def test_exports_stream_csv_and_excel(org, client):
    deadline(org, due_at=at(2026, 11, 10, 17, 30), met_at=at(2026, 11, 12, 10, 0))
    client.force_login(org.supervisor)
    query = {"period": "range", "start": "2026-11-01", "end": "2026-11-30"}
    with time_machine.travel(NOW, tick=False):
        csv_response = client.get("/dashboards/export/deadlines.csv", query, HTTP_ACCEPT_LANGUAGE="zh-CN")
        xlsx_response = client.get("/dashboards/export/units.xlsx", query, HTTP_ACCEPT_LANGUAGE="zh-CN")
    lines = b"".join(csv_response.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0] == "编号,单位,业务类型,时限节点,节点名称,到期时间,完成时间,结果"
    assert lines[1].endswith(",超时完成") and len(lines) == 2
    assert xlsx_response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(b"".join(xlsx_response.streaming_content))).active
    header = [cell.value for cell in sheet[1]]
    assert header[:4] == ["编码", sheet["B1"].value, "考核数", "按时完成"] and "counted" not in header


def test_an_english_reader_gets_english_titles_and_the_pages_score_words(org, client):
    set_target(org, unit=org.centre, value="90", actor=org.centre_manager)
    deadline(org, due_at=at(2026, 11, 10, 17, 30), org_unit=org.outlet2)
    client.force_login(org.branch_manager)
    query = {"period": "range", "start": "2026-11-01", "end": "2026-11-30", "by": "outlet"}
    with time_machine.travel(NOW, tick=False):
        english = client.get("/dashboards/export/scorecard.csv", query, HTTP_ACCEPT_LANGUAGE="en")
        chinese = client.get("/dashboards/export/scorecard.csv", query, HTTP_ACCEPT_LANGUAGE="zh-CN")
    lines = b"".join(english.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0] == "Rank,Unit,Measure,Actual figure,Target,Against target"
    assert any(line.endswith(",Red") for line in lines[1:]), lines
    lines = b"".join(chinese.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0].startswith("排名,单位,")
    assert any(line.endswith(",红灯") for line in lines[1:]), lines


def test_satisfaction_report_comes_from_the_satisfaction_app(org, api_client):
    api_client.force_authenticate(org.branch_manager)
    response = api_client.get(
        "/api/v1/reports/satisfaction/", {"from": "2026-11-01", "to": "2026-11-30", "group_by": "outlet"}
    )
    assert response.status_code == 200
    assert response.json() == {"rows": []}
    total = api_client.get("/api/v1/reports/satisfaction/", {"from": "2026-11-01", "to": "2026-11-30"}).json()
    assert total["rows"][0]["closed"] == 0 and total["rows"][0]["satisfaction_rate"] is None


def test_front_desk_gets_no_complaint_or_satisfaction_figures(org, api_client):
    api_client.force_authenticate(org.clerk)
    for path in ("/api/v1/reports/complaints/", "/api/v1/reports/satisfaction/"):
        response = api_client.get(path, {"from": "2026-11-01", "to": "2026-11-30"})
        assert response.status_code == 403, path
