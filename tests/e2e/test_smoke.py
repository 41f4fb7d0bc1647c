"""Smoke test of the browser harness: the login page is Chinese and a staff member gets in."""

import re

from django.urls import reverse
from selenium.webdriver.common.by import By

from accounts.models import OrgUnit, Role
from tests.factories import OrgUnitFactory, StaffFactory

HAN = re.compile(r"[\u4e00-\u9fff]")


def test_login_page_is_chinese_and_a_front_desk_clerk_logs_in(browser, base_url, login, screenshot):
    outlet = OrgUnitFactory(code="E2E-OUT", name="解放碑营业厅", kind=OrgUnit.Kind.OUTLET)
    StaffFactory(username="clerk", first_name="王", role=Role.FRONT_DESK, org_unit=outlet)

    browser.get(base_url + reverse("login"))
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-hans"
    assert HAN.search(browser.find_element(By.TAG_NAME, "body").text)
    screenshot(browser, "smoke-login-desktop")

    login(browser, "clerk", "pass-12345")

    assert browser.current_url.rstrip("/") != (base_url + reverse("login")).rstrip("/")
    assert "王" in browser.find_element(By.TAG_NAME, "header").text
    screenshot(browser, "smoke-home-desktop")


def test_login_page_fits_a_phone(phone_browser, base_url, screenshot):
    phone_browser.get(base_url + reverse("login"))

    width = phone_browser.execute_script("return document.documentElement.scrollWidth")
    viewport = phone_browser.execute_script("return window.innerWidth")
    assert viewport == 390
    assert width <= viewport, "the login page scrolls sideways on a phone"
    screenshot(phone_browser, "smoke-login-phone")
