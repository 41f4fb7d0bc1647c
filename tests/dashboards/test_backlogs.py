"""The early warning on growing backlogs: open cases at each week start, counted once the night after
(BacklogSnapshot) or read from the cases, by one rule, with the same result."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dashboards import backlogs, tasks
from dashboards.models import BacklogSnapshot, BacklogWeek
from dashboards.warnings import growing_backlogs
from tests.dashboards.conftest import NOW
from tests.tickets.factories import at, make_ticket
from tickets.models import Status, Ticket

# NOW is Friday 2026-11-20; the week starts of the last three weeks:
MONDAYS = [dt.date(2026, 11, 2), dt.date(2026, 11, 9), dt.date(2026, 11, 16)]


def case(org, code, *, received, closed=None, resolved=None, cancelled=False, unit=None):
    ticket = make_ticket(org, code=code, now=received)
    status = Status.IN_PROGRESS
    if cancelled:
        status = Status.CANCELLED
    elif closed or resolved:
        status = Status.CLOSED if closed else Status.RESOLVED
    Ticket.objects.filter(pk=ticket.pk).update(
        received_at=received,
        closed_at=closed,
        resolved_at=resolved or closed,
        status=status,
        org_unit=unit or org.outlet,
    )
    return ticket


@pytest.fixture
def cases(org):
    """Repairs pile up week after week; installations go up and down; a cancelled repair never counts."""
    # Repairs: 1 open at 11-02, 2 at 11-09, 3 at 11-16, 4 now.
    case(org, "RPR-RES", received=at(2026, 10, 30, 9, 0))
    case(org, "RPR-RES", received=at(2026, 11, 5, 9, 0))
    case(org, "RPR-RES", received=at(2026, 11, 12, 9, 0))
    case(org, "RPR-RES", received=at(2026, 11, 18, 9, 0))
    case(org, "RPR-RES", received=at(2026, 11, 1, 9, 0), cancelled=True)
    # Closed before the first week start: counts nowhere.
    case(org, "RPR-RES", received=at(2026, 10, 1, 9, 0), closed=at(2026, 10, 20, 9, 0))
    # Installations: open over 11-02 and 11-09, closed on 11-10; one resolved on 11-15, closed later.
    case(org, "INS-RES", received=at(2026, 10, 28, 9, 0), closed=at(2026, 11, 10, 9, 0))
    case(org, "INS-RES", received=at(2026, 11, 3, 9, 0), resolved=at(2026, 11, 15, 9, 0))
    # In another branch: outside the branch manager's scope.
    case(org, "RPR-RES", received=at(2026, 11, 17, 9, 0), unit=org.far_outlet)


def series(org, user, *, counted):
    counts = backlogs.open_counts(
        user, None, Ticket.objects.visible_to(user), MONDAYS, now=NOW, counted=counted
    )
    return {code: counts.get(pk, [0] * 4) for code, pk in org.type_pks.items()}


@pytest.fixture
def type_pks(org):
    from tickets.models import ServiceType

    org.type_pks = {code: ServiceType.objects.get(code=code).pk for code in ("RPR-RES", "INS-RES")}


def test_the_counted_weeks_equal_the_cases_and_the_hand_count(org, cases, type_pks):
    expected = {"RPR-RES": [1, 2, 3, 4], "INS-RES": [1, 2, 0, 0]}
    live = series(org, org.branch_manager, counted=True)  # nothing counted yet: read from the cases
    assert live == expected
    counted = backlogs.count_due_weeks(now=NOW, weeks=3)
    assert counted == MONDAYS
    assert BacklogWeek.objects.count() == 3
    assert series(org, org.branch_manager, counted=True) == expected
    # The whole group sees the far branch's repair too, from the snapshots as from the cases.
    whole = series(org, org.centre_manager, counted=True)
    assert whole["RPR-RES"] == [1, 2, 3, 5]
    assert whole == series(org, org.centre_manager, counted=False)


def test_the_warning_names_the_growing_type_and_links_its_backlog(org, cases, type_pks):
    for read_counted in (False, True):
        if read_counted:
            backlogs.count_due_weeks(now=NOW, weeks=3)
        warnings = growing_backlogs(org.branch_manager, org.branch, now=NOW)
        assert [w.kind for w in warnings] == ["backlog"]
        assert "1 → 2 → 3 → 4" in warnings[0].text
        assert "service_type=RPR-RES" in warnings[0].url
        assert f"org_unit={org.branch.code}" in warnings[0].url


def test_counted_weeks_read_no_closed_case(org, cases, type_pks):
    """Once counted, the warning reads the snapshots and the cases still open, not those closed since."""
    backlogs.count_due_weeks(now=NOW, weeks=3)
    with CaptureQueriesContext(connection) as queries:
        growing_backlogs(org.centre_manager, None, now=NOW)
    case_reads = [q["sql"] for q in queries.captured_queries if '"tickets_ticket"' in q["sql"]]
    assert len(case_reads) == 1
    assert '"status" IN' in case_reads[0]  # the open ones, by the open-status indexes


def test_the_nightly_run_counts_each_week_start_once(org, cases, type_pks, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    first = tasks.roll_up_days()
    assert first["backlog_weeks"][-3:] == [m.isoformat() for m in MONDAYS]
    rows = BacklogSnapshot.objects.count()
    assert tasks.roll_up_days()["backlog_weeks"] == []
    assert BacklogSnapshot.objects.count() == rows


def test_a_week_not_started_is_not_counted(org):
    with pytest.raises(ValueError):
        backlogs.count_week(dt.date(2026, 11, 23), now=NOW)
