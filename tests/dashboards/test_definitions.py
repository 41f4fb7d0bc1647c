"""Every definition against hand-built deadlines, and the drill-down: the queue lists the same count.

Period November 2026, now 2026-11-20 10:00 (Beijing); working hours Mon-Fri 08:30-12:00, 13:30-17:30.
"""

import datetime as dt
from functools import partial

import pytest
import time_machine

from dashboards import selectors
from dashboards.figures import STEPS, step_of
from tests.tickets.factories import at
from tickets import selectors as ticket_selectors
from tickets.models import Status

from .conftest import NOW, deadline

NOVEMBER = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))


@pytest.fixture
def cases(org):
    return {
        "met on time": deadline(org, due_at=at(2026, 11, 10, 17, 30), met_at=at(2026, 11, 10, 9, 0)),
        "met late": deadline(org, due_at=at(2026, 11, 10, 17, 30), met_at=at(2026, 11, 12, 10, 0)),
        "breached open": deadline(org, due_at=at(2026, 11, 15, 17, 30)),
        "pending": deadline(org, due_at=at(2026, 11, 25, 17, 30)),
        "paused before its deadline passed: clock stands still": deadline(
            org, due_at=at(2026, 11, 18, 17, 30), paused_at=at(2026, 11, 14, 9, 0)
        ),
        "paused after its deadline passed: breached": deadline(
            org, due_at=at(2026, 11, 17, 17, 30), paused_at=at(2026, 11, 19, 9, 0)
        ),
        "last instant of the period: in it, pending": deadline(org, due_at=at(2026, 11, 30, 23, 59, 59)),
        "midnight after the period: outside": deadline(
            org, due_at=at(2026, 12, 1, 0, 0), met_at=at(2026, 11, 2)
        ),
        "before the period: outside": deadline(org, due_at=at(2026, 10, 31, 23, 59), met_at=at(2026, 11, 2)),
        "cancelled case: not judged": deadline(org, due_at=at(2026, 11, 5, 17, 30), status=Status.CANCELLED),
        "another branch: outside the supervisor's scope": deadline(
            org, due_at=at(2026, 11, 6, 17, 30), org_unit=org.far_outlet
        ),
    }


def figures(user, **kwargs):
    rows = selectors.sla_rows(
        user, start=NOVEMBER[0], end=NOVEMBER[1], now=NOW, with_durations=True, **kwargs
    )
    return selectors.total(rows)


def test_each_outcome_by_the_stated_definitions(org, cases):
    tally = figures(org.supervisor)
    assert (tally.met_on_time, tally.met_late, tally.breached_open, tally.pending) == (1, 1, 2, 3)
    assert tally.counted == 4
    assert str(tally.on_time_rate) == "25.0"


def test_time_taken_and_lateness_in_working_hours(org, cases):
    """On time: met 7 working hours before the 8-hour deadline -> 1 h taken; late: 9 working hours
    after (all of Wednesday 7.5 h + 1.5 h Thursday morning) -> 17 h taken, 9 h late, read on the
    scale's steps: 17 h at the 20 h step, 9 h at the 10 h step."""
    [durations] = figures(org.supervisor).durations()
    assert durations == {
        "unit": "working_hours",
        "met": 2,
        "taken_median": 1.0,
        "taken_p90": 20.0,
        "late_median": 10.0,
    }


@pytest.mark.parametrize(
    "duration, step",
    [
        (0, 0.0),
        (0.04, 0.0),  # under half a tenth: zero
        (0.05, 0.1),  # tenths, half up
        (0.7, 0.7),
        (0.8, 1.0),
        (1.0, 1.0),
        (1.01, 1.0),  # 1.0 in tenths
        (1.06, 1.5),
        (17, 20.0),
        (7000, 7000.0),
        (123456, 10000.0),  # beyond the last step: at the last
    ],
)
def test_a_duration_counts_at_the_first_step_at_or_above_it(duration, step):
    assert STEPS[step_of(duration)] / 10 == step


def test_working_days_are_counted_as_a_deadline_counts_them(org):
    """Due Tuesday 10th close of business, met Friday 13th: 3 working days late; 2 allowed -> 5 taken."""
    deadline(
        org, due_at=at(2026, 11, 10, 17, 30), met_at=at(2026, 11, 13, 9, 0), unit="working_days", amount=2
    )
    [durations] = figures(org.supervisor).durations()
    assert (durations["unit"], durations["taken_median"], durations["late_median"]) == (
        "working_days",
        5.0,
        3.0,
    )


def test_the_centre_sees_every_branch_and_compares_branches(org, cases):
    rows = selectors.sla_rows(
        org.centre_manager, start=NOVEMBER[0], end=NOVEMBER[1], now=NOW, group_by=("branch",)
    )
    assert [(r.names[0], r.tally.counted) for r in rows] == [("江北分公司", 1), ("渝中分公司", 4)]


def test_front_desk_sees_only_the_cases_they_handle(org, cases):
    deadline(org, due_at=at(2026, 11, 9, 17, 30), met_at=at(2026, 11, 9, 9, 0), assignee=org.clerk)
    tally = figures(org.clerk)
    assert (tally.counted, tally.met_on_time) == (1, 1)


@pytest.mark.parametrize(
    "outcome, expected",
    [("counted", 4), ("met_on_time", 1), ("met_late", 1), ("breached_open", 2), ("pending", 3)],
)
def test_the_drill_down_lists_the_same_count(org, cases, client, outcome, expected):
    client.force_login(org.supervisor)
    rows = selectors.sla_rows(
        org.supervisor, start=NOVEMBER[0], end=NOVEMBER[1], now=NOW, group_by=("outlet",)
    )
    [row] = rows
    params = selectors.drill_params(
        start=NOVEMBER[0],
        end=NOVEMBER[1],
        unit=None,
        group_by=("outlet",),
        codes=row.codes,
        user=org.supervisor,
    )
    assert getattr(row.tally, outcome) == expected
    with time_machine.travel(NOW, tick=False):
        response = client.get("/tickets/", {**params, "outcome": outcome})
    assert response.status_code == 200
    assert response.context["deadline_count"] == expected
    assert len(response.context["tickets"]) == expected
    assert f"{expected} deadline" in response.content.decode()


@pytest.mark.parametrize("outcome, expected", [("counted", 4), ("breached_open", 2), ("pending", 3)])
def test_the_queue_counts_a_figure_alike_with_or_without_its_own_filters(org, cases, outcome, expected):
    """A drill-down is counted on the deadlines alone; with a filter of the queue's own (here every
    status), on the queue's tickets: the same figure either way."""
    period = {"due_from": NOVEMBER[0], "due_to": NOVEMBER[1], "outcome": outcome}
    count = partial(
        ticket_selectors.period_deadline_count, org.supervisor, scope="all", now=NOW, period=period
    )
    assert count(org_unit=org.outlet.code) == expected
    assert count(org_unit=org.outlet.code, status=list(Status.values)) == expected


def test_the_dashboard_page_states_the_definitions_and_links_each_figure(org, cases, client):
    client.force_login(org.supervisor)
    with time_machine.travel(NOW, tick=False):
        response = client.get("/dashboards/", {"period": "month"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "belongs to the period in which it falls" in body
    assert "outcome=breached_open" in body and "due_from=2026-11-01" in body


def test_supervisors_land_on_the_dashboard_and_the_front_desk_at_home(org, client):
    for user, landing in ((org.branch_manager, "/dashboards/"), (org.clerk, "/")):
        user.set_password("pass-12345")
        user.save(update_fields=["password"])
        response = client.post("/login/", {"username": user.username, "password": "pass-12345"})
        assert response["Location"] == landing
        client.logout()


@pytest.mark.parametrize("by", ["channel", "priority", "handler", "milestone", "service_type"])
def test_the_page_compares_by_any_grouping(org, cases, client, by):
    """Whatever the grouping, the groups' counts add up to the same total, each group named."""
    client.force_login(org.branch_manager)
    with time_machine.travel(NOW, tick=False):
        response = client.get("/dashboards/", {"period": "month", "by": by})
    assert response.status_code == 200
    rows = response.context["units_table"].rows
    assert sum(r["tally"].counted for r in rows) == 4
    assert all(r["names"][0] for r in rows)


def test_a_comparison_without_a_period_shows_this_month_in_the_control(org, cases, client):
    client.force_login(org.branch_manager)
    with time_machine.travel(NOW, tick=False):
        response = client.get("/dashboards/", {"by": "handler"})
    assert (response.context["start"], response.context["end"]) == NOVEMBER
    assert '<option value="month" selected>' in response.content.decode()


@pytest.mark.parametrize("by", ["outlet", "channel", "priority", "handler", "service_type", "milestone"])
def test_the_queue_api_gives_each_figure_s_count(org, cases, api_client, by):
    """The drill-down's filters on /api/v1/tickets/: the deadlines listed are the figure's, row by row."""
    api_client.force_authenticate(org.supervisor)
    rows = selectors.sla_rows(org.supervisor, start=NOVEMBER[0], end=NOVEMBER[1], now=NOW, group_by=(by,))
    totals = {"counted": 4, "met_on_time": 1, "met_late": 1, "breached_open": 2, "pending": 3}
    for outcome, expected in totals.items():
        assert sum(getattr(r.tally, outcome) for r in rows) == expected
        for row in rows:
            params = selectors.drill_params(
                start=NOVEMBER[0],
                end=NOVEMBER[1],
                unit=None,
                group_by=(by,),
                codes=row.codes,
                user=org.supervisor,
            )
            with time_machine.travel(NOW, tick=False):
                body = api_client.get("/api/v1/tickets/", {**params, "outcome": outcome}).json()
            assert body["deadline_count"] == getattr(row.tally, outcome), (outcome, row.codes)
            assert len(body["results"]) == getattr(row.tally, outcome), (outcome, row.codes)


def test_the_queue_api_refuses_half_a_period(org, api_client):
    api_client.force_authenticate(org.supervisor)
    response = api_client.get(
        "/api/v1/tickets/", {"due_from": "2026-11-01", "outcome": "counted"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert response.json()["due_from"] == ["Give both the first and the last day of the period."]
    assert api_client.get("/api/v1/tickets/", {"outcome": "late-ish"}).status_code == 400
