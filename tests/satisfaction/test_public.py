"""The customer's answer page: no login, no JavaScript, zh-Hans or English, one answer per link."""

import time_machine
from django.test import Client

from accounts.models import OrganisationProfile
from satisfaction import services
from satisfaction.models import Recovery, SurveyRule

from .factories import MON, closed_case, survey_of

GOOD_POST = {
    "q_T1": "5",
    "q_T2": "na",
    "q_R1": "5",
    "q_R2": "4",
    "q_S1": "5",
    "q_S2": "5",
    "q_A1": "5",
    "q_A2": "5",
    "q_E1": "5",
    "q_E2": "4",
    "overall": "5",
    "solved": "yes",
    "comment": "很好",
}


def link_path(survey) -> str:
    return services.survey_link(survey).removeprefix("https://gas.example.org")


def setup_survey(org):
    SurveyRule.objects.exclude(service_type__category="follow_up").update(share_percent=100)
    with time_machine.travel(MON, tick=False):
        survey = survey_of(closed_case(org))
        return survey, link_path(survey)


def test_page_shows_the_questionnaire_without_script_in_chinese(org, chinese):
    survey, path = setup_survey(org)
    with time_machine.travel(MON, tick=False):
        page = Client().get(path)
    assert page.status_code == 200
    html = page.content.decode()
    assert "工作人员着装规范、主动出示工作证" in html and "总体满意度" in html
    assert "请评价我们的服务" in html and "提交评价" in html and "不适用" in html and "5 非常满意" in html
    assert survey.ticket.reference in html
    assert "<script" not in html.split("<main", 1)[1]
    assert 'type="radio"' in html and "csrfmiddlewaretoken" in html


def test_page_in_english(org):
    _survey, path = setup_survey(org)
    with time_machine.travel(MON, tick=False):
        html = Client().get(path, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Staff were in uniform and showed their ID" in html and "Not applicable" in html


def test_answer_then_the_link_is_used_up(org):
    survey, path = setup_survey(org)
    client = Client()
    with time_machine.travel(MON, tick=False):
        done = client.post(path, {**GOOD_POST, "case": survey.ticket.reference})
        assert done.status_code == 200 and "We have received your answer." in done.content.decode()
        again = client.post(path, {**GOOD_POST, "overall": "1", "case": survey.ticket.reference})
    assert again.status_code == 409
    assert "This survey was already answered. Thank you!" in again.content.decode()
    survey.refresh_from_db()
    assert (survey.state, survey.overall, survey.comment) == ("answered", 5, "很好")
    assert survey.scores["T2"] is None


def test_a_used_link_gives_the_hotline_number_to_call(org, settings):
    settings.SERVICE_HOTLINE = "023-96577"
    survey, path = setup_survey(org)
    client = Client()
    with time_machine.travel(MON, tick=False):
        client.post(path, {**GOOD_POST, "case": survey.ticket.reference})
        again = client.get(path, HTTP_ACCEPT_LANGUAGE="en")
    assert OrganisationProfile.current().hotline == "023-96577"
    assert "please call our service hotline 023-96577." in again.content.decode()


def test_missing_overall_and_bad_score_show_beside_their_questions(org):
    survey, path = setup_survey(org)
    with time_machine.travel(MON, tick=False):
        page = Client().post(path, {**GOOD_POST, "q_T1": "9", "overall": "", "case": survey.ticket.reference})
    assert page.status_code == 400
    html = page.content.decode()
    assert "Choose a score from 1 to 5, or not applicable." in html
    assert "Give an overall score from 1 (very dissatisfied) to 5 (very satisfied)." in html
    survey.refresh_from_db()
    assert survey.state == "pending"


def test_answer_for_another_case_is_refused(org):
    survey, path = setup_survey(org)
    with time_machine.travel(MON, tick=False):
        page = Client().post(path, {**GOOD_POST, "case": "GS20990101-00001"})
    assert page.status_code == 400
    assert "This answer is for another case than the link&#x27;s." in page.content.decode()


def test_unhappy_answer_says_a_supervisor_will_call(org):
    survey, path = setup_survey(org)
    with time_machine.travel(MON, tick=False):
        page = Client().post(
            path, {**GOOD_POST, "overall": "2", "solved": "no", "case": survey.ticket.reference}
        )
    assert "will contact you within one working day" in page.content.decode()
    assert Recovery.objects.get(survey=survey).ticket.assignee == org.supervisor


def test_expired_and_forged_links(org):
    _survey, path = setup_survey(org)
    with time_machine.travel(MON.replace(day=10), tick=False):
        expired = Client().get(path)
    assert expired.status_code == 410 and "has expired" in expired.content.decode()
    forged = Client().get(path[:-3] + "xyz/")
    assert forged.status_code == 400 and "not valid" in forged.content.decode()


def test_answers_are_rate_limited_per_address(org, settings):
    settings.SATISFACTION_RATES = {"ip": "2/h", "link": "10/h"}
    survey, path = setup_survey(org)
    client = Client()
    with time_machine.travel(MON, tick=False):
        for _ in range(2):
            assert client.post(path, {"case": survey.ticket.reference}).status_code == 400
        limited = client.post(path, {**GOOD_POST, "case": survey.ticket.reference})
    assert limited.status_code == 429
    assert "several answers from you in a short time" in limited.content.decode()
    survey.refresh_from_db()
    assert survey.state == "pending"


def test_csrf_is_required(org):
    survey, path = setup_survey(org)
    with time_machine.travel(MON, tick=False):
        page = Client(enforce_csrf_checks=True).post(path, {**GOOD_POST, "case": survey.ticket.reference})
    assert page.status_code == 403
