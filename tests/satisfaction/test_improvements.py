"""Improvement actions (PDCA): open with a plan on the deadline engine, mark done, before/after, reopen."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from satisfaction import improvements, measures, services
from satisfaction.models import SurveyRule
from tests.complaints.factories import file as file_complaint
from tests.factories import CustomerFactory
from tickets.models import Status

from .factories import GOOD, MON, closed_case, survey_of

DONE = MON + datetime.timedelta(weeks=4)  # Monday 30 March: the 8 weeks before are 2 Feb - 29 Mar
AFTER_WINDOW_OVER = DONE + datetime.timedelta(weeks=8)  # Monday 25 May


@pytest.fixture(autouse=True)
def every_case(db):
    SurveyRule.objects.exclude(service_type__category="follow_up").update(share_percent=100)


@pytest.fixture
def owned(org):
    """The outlet has a phone on record (the action's ticket calls its owner there)."""
    org.outlet.phone = "023-63800001"
    org.outlet.save()
    return org


def open_action(org, *, target="4.00", measure="dimension_score", subject="reliability", **kwargs):
    values = {
        "problem": "回访中“按约定时间到达”得分低",
        "source": "dimension",
        "source_detail": "reliability",
        "org_unit": org.outlet,
        "owner": org.tech,
        "plan": "每日排班预留机动人员，迟到前主动致电",
        "due_date": datetime.date(2026, 3, 27),
        "measure": measure,
        "measure_subject": subject,
        "target": target,
        "actor": org.supervisor,
        "now": MON,
    }
    values.update(kwargs)
    return improvements.open_improvement(**values)


def answered_case(org, *, when, reliability):
    customer = CustomerFactory(outlet=org.outlet, category=org.residential)
    survey = survey_of(closed_case(org, customer=customer, now=when))
    scores = {**GOOD, "R1": reliability[0], "R2": reliability[1]}
    services.answer_survey(survey=survey, scores=scores, overall=4, is_solved=True, now=when)


def test_an_action_runs_on_the_deadline_engine_for_its_owner(owned):
    action = open_action(owned)
    ticket = action.ticket
    assert ticket.service_type.code == "IMP-ACT" and ticket.assignee == owned.tech
    assert ticket.milestones.get(code="complete").due_at == datetime.datetime(
        2026, 3, 27, 17, 30, tzinfo=MON.tzinfo
    )
    assert ticket.milestones.get(code="complete").warn_at is not None


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"measure_subject": "NOPE"}, "measure_subject", "Give a dimension"),
        ({"target": "7"}, "target", "Give a target from 1 to 5."),
        ({"due_date": datetime.date(2026, 3, 1)}, "due_date", "Choose a due date from today on."),
        ({"source_detail": "happiness"}, "source_detail", "Choose the low-scoring dimension."),
        ({"problem": " "}, "problem", "Describe the problem."),
    ],
    ids=["unknown dimension", "score target above 5", "due yesterday", "unknown source", "no problem"],
)
def test_bad_input_gets_a_field_error(owned, changes, field, message):
    with pytest.raises(ValidationError) as exc:
        open_action(owned, **changes)
    assert message in exc.value.message_dict[field][0]


def test_only_supervisors_open_actions(owned):
    with pytest.raises(ValidationError, match="supervisors and managers"):
        open_action(owned, actor=owned.clerk)


def test_before_and_after_for_the_same_unit_decide_effective(owned):
    """Reliability before (2+2)/2 = 2.00, after (5+4)/2 = 4.50 >= target 4.00: effective."""
    answered_case(owned, when=MON, reliability=(2, 2))
    answered_case(owned, when=DONE + datetime.timedelta(weeks=1), reliability=(5, 4))
    far = CustomerFactory(outlet=owned.far_outlet, category=owned.residential)
    far_survey = survey_of(
        closed_case(owned, customer=far, now=DONE + datetime.timedelta(weeks=1), handler=owned.far_tech)
    )
    services.answer_survey(
        survey=far_survey, scores={**GOOD, "R1": 1, "R2": 1}, overall=1, is_solved=False, now=DONE
    )  # another unit: not counted
    action = open_action(owned)
    improvements.mark_done(action=action, actor=owned.tech, now=DONE)
    action.refresh_from_db()
    assert action.status == "checking" and action.ticket.status == Status.RESOLVED
    with pytest.raises(ValidationError) as exc:
        improvements.check_effect(
            action=action, actor=owned.supervisor, now=DONE + datetime.timedelta(weeks=2)
        )
    assert exc.value.message_dict["status"] == [
        "The 8 weeks after the action end on 2026-05-24; check it then."
    ]
    figures = improvements.before_and_after(action, now=AFTER_WINDOW_OVER)
    assert (figures["before_from"], figures["before_to"]) == (
        datetime.date(2026, 2, 2),
        datetime.date(2026, 3, 29),
    )
    assert (figures["after_from"], figures["after_to"]) == (
        datetime.date(2026, 3, 30),
        datetime.date(2026, 5, 24),
    )
    check = improvements.check_effect(action=action, actor=owned.supervisor, now=AFTER_WINDOW_OVER)
    assert (check.before_value, check.after_value, check.is_effective) == (
        Decimal("2.00"),
        Decimal("4.50"),
        True,
    )
    action.refresh_from_db()
    assert action.status == "effective" and action.ticket.status == Status.CLOSED


def test_not_effective_action_is_reopened_with_a_new_plan(owned):
    answered_case(owned, when=MON, reliability=(2, 2))
    answered_case(owned, when=DONE + datetime.timedelta(weeks=1), reliability=(3, 3))
    action = open_action(owned)
    improvements.mark_done(action=action, actor=owned.supervisor, now=DONE)
    check = improvements.check_effect(action=action, actor=owned.supervisor, now=AFTER_WINDOW_OVER)
    assert (check.before_value, check.after_value, check.is_effective) == (
        Decimal("2.00"),
        Decimal("3.00"),
        False,
    )
    with pytest.raises(ValidationError, match="Describe the new plan."):
        improvements.reopen_with_new_plan(
            action=action,
            plan="",
            due_date=datetime.date(2026, 6, 30),
            actor=owned.supervisor,
            now=AFTER_WINDOW_OVER,
        )
    improvements.reopen_with_new_plan(
        action=action,
        plan="上门前一小时短信提醒",
        due_date=datetime.date(2026, 6, 30),
        actor=owned.supervisor,
        now=AFTER_WINDOW_OVER,
    )
    action.refresh_from_db()
    assert (action.status, action.plan, action.done_at) == ("open", "上门前一小时短信提醒", None)
    assert action.ticket.status == Status.IN_PROGRESS
    assert action.ticket.milestones.get(code="complete").due_at.date() == datetime.date(2026, 6, 30)
    assert action.checks.count() == 1


def test_complaints_per_10000_customers(owned):
    """Two active customers at OUT01 (the Org's), one billing complaint: 1 / 2 x 10,000 = 5000.00."""
    file_complaint(owned, now=MON, customer=owned.customer)
    file_complaint(owned, now=MON, customer=owned.far_customer, complainant_phone="13900002222")
    value = measures.complaints_per_10k(
        unit=owned.outlet, subject="billing", start=MON.date(), end=MON.date()
    )
    assert value == Decimal("5000.00")
    assert measures.complaints_per_10k(
        unit=owned.outlet, subject="service", start=MON.date(), end=MON.date()
    ) == Decimal("0.00")


def test_on_time_rate_of_a_service_type(owned):
    """Two RPR-RES cases closed on time (repair met at once): 100.00; none of ENQ: None."""
    closed_case(owned, now=MON)
    value = measures.on_time_rate(unit=owned.outlet, subject="RPR-RES", start=MON.date(), end=MON.date())
    assert value == Decimal("100.00")
    assert measures.on_time_rate(unit=owned.outlet, subject="ENQ", start=MON.date(), end=MON.date()) is None


def test_pages_open_and_show_an_action(owned):
    client = Client()
    client.force_login(owned.supervisor)
    form = client.get("/satisfaction/improvements/new/?source=dimension&dimension=reliability")
    assert form.status_code == 200
    bad = client.post(
        "/satisfaction/improvements/new/",
        {
            "problem": "x",
            "source": "dimension",
            "dimension": "reliability",
            "org_unit": "OUT01",
            "owner": "tech",
            "plan": "y",
            "due_date": "2020-01-01",
            "measure": "dimension_score",
            "measure_subject": "reliability",
            "target": "4",
        },
    )
    assert bad.status_code == 400 and "Choose a due date from today on." in bad.content.decode()
    action = open_action(owned, due_date=datetime.date(2026, 6, 30), now=MON)
    page = client.get(f"/satisfaction/improvements/{action.reference}/")
    assert page.status_code == 200 and "每日排班预留机动人员" in page.content.decode()
    listed = client.get("/satisfaction/improvements/")
    assert action.reference in listed.content.decode()
    api = Client()
    api.force_login(owned.supervisor)
    [row] = api.get("/api/v1/improvements/").json()["results"]
    assert (row["reference"], row["owner"], row["measure"], row["status"]) == (
        action.reference,
        "tech",
        "dimension_score",
        "open",
    )


def test_steps_through_the_pages(owned):
    client = Client()
    client.force_login(owned.supervisor)
    action = open_action(owned, due_date=datetime.date(2026, 6, 30), now=MON)
    done = client.post(f"/satisfaction/improvements/{action.reference}/done/")
    assert done.status_code == 302
    action.refresh_from_db()
    assert action.status == "checking"
    early = client.post(f"/satisfaction/improvements/{action.reference}/check/")
    assert early.status_code == 400 and "check it then" in early.content.decode()
    assert client.post(f"/satisfaction/improvements/{action.reference}/nonsense/").status_code == 404
