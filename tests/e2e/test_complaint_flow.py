"""A customer complains from a phone and follows the answer; an agent acknowledges and answers it.

Headless Chromium (tests/e2e/conftest.py): the public form on a phone-sized screen in both
languages (screenshots in test-artifacts/), an attachment, the reference, tracking; the agent's
complaint page; the answer on the customer's tracking page.
"""

import re

import pytest
from django.urls import reverse
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select

from complaints.models import Complaint
from complaints.seed import seed_complaint_categories
from tests.complaints.factories import PNG_BYTES
from tests.tickets.factories import Org

pytestmark = pytest.mark.django_db(transaction=True)

ANSWER = "王先生您好：经核实，您的账单已更正，多收的费用将在下月账单中抵扣。"


def track(browser, base_url, wait, reference, phone):
    browser.get(f"{base_url}{reverse('complaints:track')}?reference={reference}")
    assert browser.find_element(By.NAME, "reference").get_attribute("value") == reference
    browser.find_element(By.NAME, "phone").send_keys(phone)
    browser.find_element(By.CSS_SELECTOR, "#track-form button[type=submit]").click()
    return wait(browser, ec.presence_of_element_located((By.ID, "complaint-status")))


def test_customer_complains_from_a_phone_and_sees_the_agents_answer(
    phone_browser, browser, base_url, login, wait, screenshot, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.SMS_BACKEND = "console"
    seed_complaint_categories()
    org = Org()
    org.agent.set_password("agent-pass-2026")
    org.agent.first_name = "刘芳"
    org.agent.save(update_fields=["password", "first_name"])
    photo = tmp_path / "meter.png"
    photo.write_bytes(PNG_BYTES)

    # The form opens in Chinese (the phone's language); then the customer switches to English.
    phone = phone_browser
    phone.get(base_url + reverse("complaints:new"))
    assert "我要投诉" in phone.page_source or "投诉" in phone.title
    assert phone.execute_script("return document.documentElement.clientWidth") <= 400
    screenshot(phone, "complaint-form-zh-Hans")
    Select(phone.find_element(By.ID, "lang-select")).select_by_value("en")
    wait(phone, ec.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Make a complaint"))
    screenshot(phone, "complaint-form-en")

    form = phone.find_element(By.ID, "complaint-form")
    form.find_element(By.NAME, "name").send_keys("王小明")
    form.find_element(By.NAME, "phone").send_keys("13900005555")
    form.find_element(By.NAME, "address").send_keys("渝中区民族路88号")
    Select(form.find_element(By.NAME, "category")).select_by_value("billing.arrears_dispute")
    form.find_element(By.NAME, "description").send_keys("账单显示欠费，但我上月已经缴清。")
    form.find_element(By.NAME, "requested_remedy").send_keys("请核实并更正账单")
    form.find_element(By.NAME, "attachments").send_keys(str(photo))
    # Without consent the form comes back with the reason and keeps what was typed.
    form.find_element(By.ID, "submit-complaint").click()
    wait(phone, ec.presence_of_element_located((By.CSS_SELECTOR, ".consent .errorlist")))
    assert phone.find_element(By.NAME, "name").get_attribute("value") == "王小明"
    phone.find_element(By.NAME, "attachments").send_keys(str(photo))  # browsers never keep a chosen file
    consent = phone.find_element(By.NAME, "consent")
    phone.execute_script("arguments[0].scrollIntoView({block: 'center'})", consent)
    consent.click()
    phone.find_element(By.ID, "submit-complaint").click()

    reference = wait(phone, ec.presence_of_element_located((By.ID, "complaint-reference"))).text
    assert re.fullmatch(r"GS\d{8}-\d{5}", reference)
    screenshot(phone, "complaint-submitted")
    complaint = Complaint.objects.select_related("ticket").get(ticket__reference=reference)
    assert complaint.ticket.attachments.count() == 1
    phone.find_element(By.ID, "track-link").click()
    status = track(phone, base_url, wait, reference, "13900005555")
    assert "Received" in status.text
    assert "No answer yet" in status.text

    # The agent acknowledges and answers on the complaint page.
    login(browser, "agent", "agent-pass-2026")
    browser.get(base_url + reverse("complaints:detail", args=[reference]))
    assert "账单显示欠费" in browser.find_element(By.CSS_SELECTOR, ".complaint-description").text
    browser.find_element(By.ID, "acknowledge-button").click()
    composer = wait(browser, ec.presence_of_element_located((By.ID, "response-form")))
    composer.find_element(By.NAME, "response-response_text").send_keys(ANSWER)
    Select(composer.find_element(By.NAME, "response-remedy")).select_by_value("correction")
    screenshot(browser, "complaint-reply-composer")
    composer.find_element(By.ID, "respond-button").click()
    wait(browser, ec.presence_of_element_located((By.CSS_SELECTOR, ".complaint-answer")))
    assert ANSWER in browser.find_element(By.CSS_SELECTOR, ".complaint-answer").text
    complaint.refresh_from_db()
    assert complaint.acknowledged_at and complaint.response_text == ANSWER

    # The timeline tells the steps in the reader's language, with the agent's full name.
    timeline = browser.find_element(By.CSS_SELECTOR, "ol.timeline")
    assert "已确认受理投诉" in timeline.text and "补救措施：更正" in timeline.text and "刘芳" in timeline.text
    browser.execute_script("arguments[0].scrollIntoView()", timeline)
    screenshot(browser, "complaint-timeline-zh-Hans")
    Select(browser.find_element(By.ID, "lang-select")).select_by_value("en")
    wait(
        browser, ec.text_to_be_present_in_element((By.CSS_SELECTOR, "ol.timeline"), "Complaint acknowledged")
    )
    timeline = browser.find_element(By.CSS_SELECTOR, "ol.timeline")
    assert (
        "Answer sent" in timeline.text and "remedy: Correction" in timeline.text and "刘芳" in timeline.text
    )
    browser.execute_script("arguments[0].scrollIntoView()", timeline)
    screenshot(browser, "complaint-timeline-en")

    # The customer sees the answer (and nothing internal).
    status = track(phone, base_url, wait, reference, "13900005555")
    assert ANSWER in status.find_element(By.CSS_SELECTOR, ".complaint-reply").text
    assert "Answered" in status.text
    assert "agent" not in status.text.lower()
    screenshot(phone, "complaint-tracking-answered")
