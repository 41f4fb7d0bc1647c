"""The formulas of satisfaction.md as selectors, against figures computed by hand."""

import datetime
from decimal import Decimal

import pytest

from accounts.models import Role
from satisfaction import selectors, services
from satisfaction.models import Survey, SurveyRule
from tests.factories import CustomerFactory
from tests.tickets.factories import staff

from .factories import MON, closed_case, survey_of

APRIL = MON.replace(month=4, day=7)
BLANK = {
    "T1": None,
    "T2": None,
    "R1": None,
    "R2": None,
    "S1": None,
    "S2": None,
    "A1": None,
    "A2": None,
    "E1": None,
    "E2": None,
}


@pytest.fixture
def cases(org):
    """Nine closed cases, each of another customer (hand-computed figures in the test docstrings).

    Branch BR01, outlet OUT01: A (OV 5, solved, T1 5, T2 4), B (OV 4, solved, T1 3), C (OV 2, not solved,
    T1 1, T2 2: a recovery), D unreachable, E refused, F pending, G not due.
    Branch BR01, outlet OUT02: H (OV 3, solved, T1 4). Branch BR02: I (OV 5, solved, T1 5), in April.
    """
    SurveyRule.objects.exclude(service_type__category="follow_up").update(share_percent=100)
    made = {}
    handlers = {
        org.outlet: org.tech,
        org.outlet2: staff(username="tech2", role=Role.TECHNICIAN, org_unit=org.outlet2),
        org.far_outlet: org.far_tech,
    }
    plan = [
        ("A", org.outlet, MON),
        ("B", org.outlet, MON),
        ("C", org.outlet, MON),
        ("D", org.outlet, MON),
        ("E", org.outlet, MON),
        ("F", org.outlet, MON),
        ("G", org.outlet, MON),
        ("H", org.outlet2, MON),
        ("I", org.far_outlet, APRIL),
    ]
    for name, outlet, when in plan:
        customer = CustomerFactory(outlet=outlet, category=org.residential)
        made[name] = survey_of(closed_case(org, customer=customer, now=when, handler=handlers[outlet]))
    answers = {
        "A": (5, True, {"T1": 5, "T2": 4}),
        "B": (4, True, {"T1": 3}),
        "C": (2, False, {"T1": 1, "T2": 2}),
        "H": (3, True, {"T1": 4}),
        "I": (5, True, {"T1": 5}),
    }
    for name, (overall, solved, scores) in answers.items():
        services.answer_survey(
            survey=made[name],
            scores={**BLANK, **scores},
            overall=overall,
            is_solved=solved,
            now=made[name].case_closed_at,
        )
    Survey.objects.filter(pk=made["D"].pk).update(state="unreachable")
    Survey.objects.filter(pk=made["E"].pk).update(state="refused")
    Survey.objects.filter(pk=made["G"].pk).update(state="not_due", exclusion="not_sampled")
    return made


def test_branch_figures_match_the_hand_computed_ones(org, cases):
    """Closed 8, due 7 (G not due), with an outcome 6 (A B C D E H), answered 4 (A B C H), satisfied 2 (A B).

    satisfaction 2/4 = 50.0%; callback 6/7 = 85.7%; valid answers 4/7 = 57.1%; first-time fix 3/4 = 75.0%;
    tangibles (5+4+3+1+2+4)/6 = 3.17; reliability: no item answered -> None.
    """
    [row] = selectors.satisfaction_figures(scope=org.branch, start=MON.date(), end=MON.date())
    assert (
        row["closed"],
        row["due"],
        row["with_outcome"],
        row["answered"],
        row["satisfied"],
        row["solved"],
    ) == (8, 7, 6, 4, 2, 3)
    assert row["satisfaction_rate"] == Decimal("50.0")
    assert row["callback_rate"] == Decimal("85.7")
    assert row["valid_rate"] == Decimal("57.1")
    assert row["first_fix_rate"] == Decimal("75.0")
    assert row["meets_target"] is False
    assert row["scores"]["tangibles"] == Decimal("3.17")
    assert row["scores"]["reliability"] is None


def test_per_outlet_and_per_month(org, cases):
    """OUT01: answered 3 (A B C), satisfied 2 -> 66.7%; OUT02: answered 1 (H, OV 3) -> 0.0%."""
    rows = selectors.satisfaction_figures(
        scope=org.branch, start=MON.date(), end=MON.date(), group_by="outlet"
    )
    assert [(r["key"], r["label"], r["answered"], r["satisfaction_rate"]) for r in rows] == [
        ("OUT01", "解放碑营业厅", 3, Decimal("66.7")),
        ("OUT02", "较场口营业厅", 1, Decimal("0.0")),
    ]
    months = selectors.satisfaction_figures(start=MON.date(), end=APRIL.date(), group_by="month")
    assert [(r["key"], r["answered"], r["satisfaction_rate"]) for r in months] == [
        ("2026-03", 4, Decimal("50.0")),
        ("2026-04", 1, Decimal("100.0")),
    ]
    branches = selectors.satisfaction_figures(start=MON.date(), end=APRIL.date(), group_by="branch")
    assert [(r["key"], r["closed"]) for r in branches] == [("BR01", 8), ("BR02", 1)]


def test_handler_and_service_type_groups(org, cases):
    rows = selectors.satisfaction_figures(
        scope=org.branch, start=MON.date(), end=MON.date(), group_by="handler"
    )
    assert [(r["key"], r["label"], r["answered"]) for r in rows] == [
        ("tech", "Tech", 3),
        ("tech2", "Tech2", 1),
    ]
    rows = selectors.satisfaction_figures(
        scope=org.branch, start=MON.date(), end=MON.date(), group_by="service_type"
    )
    assert [(r["key"], r["closed"]) for r in rows] == [("RPR-RES", 8)]


def test_worst_items_lowest_mean_first(org, cases):
    """T2: (4+2)/2 = 3.00; T1: (5+3+1+4)/4 = 3.25; items nobody answered are left out."""
    items = selectors.worst_items(scope=org.branch, start=MON.date(), end=MON.date())
    assert [(i["code"], i["score"], i["answers"]) for i in items] == [
        ("T2", Decimal("3.00"), 2),
        ("T1", Decimal("3.25"), 4),
    ]


def test_recovery_success_is_kept_apart(org, cases):
    """C opened a recovery; closed with the customer now satisfied -> 1/1 = 100.0%; satisfaction stays 50%."""
    [before] = selectors.recovery_figures(scope=org.branch, start=MON.date(), end=MON.date())
    assert (before["opened"], before["closed"], before["success_rate"]) == (1, 0, None)
    services.close_recovery(
        recovery=cases["C"].recovery,
        action_taken="上门道歉",
        is_customer_satisfied=True,
        actor=org.supervisor,
        now=MON + datetime.timedelta(hours=4),
    )
    [after] = selectors.recovery_figures(scope=org.branch, start=MON.date(), end=MON.date())
    assert (after["opened"], after["closed"], after["succeeded"], after["success_rate"]) == (
        1,
        1,
        1,
        Decimal("100.0"),
    )
    [row] = selectors.satisfaction_figures(scope=org.branch, start=MON.date(), end=MON.date())
    assert row["satisfaction_rate"] == Decimal("50.0")


def test_figures_follow_what_the_viewer_may_see(org, cases):
    [mine] = selectors.satisfaction_figures(user=org.supervisor, start=MON.date(), end=APRIL.date())
    assert mine["closed"] == 7  # OUT01 only: the supervisor's subtree
    [everything] = selectors.satisfaction_figures(user=org.agent, start=MON.date(), end=APRIL.date())
    assert everything["closed"] == 9


def test_drill_down_gives_the_answers_behind_a_figure(org, cases):
    unhappy = selectors.answers_behind(
        user=org.agent,
        scope=org.branch,
        start=MON.date(),
        end=MON.date(),
        group_by="outlet",
        key="OUT01",
        state="unsatisfied",
    )
    assert [s.pk for s in unhappy] == [cases["C"].pk]
    due = selectors.answers_behind(
        user=org.agent, start=MON.date(), end=APRIL.date(), group_by="month", key="2026-04", state="due"
    )
    assert [s.pk for s in due] == [cases["I"].pk]
    assert list(selectors.answers_behind(user=org.agent, group_by="month", key="April")) == []


def test_no_answers_means_no_rate_not_zero(org):
    [row] = selectors.satisfaction_figures(scope=org.branch, start=MON.date(), end=MON.date())
    assert row["satisfaction_rate"] is None and row["callback_rate"] is None and row["closed"] == 0


def test_the_figures_page_reads_the_same_figures_as_the_selectors(org, cases):
    """The page's one pass (total = sum of the groups) gives what each selector gives alone."""
    common = {"user": org.agent, "scope": org.branch, "start": MON.date(), "end": APRIL.date()}
    page = selectors.figures_page(**common, group_by="outlet")
    assert page["total"] == selectors.satisfaction_figures(**common)[0]
    assert page["rows"] == selectors.satisfaction_figures(**common, group_by="outlet")
    assert page["recovery_total"] == selectors.recovery_figures(**common)[0]
    assert list(page["recovery_rows"].values()) == selectors.recovery_figures(**common, group_by="outlet")
    assert page["worst"] == selectors.worst_items(**common)
    assert page["total"]["answered"] == 4 and page["total"]["scores"]["tangibles"] == Decimal("3.17")


def test_worst_items_count_the_answers_of_the_period_only(org, cases):
    """I (T1 5) closed in April: with it, T1 is (5+3+1+4+5)/5 = 3.60; March alone keeps 3.25."""
    april = selectors.worst_items(start=MON.date(), end=APRIL.date())
    assert [(i["code"], i["score"], i["answers"]) for i in april] == [
        ("T2", Decimal("3.00"), 2),
        ("T1", Decimal("3.60"), 5),
    ]
    assert selectors.worst_items(user=org.supervisor, start=APRIL.date(), end=APRIL.date()) == []
