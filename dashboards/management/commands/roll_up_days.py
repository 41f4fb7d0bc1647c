"""Run the nightly rollup now: every stale past day and yesterday, and the recent weeks' open backlogs.

After an upgrade whose migration marks the rolled days stale (the dashboards read them live until
they are rolled again), run this instead of waiting for 01:15. Each day commits on its own, so it
can be stopped and started again.
"""

from django.core.management.base import BaseCommand
from django.utils import timezone

from ... import backlogs, rollups


class Command(BaseCommand):
    help = "Roll up every stale past day and yesterday now, and count the recent weeks' open backlogs."

    def handle(self, *args, **options):
        now = timezone.now()
        days = rollups.days_to_roll(now=now)
        self.stdout.write(f"{len(days)} days to roll")
        for done, day in enumerate(days, 1):
            rows = rollups.roll_day(day, now=now)
            self.stdout.write(f"  {day}: {rows} rows ({done}/{len(days)})")
        weeks = backlogs.count_due_weeks(now=now)
        self.stdout.write(f"{len(weeks)} week starts' open backlogs counted")
