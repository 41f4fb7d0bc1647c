"""A customer answers the follow-up from the SMS link on a phone; the unhappy answer opens a service
recovery, and the outlet supervisor closes it, saying the customer is now satisfied.

Headless Chromium (tests/e2e/conftest.py), phone-sized screen for the customer, desktop for the
supervisor; screenshots in test-artifacts/.
"""

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from satisfaction.models import Recovery, SurveyRule
from satisfaction.seed import seed_satisfaction
from satisfaction.services import survey_link
from tests.satisfaction.factories import closed_case, survey_of
from tests.tickets.factories import Org

pytestmark = pytest.mark.django_db(transaction=True)


def choose(driver, name, value):
    radio = driver.find_element(By.CSS_SELECTOR, f"input[name='{name}'][value='{value}']")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", radio)
    radio.find_element(By.XPATH, "./ancestor::label").click()
    assert radio.is_selected()


def test_customer_answers_on_a_phone_and_the_supervisor_recovers(
    phone_browser, browser, base_url, login, wait, screenshot, settings
):
    settings.SMS_BACKEND = "console"
    seed_satisfaction()
    SurveyRule.objects.filter(service_type__code="RPR-RES").update(share_percent=100)
    org = Org()
    org.supervisor.set_password("supervisor-pass-2026")
    org.supervisor.save(update_fields=["password"])
    case = closed_case(org, now=timezone.now())
    survey = survey_of(case)
    settings.PUBLIC_BASE_URL = base_url
    link = survey_link(survey)

    # The link from the SMS opens the questionnaire in Chinese, sized for the phone, without script.
    phone = phone_browser
    phone.get(link)
    wait(phone, ec.presence_of_element_located((By.ID, "survey-form")))
    assert "请评价我们的服务" in phone.page_source and case.reference in phone.page_source
    assert phone.execute_script("return document.documentElement.clientWidth") <= 400
    assert phone.execute_script("return document.documentElement.scrollWidth") <= 400
    screenshot(phone, "survey-form-zh-Hans")

    for code in ("T1", "S1", "S2", "A1", "A2", "E1", "E2"):
        choose(phone, f"q_{code}", "4")
    choose(phone, "q_T2", "na")
    choose(phone, "q_R1", "1")  # they came two hours late
    choose(phone, "q_R2", "3")
    choose(phone, "solved", "no")
    phone.find_element(By.NAME, "comment").send_keys("师傅迟到两个小时，也没有提前打电话")
    # Forgetting the overall score: the page says so beside the question and keeps the answers.
    button = phone.find_element(By.ID, "send-answer")
    phone.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    button.click()
    wait(phone, ec.presence_of_element_located((By.CSS_SELECTOR, "#fs-overall .errorlist")))
    assert "请给出总体评分" in phone.find_element(By.ID, "fs-overall").text
    assert phone.find_element(By.CSS_SELECTOR, "input[name='q_R1'][value='1']").is_selected()
    screenshot(phone, "survey-form-missing-overall")
    choose(phone, "overall", "2")
    button = phone.find_element(By.ID, "send-answer")
    phone.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    button.click()
    thanks = wait(phone, ec.presence_of_element_located((By.ID, "survey-thanks")))
    assert "主管将在1个工作日内与您联系" in thanks.text
    screenshot(phone, "survey-thanks-recovery")
    # The link is used up.
    phone.get(link)
    assert "该回访已提交" in wait(phone, ec.presence_of_element_located((By.ID, "link-error"))).text

    recovery = Recovery.objects.select_related("ticket").get(survey=survey)
    assert recovery.ticket.assignee == org.supervisor
    assert recovery.reasons == ["overall_low", "item_at_1", "not_solved"]

    # The supervisor opens the recovery: the original case, the answer, the deadline; closes it.
    login(browser, "supervisor", "supervisor-pass-2026")
    browser.get(f"{base_url}/satisfaction/recoveries/{recovery.ticket.reference}/")
    page = wait(browser, ec.presence_of_element_located((By.ID, "recovery-close")))
    assert case.reference in browser.page_source and "师傅迟到两个小时" in browser.page_source
    screenshot(browser, "recovery-open")
    page.find_element(By.NAME, "action_taken").send_keys("主管当天致电道歉，重新预约上门并按时完成检修")
    choose(browser, "now_satisfied", "yes")
    page.find_element(By.ID, "close-recovery").click()
    result = wait(browser, ec.presence_of_element_located((By.ID, "recovery-result")))
    assert "客户现已满意" in result.text
    screenshot(browser, "recovery-closed")
    recovery.refresh_from_db()
    assert recovery.is_customer_satisfied is True and recovery.ticket.status == "closed"
