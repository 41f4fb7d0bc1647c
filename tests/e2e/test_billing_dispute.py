"""The front desk explains a bill and registers a dispute on it; a supervisor approves the adjustment.

Headless Chromium (tests/e2e/conftest.py), Chinese pages; screenshots in test-artifacts/.
"""

import datetime as dt

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select

from billing.models import Adjustment, Dispute, ReadingSource
from billing.seed import seed_billing_rules
from tests.billing.factories import bills_from, meter
from tests.tickets.factories import Org

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "billing-pass-2026"


def month_start(day, back):
    month = day.year * 12 + day.month - 1 - back
    return dt.date(month // 12, month % 12 + 1, 1)


def test_front_desk_explains_a_bill_registers_a_dispute_and_a_supervisor_approves(
    browser, base_url, login, wait, screenshot
):
    org = Org()
    seed_billing_rules()
    for user in (org.clerk, org.supervisor):
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    today = timezone.localdate()
    first, second, third = month_start(today, 5), month_start(today, 3), month_start(today, 1)
    bills, readings = bills_from(
        meter(org.customer), [(first, 1000), (second, 1080), (third, 1200, ReadingSource.ESTIMATED)]
    )
    disputed = bills[1]

    # The front desk opens the customer and the bill's explanation, line by line.
    login(browser, org.clerk.username, PASSWORD)
    browser.get(f"{base_url}/customers/{org.customer.account_no}/")
    section = browser.find_element(By.ID, "billing")
    assert "燃气表、抄表与账单" in section.text and "估抄" in section.text
    section.find_element(By.CSS_SELECTOR, f"a[href='/billing/bills/{disputed.external_id}/']").click()
    wait(browser, ec.presence_of_element_located((By.CSS_SELECTOR, ".explain-sentences")))
    assert "燃气账单逐项说明" in browser.page_source
    assert "120.000 m³" in browser.find_element(By.CSS_SELECTOR, ".explain-sentences").text
    screenshot(browser, "billing-bill-explained-zh-Hans")

    # ... and registers a dispute on it: the estimate was too high.
    browser.find_element(By.PARTIAL_LINK_TEXT, "对此账单登记争议").click()
    form = wait(browser, ec.presence_of_element_located((By.CSS_SELECTOR, "form.dispute-form")))
    Select(form.find_element(By.NAME, "kind")).select_by_value("estimate")
    assert form.find_element(By.CSS_SELECTOR, f"input[name=bills][value='{disputed.pk}']").is_selected()
    form.find_element(By.NAME, "description").send_keys("客户认为估抄读数偏高")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(browser, ec.presence_of_element_located((By.ID, "step-reread")))
    dispute = Dispute.objects.get()
    assert dispute.reference in browser.title

    # The re-read two days later, then the proposal: above the front desk's limit.
    reread = browser.find_element(By.ID, "step-reread")
    browser.execute_script(
        "arguments[0].value = arguments[1]",
        reread.find_element(By.NAME, "reread-read_on"),
        (third + dt.timedelta(days=2)).isoformat(),
    )
    reread.find_element(By.NAME, "reread-value_m3").send_keys("1130")
    reread.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(browser, ec.presence_of_element_located((By.ID, "step-propose")))
    assert "1130.000 m³" in browser.find_element(By.CSS_SELECTOR, ".corrected-reading").text
    browser.find_element(By.CSS_SELECTOR, "#step-propose button[type=submit]").click()
    note = wait(browser, ec.presence_of_element_located((By.CSS_SELECTOR, ".four-eyes-note")))
    assert "须由另一人" in note.text
    assert not browser.find_elements(By.ID, "step-approve")
    assert browser.find_element(By.CSS_SELECTOR, ".rebill-chart")
    adjustment = Adjustment.objects.get()
    assert adjustment.status == "proposed" and adjustment.amount < -50
    assert str(adjustment.amount) in browser.find_element(By.CSS_SELECTOR, ".rebill-total").text
    screenshot(browser, "billing-dispute-proposed-zh-Hans")

    # A supervisor approves it.
    browser.delete_all_cookies()
    login(browser, org.supervisor.username, PASSWORD)
    browser.get(f"{base_url}/billing/disputes/{dispute.reference}/")
    browser.find_element(By.CSS_SELECTOR, "#step-approve button[type=submit]").click()
    wait(browser, ec.presence_of_element_located((By.ID, "step-apply")))
    adjustment.refresh_from_db()
    assert adjustment.status == "approved" and adjustment.approved_by == org.supervisor
    assert "调账已审批" in browser.find_element(By.CSS_SELECTOR, ".dispute-steps").text
    screenshot(browser, "billing-dispute-approved-zh-Hans")
