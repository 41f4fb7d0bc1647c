"""The seed (questions, rules, own service types; idempotent) and the demo follow-ups."""

import datetime

import pytest

from accounts.seeding import seed_demo
from satisfaction.demo import seed_demo_surveys
from satisfaction.models import ImprovementAction, Question, Recovery, Survey, SurveyRule
from satisfaction.seed import seed_satisfaction
from tickets.demo import seed_demo_tickets
from tickets.models import ServiceType

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 3, 6, 15, 0, tzinfo=datetime.UTC)


def test_seeded_after_migrate_and_again_adds_nothing_nor_undoes_edits():
    assert list(Question.objects.values_list("code", flat=True)) == [
        "T1",
        "T2",
        "R1",
        "R2",
        "S1",
        "S2",
        "A1",
        "A2",
        "E1",
        "E2",
        "OV",
    ]
    assert SurveyRule.objects.count() == ServiceType.objects.count()
    shares = dict(SurveyRule.objects.values_list("service_type__code", "share_percent"))
    assert (shares["CMP-STD"], shares["BIL-DISP"], shares["EMR-LEAK-URB"], shares["RPR-RES"]) == (
        100,
        100,
        100,
        30,
    )
    assert (shares["SVY-CB"], shares["SVY-RCV"], shares["IMP-ACT"]) == (0, 0, 0)
    assert not ServiceType.objects.get(code="SVY-RCV").is_public
    SurveyRule.objects.filter(service_type__code="RPR-RES").update(share_percent=50)
    Question.objects.filter(code="T1").update(text="着装规范")
    assert seed_satisfaction() == {"questions": 0, "rules": 0, "service_types": 0}
    assert SurveyRule.objects.get(service_type__code="RPR-RES").share_percent == 50
    assert Question.objects.get(code="T1").text == "着装规范"


def test_demo_answers_calls_recovers_and_runs_once():
    seed_demo()
    seed_demo_tickets(now=NOW, count=60)
    added = seed_demo_surveys(now=NOW)
    assert added["answers"] == Survey.objects.filter(state="answered").count() > 0
    assert Survey.objects.filter(method="callback").exists()
    assert Recovery.objects.filter(closed_at__isnull=True).exists()
    assert Recovery.objects.filter(closed_at__isnull=False).count() <= 1  # one closed when there are two
    assert ImprovementAction.objects.get().owner.username == "technician"
    counts = (Survey.objects.count(), Recovery.objects.count(), ImprovementAction.objects.count())
    assert seed_demo_surveys(now=NOW) == {
        "answers": 0,
        "callback_cases": 0,
        "calls": 0,
        "recoveries_closed": 0,
        "improvements": 0,
    }
    assert (Survey.objects.count(), Recovery.objects.count(), ImprovementAction.objects.count()) == counts
