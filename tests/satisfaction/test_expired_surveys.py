"""An SMS survey whose link expires unanswered goes to the callback queue where its rule says so."""

import datetime

import pytest
import time_machine

from satisfaction import selectors, services, tasks
from satisfaction.models import SurveyRule
from satisfaction.services import call_back_expired_surveys, open_callback_tickets
from tests.factories import CustomerFactory

from .factories import GOOD, MON, closed_case, survey_of

EXPIRES = MON + datetime.timedelta(days=7)  # the link is valid for 7 days


@pytest.fixture
def repairs_called_back(org):
    """Every case surveyed, and the repairs' unanswered SMS surveys called back."""
    SurveyRule.objects.exclude(service_type__category="follow_up").update(share_percent=100)
    SurveyRule.objects.filter(service_type__code="RPR-RES").update(is_called_back_when_expired=True)
    return org


DEFAULT_ROWS = [
    ("CMP-STD", True),
    ("CMP-SAFE", True),
    ("BIL-DISP", True),
    ("MTR-TEST", True),
    ("RPR-RES", False),
    ("H12345", False),
]


@pytest.mark.parametrize(("code", "called_back"), DEFAULT_ROWS, ids=[f"{c} -> {v}" for c, v in DEFAULT_ROWS])
def test_complaints_and_disputes_are_called_back_by_default(org, code, called_back):
    assert SurveyRule.objects.get(service_type__code=code).is_called_back_when_expired is called_back


def test_an_expired_unanswered_sms_survey_goes_to_the_callback_queue(repairs_called_back):
    org = repairs_called_back
    survey = survey_of(closed_case(org, now=MON))
    assert (survey.method, survey.sms_expires_at) == ("sms", EXPIRES)
    assert call_back_expired_surveys(now=EXPIRES - datetime.timedelta(minutes=1)) == 0
    assert call_back_expired_surveys(now=EXPIRES) == 1
    assert call_back_expired_surveys(now=EXPIRES + datetime.timedelta(minutes=10)) == 0  # once only
    survey.refresh_from_db()
    assert (survey.state, survey.method) == ("pending", "callback")
    assert open_callback_tickets(now=EXPIRES + datetime.timedelta(minutes=1)) == 1
    callback = survey_of(survey.ticket).callback_ticket
    assert callback.service_type.code == "SVY-CB" and callback.org_unit == org.outlet
    assert "expired unanswered" in callback.description
    # The 3 days of the callback count from the expiry: 24:00 of Thursday 12 March.
    assert callback.received_at == EXPIRES
    assert callback.milestones.get(code="callback").due_at == MON.replace(day=13, hour=0)
    assert [s.pk for s in selectors.callback_queue(org.agent)] == [survey.pk]


def test_an_expired_survey_of_a_type_not_called_back_just_expires(org):
    SurveyRule.objects.exclude(service_type__category="follow_up").update(share_percent=100)
    survey = survey_of(closed_case(org, now=MON))
    assert call_back_expired_surveys(now=EXPIRES + datetime.timedelta(days=1)) == 0
    survey.refresh_from_db()
    assert (survey.state, survey.method, survey.callback_ticket) == ("pending", "sms", None)


def test_an_answered_survey_is_not_called_back(repairs_called_back):
    survey = survey_of(closed_case(repairs_called_back, now=MON))
    services.answer_survey(survey=survey, scores=GOOD, overall=5, is_solved=True, now=MON)
    assert call_back_expired_surveys(now=EXPIRES + datetime.timedelta(days=1)) == 0
    survey.refresh_from_db()
    assert (survey.state, survey.method) == ("answered", "sms")


def test_the_periodic_task_moves_every_expired_survey_in_chunks(repairs_called_back, monkeypatch):
    org = repairs_called_back
    customers = [CustomerFactory(outlet=org.outlet, category=org.residential) for _ in range(3)]
    surveys = [survey_of(closed_case(org, now=MON, customer=c)) for c in customers]
    monkeypatch.setattr(tasks, "EXPIRED_CHUNK", 2)
    with time_machine.travel(EXPIRES + datetime.timedelta(hours=1), tick=False):
        assert tasks.call_back_expired_surveys() == {"moved": 3}
        assert tasks.call_back_expired_surveys() == {"moved": 0}
    assert {s.method for s in [survey_of(s.ticket) for s in surveys]} == {"callback"}
