"""Browser harness: headless Debian Chromium driven by Selenium against pytest-django's live server.

Fixtures: `browser` (desktop, 1280x900) and `phone_browser` (390x844, mobile emulation), both with a
Chinese browser language like the service centre's own PCs; `base_url`; `login(browser, user)`;
`screenshot(browser, name)` writes test-artifacts/<name>.png (E2E_ARTIFACTS_DIR), and a failing
test leaves a screenshot of its last page there too.
"""

import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_BINARY", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
ARTIFACTS_DIR = Path(
    os.environ.get("E2E_ARTIFACTS_DIR", Path(__file__).resolve().parents[2] / "test-artifacts")
)
DESKTOP_SIZE = (1280, 900)
PHONE_METRICS = {"width": 390, "height": 844, "pixelRatio": 3.0}
PHONE_USER_AGENT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
WAIT_SECONDS = 10


def pytest_collection_modifyitems(items):
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"e2e_report_{report.when}", report)
    return report


def screenshot(browser, name: str) -> Path:
    """Save the current page as test-artifacts/<name>.png and return the path."""
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS_DIR / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
    browser.save_screenshot(str(path))
    return path


def _require_chromium():
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not shutil.which(p)]
    if missing:
        reason = f"browser tests need Debian's chromium and chromium-driver (missing: {', '.join(missing)})"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(reason)
        pytest.skip(reason)


def _start_chromium(*, phone: bool):
    _require_chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile_dir = tempfile.mkdtemp(prefix="gasservice-chromium-")
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--disable-extensions",
        "--no-first-run",
        "--no-default-browser-check",
        "--lang=zh-CN",
        f"--user-data-dir={profile_dir}",
    ):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"intl.accept_languages": "zh-CN,zh"})
    if phone:
        options.add_experimental_option(
            "mobileEmulation", {"deviceMetrics": PHONE_METRICS, "userAgent": PHONE_USER_AGENT}
        )
    else:
        options.add_argument(f"--window-size={DESKTOP_SIZE[0]},{DESKTOP_SIZE[1]}")
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.implicitly_wait(0)
    driver.set_page_load_timeout(30)
    return driver, profile_dir


def _session_driver(phone: bool):
    driver, profile_dir = _start_chromium(phone=phone)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def _desktop_driver():
    yield from _session_driver(phone=False)


@pytest.fixture(scope="session")
def _phone_driver():
    yield from _session_driver(phone=True)


def _fresh(driver, request, live_server, kind: str):
    """Each test starts signed out on a blank page; a failing test leaves a screenshot behind."""
    driver.get(live_server.url + "/static/css/app.css")
    driver.delete_all_cookies()
    yield driver
    report = getattr(request.node, "e2e_report_call", None)
    if report is not None and report.failed:
        screenshot(driver, f"FAILED-{kind}-{request.node.name}")


@pytest.fixture
def browser(_desktop_driver, request, live_server):
    yield from _fresh(_desktop_driver, request, live_server, "desktop")


@pytest.fixture
def phone_browser(_phone_driver, request, live_server):
    yield from _fresh(_phone_driver, request, live_server, "phone")


@pytest.fixture
def base_url(live_server) -> str:
    return live_server.url


@pytest.fixture
def wait():
    """wait(browser, condition) -> WebDriverWait(browser, 10).until(condition)."""
    from selenium.webdriver.support.ui import WebDriverWait

    def _wait(driver, condition, timeout: float = WAIT_SECONDS):
        return WebDriverWait(driver, timeout).until(condition)

    return _wait


@pytest.fixture
def login(base_url, wait):
    """Sign a user in through the real login form: login(browser, username, password)."""
    from django.urls import reverse
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    def _login(driver, username: str, password: str):
        driver.get(base_url + reverse("login"))
        driver.find_element(By.NAME, "username").send_keys(username)
        driver.find_element(By.NAME, "password").send_keys(password)
        driver.find_element(By.XPATH, "//input[@name='password']/ancestor::form//*[@type='submit']").click()
        wait(driver, ec.url_changes(base_url + reverse("login")))
        return driver

    return _login


@pytest.fixture(name="screenshot")
def screenshot_fixture():
    return screenshot
