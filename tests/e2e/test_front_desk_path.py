"""The front desk's whole path in a real browser (search by the last 4 digits, the customer page,
"new ticket", the receipt printed on one A4 page), a supervisor's transfer, and a service ticket's
reply read by the customer on the tracking page."""

import base64
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select

from accounts.models import OrganisationProfile, OrgUnit, Role
from notifications.models import Notification
from tests.tickets.factories import Org, make_ticket, staff
from tickets import services
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)

A4 = {"paperWidth": 8.27, "paperHeight": 11.69, "preferCSSPageSize": True, "printBackground": False}


def _with_password(user, password="desk-pass-2026"):
    user.set_password(password)
    user.save(update_fields=["password"])
    return password


def _pdf_pages(browser) -> int:
    pdf = base64.b64decode(browser.execute_cdp_cmd("Page.printToPDF", A4)["data"])
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))


def test_front_desk_search_customer_page_new_ticket_and_one_page_receipt(
    browser, base_url, login, wait, screenshot, settings
):
    settings.SMS_BACKEND = "console"
    OrganisationProfile.objects.create(
        name="山城燃气有限公司",
        sms_signature="山城燃气",
        hotline="023-96577",
        website="https://gas.example.cn",
    )
    org = Org()
    org.outlet.address, org.outlet.phone = "渝中区民族路168号", "023-63800101"
    org.outlet.opening_hours = "周一至周日 8:30-17:30"
    org.outlet.save()
    earlier = make_ticket(org, now=timezone.now())
    login(browser, "clerk", _with_password(org.clerk))

    browser.get(base_url + reverse("accounts:customer_list") + f"?q={org.customer.mobile[-4:]}")
    wait(
        browser,
        ec.element_to_be_clickable(
            (
                By.CSS_SELECTOR,
                f"a[href='{reverse('accounts:customer_detail', args=[org.customer.account_no])}']",
            )
        ),
    ).click()
    cases = wait(browser, ec.presence_of_element_located((By.ID, "customer-cases")))
    assert earlier.reference in cases.text
    screenshot(browser, "front-desk-customer-page")

    browser.find_element(
        By.CSS_SELECTOR, f"a[href='/tickets/new/?customer={org.customer.account_no}']"
    ).click()
    wait(browser, ec.presence_of_element_located((By.CSS_SELECTOR, ".customer-summary")))
    Select(browser.find_element(By.NAME, "service_type")).select_by_value("INS-RES")
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#deadline-preview tbody tr"))
    browser.find_element(By.NAME, "description").send_keys("新房通气报装，资料齐全")
    browser.find_element(By.CSS_SELECTOR, "button[value=create]").click()
    reference = wait(browser, ec.presence_of_element_located((By.CSS_SELECTOR, ".receipt .reference"))).text
    ticket = Ticket.objects.get(reference=reference)
    assert ticket.status == "accepted"  # taken at the desk: accepted at once
    receipt = browser.find_element(By.CSS_SELECTOR, ".receipt").text
    assert "山城燃气有限公司" in receipt and "023-96577" in receipt and "周一至周日 8:30-17:30" in receipt
    assert f"/track/?reference={reference}" in receipt
    assert browser.find_element(By.CSS_SELECTOR, ".track-qr svg").is_displayed()
    screenshot(browser, "front-desk-receipt")
    assert _pdf_pages(browser) == 1


def test_supervisor_transfers_a_case_to_the_neighbouring_outlet(browser, base_url, login, wait, screenshot):
    org = Org()
    receiver = staff(username="supervisor2", role=Role.OUTLET_SUPERVISOR, org_unit=org.outlet2)
    ticket = make_ticket(org, now=timezone.now())
    services.assign_ticket(ticket=ticket, assignee=org.tech, actor=org.supervisor, now=timezone.now())
    login(browser, "supervisor", _with_password(org.supervisor))
    browser.get(base_url + reverse("tickets:detail", args=[ticket.reference]))
    form = wait(browser, ec.presence_of_element_located((By.ID, "transfer-form")))
    Select(form.find_element(By.NAME, "org_unit")).select_by_value(org.outlet2.code)
    form.find_element(By.NAME, "reason").send_keys("客户住在较场口")
    screenshot(browser, "transfer-form")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    # The case has left the supervisor's outlet: the page after the transfer is theirs no longer.
    wait(browser, lambda d: Ticket.objects.get(pk=ticket.pk).org_unit_id == org.outlet2.pk)
    ticket.refresh_from_db()
    assert ticket.assignee is None
    assert Notification.objects.filter(recipient=receiver, kind="transfer", ticket=ticket).exists()

    browser.delete_all_cookies()
    login(browser, "supervisor2", _with_password(receiver))
    browser.get(base_url + reverse("tickets:detail", args=[ticket.reference]))
    timeline = wait(browser, ec.presence_of_element_located((By.CSS_SELECTOR, "ol.timeline"))).text
    assert "解放碑营业厅 → 较场口营业厅" in timeline and "客户住在较场口" in timeline
    screenshot(browser, "transfer-timeline")
    assert OrgUnit.objects.get(code="OUT02").tickets.filter(pk=ticket.pk).exists()


def test_a_service_ticket_reply_is_seen_on_tracking(browser, base_url, login, wait, screenshot, settings):
    settings.SMS_BACKEND = "console"
    org = Org()
    ticket = make_ticket(org, now=timezone.now())
    login(browser, "clerk", _with_password(org.clerk))
    browser.get(base_url + reverse("tickets:detail", args=[ticket.reference]))
    form = wait(browser, ec.presence_of_element_located((By.ID, "reply-form")))
    form.find_element(By.NAME, "text").send_keys("师傅将于明天上午上门检修。")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(browser, lambda d: Notification.objects.filter(ticket=ticket, kind="reply").exists())

    browser.delete_all_cookies()
    browser.get(base_url + f"/track/?reference={ticket.reference}")
    browser.find_element(By.NAME, "phone").send_keys(org.customer.mobile)
    browser.find_element(By.CSS_SELECTOR, "#track-form button[type=submit]").click()
    status = wait(browser, ec.presence_of_element_located((By.ID, "case-status"))).text
    assert "师傅将于明天上午上门检修。" in status and ticket.reference in status
    screenshot(browser, "tracking-reply")
