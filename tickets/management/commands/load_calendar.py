"""manage.py load_calendar [--year Y ...]: refresh China's official schedule from the package."""

from django.core.management.base import BaseCommand, CommandError

from tickets.calendars import (
    CN_OFFICE_CODE,
    available_china_years,
    package_source,
    recompute_provisional_deadlines,
    seed_china_calendar,
)
from tickets.models import WorkCalendar


class Command(BaseCommand):
    help = "Load public holidays and make-up working days from the chinesecalendar package."

    def add_arguments(self, parser):
        parser.add_argument(
            "--year",
            type=int,
            action="append",
            dest="years",
            help="Year to load (repeatable); default: every year known from 2020.",
        )
        parser.add_argument("--calendar", default=CN_OFFICE_CODE, help="Calendar code (default CN-OFFICE).")

    def handle(self, *args, years=None, calendar=CN_OFFICE_CODE, **options):
        known = set(available_china_years(first=min(years or [2020])))
        unknown = sorted(set(years or []) - known)
        if unknown:
            raise CommandError(
                f"{package_source()} has no official schedule for {', '.join(map(str, unknown))}; "
                "upgrade the package once the State Council has published it."
            )
        cal = WorkCalendar.objects.filter(code=calendar).first()
        if cal is None and calendar != CN_OFFICE_CODE:
            raise CommandError(f"No working calendar with code {calendar!r}.")
        loaded = seed_china_calendar(cal, years)
        cal = cal or WorkCalendar.objects.get(code=CN_OFFICE_CODE)
        recomputed = recompute_provisional_deadlines(cal)
        self.stdout.write(
            f"{cal.code}: loaded {', '.join(map(str, loaded))} from {package_source()}; "
            f"{recomputed} provisional deadlines recomputed."
        )
