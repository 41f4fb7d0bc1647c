"""Early warnings on the dashboard: each one's next step is something its reader can do."""

import time_machine
from django.urls import reverse

from accounts.models import Role
from dashboards.warnings import missing_calendar_years
from tests.tickets.factories import at, staff

# Far enough ahead that the year after is never loaded in the tests' calendar.
LATE = at(2040, 6, 1, 10, 0)


def test_managers_are_told_who_loads_a_missing_holiday_schedule_not_sent_to_the_admin(org):
    for user in (org.supervisor, org.branch_manager, org.centre_manager):
        warnings = missing_calendar_years(user, now=LATE)
        assert warnings and {(w.action, w.url) for w in warnings} == {
            ("Ask an administrator to load the official schedule", "")
        }


def test_an_administrator_gets_the_link_to_the_holiday_schedules(org):
    admin = staff(username="admin1", role=Role.ADMINISTRATOR, org_unit=org.centre)
    admin.is_staff = admin.is_superuser = True
    admin.save(update_fields=["is_staff", "is_superuser"])
    warnings = missing_calendar_years(admin, now=LATE)
    assert warnings and {w.url for w in warnings} == {reverse("admin:tickets_calendaryear_changelist")}


def test_the_dashboard_shows_the_warning_without_a_dead_link(org, client):
    with time_machine.travel(LATE, tick=False):
        client.force_login(org.supervisor)
        html = client.get(reverse("dashboards:dashboard"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Ask an administrator to load the official schedule" in html
    assert reverse("admin:tickets_calendaryear_changelist") not in html
