"""Who is surveyed: the rules of satisfaction.md as a table, then through closing real cases."""

import datetime

import pytest

from notifications.models import Notification
from satisfaction import rules
from satisfaction.models import Survey, SurveyRule
from tests.tickets.factories import make_ticket
from tickets import services as ticket_services
from tickets.models import Status

from .factories import MON, closed_case, survey_of

EXCLUSION_ROWS = [
    # name, share, cancelled, recently surveyed, expected exclusion
    ("complaint (100%) is always surveyed", 100, False, False, ""),
    ("cancelled case is never surveyed, even at 100%", 100, True, False, "cancelled"),
    ("share 0 (follow-up tickets) is never surveyed", 0, False, False, "never"),
    ("customer surveyed within 30 days is not asked again", 100, False, True, "recently_surveyed"),
    ("cancelled wins over the 30-day rule", 100, True, True, "cancelled"),
]


@pytest.mark.parametrize(
    ("name", "share", "cancelled", "recent", "expected"),
    EXCLUSION_ROWS,
    ids=[row[0] for row in EXCLUSION_ROWS],
)
def test_exclusion_rules(name, share, cancelled, recent, expected):
    assert (
        rules.exclusion_for(
            reference="GS20260302-00001",
            share_percent=share,
            is_cancelled=cancelled,
            recently_surveyed=recent,
        )
        == expected
    )


def test_sample_is_reproducible_and_near_its_share():
    references = [f"GS20260302-{n:05d}" for n in range(1, 2001)]
    first = [
        rules.exclusion_for(reference=r, share_percent=30, is_cancelled=False, recently_surveyed=False)
        for r in references
    ]
    again = [
        rules.exclusion_for(reference=r, share_percent=30, is_cancelled=False, recently_surveyed=False)
        for r in references
    ]
    assert first == again
    chosen = first.count("")
    assert 540 <= chosen <= 660  # 30% of 2000, give or take sampling noise
    assert set(first) == {"", "not_sampled"}


SMS_HOURS_ROWS = [
    ("10:00 goes now", (2026, 3, 2, 10, 0), (2026, 3, 2, 10, 0)),
    ("08:59 waits until 09:00 the same day", (2026, 3, 2, 8, 59), (2026, 3, 2, 9, 0)),
    ("20:00 waits until 09:00 next day", (2026, 3, 2, 20, 0), (2026, 3, 3, 9, 0)),
    ("23:30 waits until 09:00 next day", (2026, 3, 2, 23, 30), (2026, 3, 3, 9, 0)),
    ("19:59 goes now", (2026, 3, 2, 19, 59), (2026, 3, 2, 19, 59)),
]


@pytest.mark.parametrize(("name", "now", "expected"), SMS_HOURS_ROWS, ids=[row[0] for row in SMS_HOURS_ROWS])
def test_sms_goes_out_at_a_decent_hour(name, now, expected):
    tz = rules.LOCAL_TZ
    assert rules.sms_send_at(datetime.datetime(*now, tzinfo=tz)) == datetime.datetime(*expected, tzinfo=tz)


@pytest.fixture
def every_case(db):
    """Every service type surveyed (100%), so a test controls the sample."""
    SurveyRule.objects.exclude(service_type__category="follow_up").update(share_percent=100)


def test_closing_a_case_creates_its_survey_and_queues_the_sms(org, every_case):
    case = closed_case(org, now=MON)
    survey = survey_of(case)
    assert (survey.state, survey.method, survey.phone) == ("pending", "sms", org.customer.mobile)
    assert survey.org_unit == org.outlet and survey.handler == org.tech
    sms = Notification.objects.get(ticket=case, kind="satisfaction_survey")
    assert sms.address == org.customer.mobile and sms.status == "pending"
    assert "https://gas.example.org/survey/" in sms.rendered_title and case.reference in sms.rendered_title
    assert sms.next_attempt_at == MON  # 10:00 local: sent now


def test_sms_after_eight_in_the_evening_waits_for_the_morning(org, every_case):
    evening = MON.replace(hour=21)
    case = closed_case(org, now=evening)
    sms = Notification.objects.get(ticket=case, kind="satisfaction_survey")
    assert sms.next_attempt_at == MON.replace(day=3, hour=9)


def test_not_sampled_case_is_recorded_as_not_due(org):
    SurveyRule.objects.filter(service_type__code="RPR-RES").update(share_percent=0)
    case = closed_case(org)
    survey = survey_of(case)
    assert (survey.state, survey.exclusion) == ("not_due", "never")
    assert not Notification.objects.filter(ticket=case, kind="satisfaction_survey").exists()


def test_same_customer_within_30_days_is_not_asked_twice(org, every_case):
    first = closed_case(org, now=MON)
    second = closed_case(org, now=MON + datetime.timedelta(days=29))
    third = closed_case(org, now=MON + datetime.timedelta(days=31))
    assert survey_of(first).state == "pending"
    assert (survey_of(second).state, survey_of(second).exclusion) == ("not_due", "recently_surveyed")
    assert survey_of(third).state == "pending"


def test_cancelled_case_is_never_surveyed(org, every_case):
    case = ticket_services.cancel_ticket(
        ticket=make_ticket(org, now=MON), actor=org.clerk, now=MON, reason="客户撤回"
    )
    assert case.status == Status.CANCELLED
    survey = survey_of(case)
    assert (survey.state, survey.exclusion) == ("not_due", "cancelled")


def test_reopened_case_withdraws_its_open_survey_and_closing_again_asks_anew(org, every_case):
    case = closed_case(org, now=MON)
    later = MON + datetime.timedelta(hours=2)
    ticket_services.reopen_ticket(ticket=case, actor=org.tech, now=later, reason="灶具又坏了")
    withdrawn = Survey.objects.get(ticket=case)
    assert withdrawn.state == "withdrawn"
    case = ticket_services.resolve_ticket(ticket=case, actor=org.tech, now=later)
    case = ticket_services.close_ticket(ticket=case, actor=org.tech, now=later)
    # The withdrawn survey does not count for the 30-day rule: the customer is asked about the final result.
    assert survey_of(case).state == "pending"
    assert Survey.objects.filter(ticket=case).count() == 2


def test_no_mobile_goes_to_the_callback_queue_with_an_svy_cb_ticket(org, every_case):
    from satisfaction.services import open_callback_tickets

    org.customer.mobile = ""
    org.customer.landline = "023-61234567"
    org.customer.save()
    case = closed_case(org, now=MON)
    survey = survey_of(case)
    assert (survey.state, survey.method, survey.phone) == ("pending", "callback", "023-61234567")
    assert survey.callback_ticket is None  # the worker opens it once the closure commits
    assert open_callback_tickets(now=MON + datetime.timedelta(minutes=5)) == 1
    assert open_callback_tickets(now=MON + datetime.timedelta(minutes=6)) == 0
    callback = survey_of(case).callback_ticket
    assert callback.service_type.code == "SVY-CB" and callback.org_unit == org.outlet
    assert callback.received_at == MON
    due = callback.milestones.get(code="callback").due_at
    assert due == MON.replace(day=6, hour=0)  # 3 calendar days from closure: 24:00 of Thursday
    assert not Notification.objects.filter(ticket=case, kind="satisfaction_survey").exists()


def test_batch_of_closed_cases_surveys_each_customer_once(org, every_case):
    from satisfaction.services import create_surveys

    cases = [closed_case(org, now=MON) for _ in range(2)]  # same customer twice the same day
    Survey.objects.filter(ticket__in=cases).delete()
    for case in cases:
        case.refresh_from_db()
    surveys = create_surveys(tickets=cases, now=MON)
    assert sorted(s.state for s in surveys) == ["not_due", "pending"]
