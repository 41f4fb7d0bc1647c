"""Staff pages: the callback queue and call form, the recovery page, the figures and their drill-down."""

import pytest
from django.test import Client

from accounts.models import PersonalDataView, Role
from satisfaction import services
from satisfaction.models import Survey, SurveyRule
from tests.tickets.factories import staff

from .factories import GOOD, MON, closed_callback_case, closed_case, survey_of


@pytest.fixture(autouse=True)
def every_case(db):
    SurveyRule.objects.exclude(service_type__category="follow_up").update(share_percent=100)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def callback_case(org):
    org.customer.mobile = ""
    org.customer.landline = "023-61234567"
    org.customer.save()
    return closed_callback_case(org)


def test_callback_queue_lists_the_case_with_its_deadline_and_masked_phone(org, callback_case):
    page = client_for(org.agent).get("/satisfaction/callbacks/")
    html = page.content.decode()
    assert page.status_code == 200
    assert callback_case.reference in html and "023-****4567" in html and "023-61234567" not in html
    assert "2026-03-06 00:00" in html


def test_technicians_have_no_callback_queue(org):
    assert client_for(org.tech).get("/satisfaction/callbacks/").status_code == 403


def test_recording_calls_on_the_survey_page(org, callback_case):
    client = client_for(org.agent)
    url = f"/satisfaction/surveys/{callback_case.reference}/"
    assert client.get(url).status_code == 200
    done = client.post(url + "call/", {"outcome": "refused", "note": "客户说很忙"})
    assert done.status_code == 302
    page = client.get(url).content.decode()
    assert "Refused" in page and "客户说很忙" in page
    closed = client.post(url + "call/", {"outcome": "no_answer"})
    assert closed.status_code == 400
    assert "This survey is closed (Refused): no more calls are recorded." in closed.content.decode()


def test_answer_by_phone_with_errors_stays_on_the_form(org, callback_case):
    client = client_for(org.agent)
    url = f"/satisfaction/surveys/{callback_case.reference}/call/"
    page = client.post(url, {"outcome": "answered", "q_T1": "5", "solved": "yes"})
    assert page.status_code == 400
    assert "Give an overall score" in page.content.decode()
    assert survey_of(callback_case).state == "pending"
    ok = client.post(url, {"outcome": "answered", "q_T1": "5", "overall": "4", "solved": "yes"})
    assert ok.status_code == 302 and survey_of(callback_case).overall == 4


def test_showing_the_number_to_call_is_logged(org, callback_case):
    page = client_for(org.agent).get(f"/satisfaction/surveys/{callback_case.reference}/?reveal=1")
    assert "023-61234567" in page.content.decode()
    assert PersonalDataView.objects.filter(user=org.agent, subject=callback_case.reference).exists()


def test_outsiders_get_404(org, callback_case):
    outsider = staff(username="far_desk", role=Role.FRONT_DESK, org_unit=org.far_outlet)
    assert client_for(outsider).get(f"/satisfaction/surveys/{callback_case.reference}/").status_code == 404


def unhappy_recovery(org):
    survey = survey_of(closed_case(org))
    services.answer_survey(
        survey=survey, scores={**GOOD, "R1": 1}, overall=2, is_solved=False, comment="迟到两小时", now=MON
    )
    return survey.recovery


def test_recovery_page_shows_the_case_the_answer_and_closes_with_now_satisfied(org):
    recovery = unhappy_recovery(org)
    client = client_for(org.supervisor)
    url = f"/satisfaction/recoveries/{recovery.ticket.reference}/"
    html = client.get(url).content.decode()
    assert recovery.original.reference in html and "迟到两小时" in html
    assert "Is the customer now satisfied?" in html
    missing = client.post(url + "close/", {"action_taken": ""})
    assert missing.status_code == 400 and "This field is required." in missing.content.decode()
    done = client.post(url + "close/", {"action_taken": "主管致电道歉，重新预约", "now_satisfied": "yes"})
    assert done.status_code == 302
    html = client.get(url).content.decode()
    assert "Closed: the customer is now satisfied." in html and "主管致电道歉，重新预约" in html
    assert "Close the recovery" not in html


def test_the_ticket_page_of_a_recovery_leads_to_the_recovery_page(org):
    recovery = unhappy_recovery(org)
    from tickets.hooks import detail_url_for

    assert detail_url_for(recovery.ticket) == f"/satisfaction/recoveries/{recovery.ticket.reference}/"


def test_front_desk_cannot_close_a_recovery(org):
    recovery = unhappy_recovery(org)
    response = client_for(org.clerk).post(
        f"/satisfaction/recoveries/{recovery.ticket.reference}/close/",
        {"action_taken": "x", "now_satisfied": "yes"},
    )
    assert response.status_code == 403


def test_figures_page_for_supervisors_with_drill_down(org):
    unhappy_recovery(org)
    client = client_for(org.supervisor)
    page = client.get(
        "/satisfaction/figures/", {"start": "2026-03-01", "end": "2026-03-31", "group_by": "outlet"}
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert "解放碑营业厅" in html and "0.0%" in html and "Satisfaction rate = answers with overall 5" in html
    assert "answers/?unit=&amp;start=2026-03-01&amp;end=2026-03-31&amp;group_by=outlet&amp;key=OUT01" in html
    drill = client.get(
        "/satisfaction/answers/",
        {
            "start": "2026-03-01",
            "end": "2026-03-31",
            "group_by": "outlet",
            "key": "OUT01",
            "state": "unsatisfied",
        },
    )
    assert drill.status_code == 200 and "迟到两小时" in drill.content.decode()
    assert client_for(org.clerk).get("/satisfaction/figures/").status_code == 403


def test_figures_form_errors_are_shown(org):
    page = client_for(org.supervisor).get(
        "/satisfaction/figures/", {"start": "2026-03-31", "end": "2026-03-01"}
    )
    assert page.status_code == 200 and "The end date is before the start date." in page.content.decode()


def test_every_survey_list_masks_phones(org):
    closed_case(org)
    html = client_for(org.supervisor).get(
        "/satisfaction/answers/", {"start": "2026-03-01", "end": "2026-03-31"}
    )
    assert org.customer.mobile not in html.content.decode()
    assert Survey.objects.count() == 1


def test_the_callback_ticket_opens_on_its_survey_page(org, callback_case):
    from tickets.hooks import detail_url_for

    callback = survey_of(callback_case).callback_ticket
    assert detail_url_for(callback) == f"/satisfaction/surveys/{callback.reference}/"
    page = client_for(org.agent).get(detail_url_for(callback))
    assert page.status_code == 200 and callback_case.reference in page.content.decode()
