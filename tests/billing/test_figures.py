"""The billing app's figures: disputes opened, closed, upheld and on hold, adjustments, by unit and month."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.utils import timezone

from accounts.roles import Role
from billing import selectors, services
from billing.models import DisputeKind
from tests.tickets.factories import staff

from .factories import WORKED_READINGS, bills_from, meter

TZ = timezone.get_current_timezone()
NOW = dt.datetime(2027, 3, 10, 10, 0, tzinfo=TZ)
START, END = dt.datetime(2027, 3, 1, tzinfo=TZ), dt.datetime(2027, 4, 1, tzinfo=TZ)


def _register(org, customer, bills, kind, *, now=NOW, actor=None):
    return services.register_dispute(
        customer=customer,
        kind=kind,
        bills=bills,
        description="账单有误",
        channel="service_hall",
        actor=actor or org.clerk,
        now=now,
    )


@pytest.fixture
def manager(org):
    return staff(username="centremgr", role=Role.CENTRE_MANAGER, org_unit=org.centre)


@pytest.fixture
def disputes(org):
    """One estimate dispute re-billed (-152.68), applied and closed two days later; one still open;
    one in another branch's outlet."""
    bills, _readings = bills_from(meter(org.customer), WORKED_READINGS)
    upheld = _register(org, org.customer, [bills[2]], DisputeKind.ESTIMATE)
    services.record_reread(
        dispute=upheld, read_on=dt.date(2027, 1, 12), value_m3="2320", actor=org.clerk, now=NOW
    )
    adjustment = services.propose_adjustment(dispute=upheld, actor=org.clerk, now=NOW)
    services.approve_adjustment(adjustment=adjustment, actor=org.supervisor, now=NOW)
    services.apply_adjustment(adjustment=adjustment, actor=org.supervisor, now=NOW)
    services.inform_customer(
        dispute=upheld, channel="sms", actor=org.clerk, now=NOW + dt.timedelta(days=2, hours=12)
    )
    _register(org, org.customer, [bills[1]], DisputeKind.TARIFF)
    far_bills, _ = bills_from(meter(org.far_customer), WORKED_READINGS[:2])
    _register(org, org.far_customer, far_bills, DisputeKind.METER_FAULT, actor=org.agent)
    return upheld


def test_a_managers_figures_count_opened_closed_upheld_on_hold_and_adjustments(org, manager, disputes):
    figures = selectors.dispute_figures(manager, start=START, end=END)
    assert (figures["opened"], figures["closed"], figures["upheld"], figures["on_hold"]) == (3, 1, 1, 2)
    assert figures["upheld_share"] == 100.0
    assert figures["median_days_to_close"] == 2.5
    assert figures["adjustments"] == {
        "proposed": {"count": 1, "amount": D("-152.68")},
        "approved": {"count": 1, "amount": D("-152.68")},
        "applied": {"count": 1, "amount": D("-152.68")},
    }
    assert sorted((r["kind"], r["opened"], r["closed"]) for r in figures["by_kind"]) == [
        ("estimate", 1, 1),
        ("meter_fault", 1, 0),
        ("tariff", 1, 0),
    ]
    assert [(r["unit"].code, r["opened"], r["on_hold"]) for r in figures["by_branch"]] == [
        ("BR01", 2, 1),
        ("BR02", 1, 1),
    ]
    assert [(r["month"].strftime("%Y-%m"), r["opened"], r["closed"]) for r in figures["by_month"]] == [
        ("2027-03", 3, 1)
    ]


def test_an_outlet_supervisor_sees_only_the_outlets_disputes_and_a_unit_narrows_the_scope(
    org, manager, disputes
):
    mine = selectors.dispute_figures(org.supervisor, start=START, end=END)
    assert (mine["opened"], mine["on_hold"]) == (2, 1)
    assert [r["unit"].code for r in mine["by_outlet"]] == ["OUT01"]
    far = selectors.dispute_figures(manager, start=START, end=END, unit=org.branch2)
    assert (far["opened"], far["closed"], far["adjustments"]["applied"]["count"]) == (1, 0, 0)


def test_a_period_before_the_disputes_counts_nothing_and_gives_no_shares(org, manager, disputes):
    figures = selectors.dispute_figures(manager, start=START - dt.timedelta(days=60), end=START)
    assert (figures["opened"], figures["closed"], figures["on_hold"]) == (0, 0, 0)
    assert figures["upheld_share"] is None and figures["median_days_to_close"] is None


def test_the_reports_api_gives_the_billing_figures_to_managers_only(org, manager, disputes, api_client):
    api_client.force_authenticate(manager)
    body = api_client.get("/api/v1/reports/billing/", {"from": "2027-03-01", "to": "2027-03-31"}).json()
    assert (body["opened"], body["closed"], body["upheld_share"], body["on_hold"]) == (3, 1, 100.0, 2)
    assert body["adjustments"]["applied"] == {"count": 1, "amount": "-152.68"}
    assert [(r["unit"], r["opened"]) for r in body["by_branch"]] == [("BR01", 2), ("BR02", 1)]
    assert body["by_month"] == [{"month": "2027-03", "opened": 3, "closed": 1}]
    one_branch = api_client.get(
        "/api/v1/reports/billing/", {"from": "2027-03-01", "to": "2027-03-31", "unit": "BR02"}
    ).json()
    assert one_branch["opened"] == 1
    api_client.force_authenticate(org.clerk)
    response = api_client.get("/api/v1/reports/billing/", {"from": "2027-03-01", "to": "2027-03-31"})
    assert response.status_code == 403


def test_the_dashboard_shows_the_billing_figures_panel(org, disputes, client):
    client.force_login(org.supervisor)
    page = client.get("/dashboards/", {"period": "range", "start": "2027-03-01", "end": "2027-03-31"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Disputes and adjustments in the period" in text
    assert "-152.68" in text
