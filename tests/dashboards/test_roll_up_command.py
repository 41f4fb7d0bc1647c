"""`manage.py roll_up_days` does the nightly work now: the stale days are rolled and read fresh again."""

import datetime as dt
from io import StringIO

import time_machine
from django.core.management import call_command

from dashboards import rollups
from dashboards.models import BacklogWeek, RolledDay
from tests.tickets.factories import at

from .conftest import NOW, deadline


def test_the_command_rolls_the_stale_days_and_counts_the_backlogs(org):
    deadline(org, due_at=at(2026, 11, 18, 12), met_at=at(2026, 11, 18, 11))
    rollups.roll_day(dt.date(2026, 11, 18), now=NOW)
    RolledDay.objects.update(is_stale=True)  # as a migration that adds rollup columns leaves them
    out = StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("roll_up_days", stdout=out)
    assert not RolledDay.objects.filter(is_stale=True).exists()
    assert set(RolledDay.objects.values_list("day", flat=True)) == {
        dt.date(2026, 11, 18),
        dt.date(2026, 11, 19),
    }
    assert BacklogWeek.objects.exists()
    assert "2 days to roll" in out.getvalue()
