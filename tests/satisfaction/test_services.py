"""Answers, the link, the callback queue and service recovery, through the services."""

import datetime

import pytest
import time_machine
from django.core import signing
from django.core.exceptions import ValidationError
from django.test import Client

from accounts.models import Role
from notifications.models import Notification
from satisfaction import services
from satisfaction.models import CallbackAttempt, Recovery, Survey, SurveyRule
from tests.tickets.factories import staff
from tickets.models import Escalation, Status
from tickets.sweep import sweep_due_milestones

from .factories import GOOD, MON, branch_manager, closed_callback_case, closed_case, survey_of


@pytest.fixture(autouse=True)
def every_case(db):
    SurveyRule.objects.exclude(service_type__category="follow_up").update(share_percent=100)


def token_of(survey):
    return services.survey_link(survey).rstrip("/").rsplit("/", 1)[-1]


def answer(survey, *, scores=GOOD, overall=5, is_solved=True, comment="", now=MON, **kwargs):
    return services.answer_survey(
        survey=survey, scores=scores, overall=overall, is_solved=is_solved, comment=comment, now=now, **kwargs
    )


# ---------------------------------------------------------------- the link


def test_link_opens_its_survey_for_seven_days_then_expires(org):
    with time_machine.travel(MON, tick=False):
        survey = survey_of(closed_case(org))
        token = token_of(survey)
    with time_machine.travel(MON + datetime.timedelta(days=6, hours=23), tick=False):
        assert services.survey_for_token(token) == survey
    with time_machine.travel(MON + datetime.timedelta(days=7, minutes=1), tick=False):
        with pytest.raises(services.SurveyLinkError) as exc:
            services.survey_for_token(token)
    assert exc.value.code == "expired"
    assert "expired" in exc.value.messages[0]


@pytest.mark.parametrize("token", ["abc", "MQ:1vAAAA:forgedsignature", signing.dumps(1, salt="another-salt")])
def test_forged_link_is_refused(org, token):
    with pytest.raises(services.SurveyLinkError) as exc:
        services.survey_for_token(token)
    assert exc.value.code == "forged"
    assert exc.value.messages == ["This survey link is not valid. Please check the address in the message."]


def test_link_is_good_for_one_answer_only(org):
    survey = survey_of(closed_case(org))
    token = token_of(survey)
    with time_machine.travel(MON, tick=False):
        answer(services.survey_for_token(token))
        with pytest.raises(services.SurveyLinkError) as exc:
            services.survey_for_token(token)
    assert exc.value.code == "used"
    with pytest.raises(ValidationError, match="already answered"):
        answer(survey, overall=1)
    survey.refresh_from_db()
    assert survey.overall == 5 and not Recovery.objects.exists()


def test_link_of_a_reopened_case_is_withdrawn(org):
    case = closed_case(org)
    token = token_of(survey_of(case))
    from tickets import services as ticket_services

    ticket_services.reopen_ticket(ticket=case, actor=org.tech, now=MON, reason="又漏气")
    with time_machine.travel(MON, tick=False), pytest.raises(services.SurveyLinkError) as exc:
        services.survey_for_token(token)
    assert exc.value.code == "withdrawn"


# ---------------------------------------------------------------- answers


def test_answer_is_stored_with_its_dimension_sums(org):
    survey = answer(survey_of(closed_case(org)), comment="师傅很专业")
    survey.refresh_from_db()
    assert (survey.state, survey.overall, survey.is_solved, survey.comment) == (
        "answered",
        5,
        True,
        "师傅很专业",
    )
    assert (survey.tangibles_sum, survey.tangibles_n) == (10, 2)
    assert (survey.empathy_sum, survey.empathy_n) == (5, 1)  # E2 not applicable
    assert survey.lowest_score == 4
    assert not Recovery.objects.exists()


@pytest.mark.parametrize(
    ("scores", "overall", "is_solved", "field", "message"),
    [
        ({**GOOD, "T1": 6}, 5, True, "T1", "Choose a score from 1 to 5, or not applicable."),
        ({**GOOD, "T1": 0}, 5, True, "T1", "Choose a score from 1 to 5, or not applicable."),
        ({**GOOD, "T1": "4.5"}, 5, True, "T1", "Choose a score from 1 to 5, or not applicable."),
        (GOOD, 9, True, "OV", "Give an overall score from 1 (very dissatisfied) to 5 (very satisfied)."),
        (GOOD, None, True, "OV", "Give an overall score from 1 (very dissatisfied) to 5 (very satisfied)."),
        (GOOD, 5, None, "solved", "Tell us whether your problem was solved."),
        ({**GOOD, "ZZ": 3}, 5, True, "scores", "Unknown question ZZ."),
    ],
    ids=["item 6", "item 0", "item 4.5", "overall 9", "overall missing", "solved missing", "unknown item"],
)
def test_scores_out_of_range_are_refused_and_nothing_is_counted(
    org, scores, overall, is_solved, field, message
):
    survey = survey_of(closed_case(org))
    with pytest.raises(ValidationError) as exc:
        answer(survey, scores=scores, overall=overall, is_solved=is_solved)
    assert exc.value.message_dict[field] == [message]
    survey.refresh_from_db()
    assert survey.state == "pending" and survey.overall is None


def test_answer_for_another_case_than_the_links_is_refused(org):
    survey = survey_of(closed_case(org))
    with pytest.raises(ValidationError) as exc:
        answer(survey, case_reference="GS20990101-00001")
    assert exc.value.message_dict["case"] == ["This answer is for another case than the link's."]
    survey.refresh_from_db()
    assert survey.state == "pending"


# ---------------------------------------------------------------- recovery


@pytest.mark.parametrize(
    ("scores", "overall", "is_solved", "reasons"),
    [
        (GOOD, 2, True, ["overall_low"]),
        ({**GOOD, "R1": 1}, 4, True, ["item_at_1"]),
        (GOOD, 5, False, ["not_solved"]),
        ({**GOOD, "S2": 1}, 1, False, ["overall_low", "item_at_1", "not_solved"]),
    ],
    ids=["overall 2", "an item at 1", "not solved", "all three"],
)
def test_unhappy_answer_opens_a_recovery_ticket_for_the_outlet_supervisor(
    org, scores, overall, is_solved, reasons
):
    case = closed_case(org)
    survey = answer(survey_of(case), scores=scores, overall=overall, is_solved=is_solved)
    recovery = Recovery.objects.get(survey=survey)
    assert recovery.reasons == reasons and recovery.original == case and not recovery.is_repeat
    ticket = recovery.ticket
    assert ticket.service_type.code == "SVY-RCV" and ticket.assignee == org.supervisor
    assert ticket.org_unit == org.outlet and ticket.customer == case.customer
    dues = dict(ticket.milestones.values_list("code", "due_at"))
    # Monday 10:00: contact by the close of business Tuesday, close by Thursday.
    assert dues["contact"] == MON.replace(day=3, hour=17, minute=30)
    assert dues["complete"] == MON.replace(day=5, hour=17, minute=30)
    note = case.events.get(kind="note", data__step="satisfaction.recovery_opened")
    assert note.data["recovery"] == ticket.reference and note.message == ""  # no stored sentence


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["Service recovery opened", "Unhappy follow-up answer: service recovery {} opened."]),
        ("zh-hans", ["已开立服务补救", "回访不满意：已开立服务补救 {}。"]),
    ],
)
def test_the_cases_timeline_tells_of_the_recovery_in_the_readers_language(org, language, expected):
    case = closed_case(org)
    recovery = Recovery.objects.get(survey=answer(survey_of(case), overall=1))
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(org.supervisor)
    page = client.get(f"/tickets/{case.reference}/").content.decode()
    timeline = page[page.index('id="timeline-heading"') :]
    for text in expected:
        assert text.format(recovery.ticket.reference) in timeline


@pytest.mark.parametrize(
    ("scores", "overall"), [(GOOD, 3), ({**GOOD, "T1": 2}, 4)], ids=["overall 3", "item 2"]
)
def test_middling_answer_opens_no_recovery(org, scores, overall):
    answer(survey_of(closed_case(org)), scores=scores, overall=overall)
    assert not Recovery.objects.exists()


def test_second_unhappy_answer_within_90_days_goes_to_the_branch_manager(org):
    manager = branch_manager(org)
    first = answer(survey_of(closed_case(org, now=MON)), overall=1)
    later = MON + datetime.timedelta(days=40)
    second = answer(survey_of(closed_case(org, now=later)), overall=2, now=later)
    repeat = Recovery.objects.get(survey=second)
    assert repeat.is_repeat and not Recovery.objects.get(survey=first).is_repeat
    assert repeat.ticket.priority == "high"
    note = Notification.objects.get(recipient=manager, kind="satisfaction_repeat_recovery")
    assert repeat.ticket.reference in note.rendered_title


def test_closing_a_recovery_records_whether_the_customer_is_now_satisfied(org):
    survey = answer(survey_of(closed_case(org)), overall=1)
    recovery = survey.recovery
    later = MON + datetime.timedelta(hours=3)
    with pytest.raises(ValidationError) as exc:
        services.close_recovery(
            recovery=recovery, action_taken="", is_customer_satisfied=None, actor=org.supervisor, now=later
        )
    assert exc.value.message_dict == {
        "action_taken": ["Say what was done for the customer."],
        "is_customer_satisfied": ["Say whether the customer is now satisfied."],
    }
    services.close_recovery(
        recovery=recovery,
        action_taken="上门道歉并更换灶具阀门",
        is_customer_satisfied=True,
        actor=org.supervisor,
        now=later,
    )
    recovery.refresh_from_db()
    assert recovery.is_customer_satisfied is True and recovery.closed_at == later
    assert recovery.ticket.status == Status.CLOSED
    assert recovery.ticket.events.filter(kind="note", message="上门道歉并更换灶具阀门").exists()
    with pytest.raises(ValidationError, match="already closed"):
        services.close_recovery(
            recovery=recovery,
            action_taken="again",
            is_customer_satisfied=False,
            actor=org.supervisor,
            now=later,
        )


def test_a_recovery_ticket_is_not_closed_from_the_ticket_page(org):
    from tickets import services as ticket_services

    recovery = answer(survey_of(closed_case(org)), overall=1).recovery
    ticket = ticket_services.start_work(ticket=recovery.ticket, actor=org.supervisor, now=MON)
    with pytest.raises(ValidationError, match="recovery page"):
        ticket_services.resolve_ticket(ticket=ticket, actor=org.supervisor, now=MON)


# ---------------------------------------------------------------- the callback queue


@pytest.fixture
def no_mobile(org):
    org.customer.mobile = ""
    org.customer.landline = "023-61234567"
    org.customer.save()
    return org


def test_three_failed_calls_at_different_times_make_the_survey_unreachable(no_mobile):
    org = no_mobile
    survey = survey_of(closed_callback_case(org))
    call = MON + datetime.timedelta(hours=1)
    services.record_callback(survey=survey, outcome="no_answer", actor=org.agent, now=call)
    # Ten minutes later is not "a different time": recorded, not counted.
    again = services.record_callback(
        survey=survey, outcome="busy", actor=org.agent, now=call + datetime.timedelta(minutes=10)
    )
    assert not again.counts_as_try
    services.record_callback(
        survey=survey, outcome="no_answer", actor=org.agent, now=call + datetime.timedelta(hours=3)
    )
    survey.refresh_from_db()
    assert survey.state == "pending"
    services.record_callback(
        survey=survey, outcome="no_answer", actor=org.agent, now=call + datetime.timedelta(days=1)
    )
    survey.refresh_from_db()
    assert survey.state == "unreachable"
    assert list(survey.attempts.values_list("counts_as_try", flat=True)) == [True, False, True, True]
    assert survey.callback_ticket.status == Status.CLOSED
    with pytest.raises(ValidationError) as exc:
        services.record_callback(
            survey=survey, outcome="refused", actor=org.agent, now=call + datetime.timedelta(days=1, hours=1)
        )
    assert exc.value.message_dict["outcome"] == [
        "This survey is closed (Unreachable): no more calls are recorded."
    ]
    assert CallbackAttempt.objects.filter(survey=survey).count() == 4


@pytest.mark.parametrize("outcome", ["refused", "wrong_number"])
def test_refused_and_wrong_number_are_kept_as_outcomes(no_mobile, outcome):
    survey = survey_of(closed_callback_case(no_mobile))
    services.record_callback(survey=survey, outcome=outcome, actor=no_mobile.agent, now=MON)
    survey.refresh_from_db()
    assert survey.state == outcome and survey.outcome_by == no_mobile.agent
    assert survey.callback_ticket.status == Status.CLOSED


def test_answer_by_phone_closes_the_callback_and_may_open_a_recovery(no_mobile):
    org = no_mobile
    survey = survey_of(closed_callback_case(org))
    services.record_callback(
        survey=survey,
        outcome="answered",
        actor=org.agent,
        now=MON,
        answer={"scores": GOOD, "overall": "2", "is_solved": True, "comment": "等了很久"},
    )
    survey.refresh_from_db()
    assert (survey.state, survey.overall, survey.comment) == ("answered", 2, "等了很久")
    assert survey.callback_ticket.status == Status.CLOSED
    assert survey.recovery.reasons == ["overall_low"]


def test_callback_answer_with_bad_scores_records_nothing(no_mobile):
    survey = survey_of(closed_callback_case(no_mobile))
    with pytest.raises(ValidationError) as exc:
        services.record_callback(
            survey=survey,
            outcome="answered",
            actor=no_mobile.agent,
            now=MON,
            answer={"scores": GOOD, "overall": "7", "is_solved": True},
        )
    assert "OV" in exc.value.message_dict
    assert not CallbackAttempt.objects.exists()


def test_the_callback_ticket_cannot_be_closed_before_the_outcome(no_mobile):
    from tickets import services as ticket_services

    callback = survey_of(closed_callback_case(no_mobile)).callback_ticket
    callback = ticket_services.assign_ticket(
        ticket=callback, assignee=no_mobile.agent, actor=no_mobile.agent, now=MON
    )
    callback = ticket_services.start_work(ticket=callback, actor=no_mobile.agent, now=MON)
    with pytest.raises(ValidationError, match="survey page first"):
        ticket_services.resolve_ticket(ticket=callback, actor=no_mobile.agent, now=MON)


def test_an_overdue_callback_escalates_to_the_outlet_supervisor(no_mobile):
    survey = survey_of(closed_callback_case(no_mobile))
    milestone = survey.callback_ticket.milestones.get(code="callback")
    assert milestone.due_at == MON.replace(day=6, hour=0)
    sweep_due_milestones(now=milestone.due_at + datetime.timedelta(minutes=1))
    step = Escalation.objects.get(ticket=survey.callback_ticket, level=1)
    # The breach reaches the handlers of the callback queue and the outlet supervisor.
    assert no_mobile.supervisor.pk in [r["id"] for r in step.recipients]


def test_staff_of_another_outlet_do_not_see_the_survey(no_mobile):
    from satisfaction import selectors

    case = closed_callback_case(no_mobile)
    outsider = staff(username="far_desk", role=Role.FRONT_DESK, org_unit=no_mobile.far_outlet)
    assert selectors.survey_for(outsider, case.reference) is None
    assert list(selectors.callback_queue(outsider)) == []
    assert [s.ticket for s in selectors.callback_queue(no_mobile.agent)] == [case]
    assert Survey.objects.visible_to(no_mobile.clerk).count() == 1
