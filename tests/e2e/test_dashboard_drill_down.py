"""A branch manager opens the SLA dashboard, drills from a red outlet into its breached deadlines
in the queue, and exports the outlets' table."""

import csv
import datetime as dt
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from dashboards import services as dashboard_services
from dashboards.models import Measure
from tests.dashboards.conftest import DashOrg, deadline

pytestmark = pytest.mark.django_db(transaction=True)


def test_branch_manager_drills_from_a_red_outlet_into_its_breached_cases_and_exports(
    browser, base_url, login, wait, screenshot, tmp_path
):
    org = DashOrg()
    org.branch_manager.set_password("branch-pass-2026")
    org.branch_manager.save(update_fields=["password"])
    now = timezone.now()
    dashboard_services.set_target(
        measure=Measure.ON_TIME_RATE,
        org_unit=org.centre,
        value=Decimal(90),
        valid_from=dt.date(2020, 1, 1),
        actor=org.centre_manager,
        now=now,
    )
    breached = [deadline(org, due_at=now - dt.timedelta(minutes=m), org_unit=org.outlet) for m in (5, 10)]
    deadline(
        org, due_at=now - dt.timedelta(minutes=5), met_at=now - dt.timedelta(minutes=30), org_unit=org.outlet2
    )
    day = timezone.localdate(now - dt.timedelta(minutes=10))

    login(browser, "branchmgr", "branch-pass-2026")
    browser.get(f"{base_url}/dashboards/?period=range&start={day}&end={timezone.localdate(now)}")
    red = wait(browser, ec.presence_of_element_located((By.CSS_SELECTOR, ".scorecard tr.card-red")))
    assert red.get_attribute("data-unit") == "OUT01"
    assert "解放碑营业厅" in red.text
    green = browser.find_element(By.CSS_SELECTOR, ".scorecard tr.card-green")
    assert green.get_attribute("data-unit") == "OUT02"
    screenshot(browser, "dashboard-branch-scorecard")

    red.find_element(By.CSS_SELECTOR, "a.drill-breached").click()
    count = wait(browser, ec.presence_of_element_located((By.CSS_SELECTOR, ".drill-count")))
    assert "共有 2 个时限节点" in count.text
    listed = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "table.queue tbody td:first-child a")]
    assert sorted(listed) == sorted(t.reference for t in breached)
    screenshot(browser, "dashboard-drill-breached")

    browser.back()
    browser.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)}
    )
    wait(browser, ec.element_to_be_clickable((By.LINK_TEXT, "CSV"))).click()
    deadline_at = time.monotonic() + 10
    files = []
    while time.monotonic() < deadline_at and not files:
        files = [p for p in Path(tmp_path).glob("units-*.csv")]
        if not files:
            time.sleep(0.1)
    assert files, "the CSV export was not downloaded"
    rows = list(csv.reader(files[0].read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0][:3] == ["编码", "营业厅", "考核数"]  # the page's column titles, in the browser's language
    by_code = {row[0]: row for row in rows[1:]}
    assert by_code["OUT01"][5] == "2" and by_code["OUT02"][3] == "1"
