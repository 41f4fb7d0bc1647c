"""Front desk intake in a real browser: find the customer, pick the service, see the promised dates
appear (JavaScript preview), create the ticket and get the printable receipt."""

import re

import pytest
from django.urls import reverse
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select

from tests.tickets.factories import Org
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)

DUE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")


def test_front_desk_clerk_creates_a_ticket_and_prints_the_receipt(browser, base_url, login, wait, screenshot):
    org = Org()
    org.clerk.set_password("desk-pass-2026")
    org.clerk.save(update_fields=["password"])
    login(browser, "clerk", "desk-pass-2026")

    browser.get(base_url + reverse("tickets:new"))
    search = browser.find_element(By.ID, "customer-q")
    search.send_keys(org.customer.account_no)
    search.submit()
    wait(browser, ec.element_to_be_clickable((By.CSS_SELECTOR, "a.choose-customer"))).click()
    wait(browser, ec.presence_of_element_located((By.CSS_SELECTOR, ".customer-summary")))
    assert org.customer.account_no in browser.find_element(By.CSS_SELECTOR, ".customer-summary").text

    # No promised dates until a service is chosen; then they appear without a page load.
    preview = browser.find_element(By.ID, "deadline-preview")
    assert not preview.find_elements(By.TAG_NAME, "table")
    Select(browser.find_element(By.NAME, "service_type")).select_by_value("INS-RES")
    rows = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#deadline-preview tbody tr"))
    codes = [row.get_attribute("data-code") for row in rows]
    assert codes[:2] == ["accept", "survey_design"]
    assert DUE.search(rows[1].text)
    assert not browser.find_element(By.CSS_SELECTOR, "button[value=preview]").is_displayed()  # JS did it
    screenshot(browser, "ticket-intake-preview")

    browser.find_element(By.NAME, "description").send_keys("新房通气报装，资料齐全")
    browser.find_element(By.CSS_SELECTOR, "button[value=create]").click()
    reference = wait(browser, ec.presence_of_element_located((By.CSS_SELECTOR, ".receipt .reference"))).text
    assert re.fullmatch(r"GS\d{8}-\d{5}", reference)
    ticket = Ticket.objects.get(reference=reference)
    assert ticket.customer == org.customer and ticket.service_type.code == "INS-RES"
    receipt = browser.find_element(By.CSS_SELECTOR, ".receipt").text
    assert org.customer.account_no in receipt and "新房通气报装" in receipt
    assert DUE.search(receipt)
    assert browser.find_element(By.CSS_SELECTOR, "button[data-print]").is_displayed()
    screenshot(browser, "ticket-receipt")
    # Printed: only the receipt (no navigation bar, buttons or messages).
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert not browser.find_element(By.CSS_SELECTOR, "header.topbar").is_displayed()
        assert not browser.find_element(By.CSS_SELECTOR, "button[data-print]").is_displayed()
        assert browser.find_element(By.CSS_SELECTOR, ".receipt .reference").is_displayed()
        screenshot(browser, "ticket-receipt-print")
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})

    # The ticket page counts down to each deadline (the absolute time stays in the tooltip).
    detail_url = reverse("tickets:detail", args=[reference])
    browser.find_element(By.CSS_SELECTOR, f".receipt-tools a[href='{detail_url}']").click()
    countdown = wait(browser, ec.presence_of_element_located((By.CSS_SELECTOR, ".countdown[data-countdown]")))
    wait(browser, lambda d: not DUE.search(countdown.text))
    assert DUE.search(countdown.get_attribute("title"))
    screenshot(browser, "ticket-detail")

    browser.get(base_url + reverse("tickets:queue") + "?scope=team")
    wait(browser, ec.presence_of_element_located((By.LINK_TEXT, reference)))
    assert browser.find_element(By.CSS_SELECTOR, "table.queue .badge[class*=sla-]").text
    screenshot(browser, "ticket-queue")
