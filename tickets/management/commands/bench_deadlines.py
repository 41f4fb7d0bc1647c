"""manage.py bench_deadlines [--n 100000]: time the deadline arithmetic per milestone (no database).

The calendar is CN-OFFICE from the chinesecalendar package, 2020-2026 official, 2027 unofficial
(weekends only, provisional); starts are random instants in 2020-2027; amounts are the published
standards' amounts per unit. Each call is timed on its own (perf_counter_ns) after a warm-up.
The last line is one JSON object: n, median_us, p95_us, per-unit figures and the verdict.
"""

import datetime as dt
import json
import random
import statistics
import time

from django.core.management.base import BaseCommand

from tickets import sla
from tickets.calendars import available_china_years, china_snapshot, package_source

AMOUNTS = {
    "minutes": [10, 30, 40, 60],
    "hours": [2, 4, 6, 12, 24, 36, 48],
    "days": [2, 3, 10, 30],
    "working_hours": [1, 2],
    "working_days": [0, 1, 3, 5, 7, 12, 30],
}


def _percentile(values: list[int], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


class Command(BaseCommand):
    help = "Benchmark the deadline computation (median/p95 microseconds per milestone, per unit)."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--n", type=int, default=100_000, help="Milestones per unit (default 100000).")
        parser.add_argument("--seed", type=int, default=12345)

    def handle(self, *args, n, seed, **options):
        rng = random.Random(seed)
        years = available_china_years()
        cal = china_snapshot(years)
        tz = cal.tz
        first = dt.datetime(2020, 1, 1, tzinfo=tz)
        span = int((dt.datetime(2028, 1, 1, tzinfo=tz) - first).total_seconds())
        self.stdout.write(
            f"calendar CN-OFFICE from {package_source()}: official {years[0]}-{years[-1]}, "
            f"{years[-1] + 1} unofficial; {len(cal.holidays)} holidays, "
            f"{len(cal.makeup_days)} make-up days; n={n} per unit"
        )
        overall: list[int] = []
        rows = []
        clock = time.perf_counter_ns
        for unit, amounts in AMOUNTS.items():
            cases = [
                (first + dt.timedelta(seconds=rng.randrange(span)), rng.choice(amounts)) for _ in range(n)
            ]
            for start, amount in cases[:1000]:  # warm-up: builds the lazy per-year index
                sla.add_duration(cal, start, amount, unit)
            timings = []
            provisional = 0
            for start, amount in cases:
                t0 = clock()
                due = sla.add_duration(cal, start, amount, unit)
                timings.append(clock() - t0)
                provisional += due.is_provisional
            overall.extend(timings)
            rows.append(
                (unit, statistics.median(timings) / 1000, _percentile(timings, 0.95) / 1000, provisional)
            )
        self.stdout.write(f"{'unit':<15}{'median µs':>12}{'p95 µs':>10}{'provisional':>13}")
        for unit, median, p95, provisional in rows:
            self.stdout.write(f"{unit:<15}{median:>12.2f}{p95:>10.2f}{provisional:>13}")
        median = statistics.median(overall) / 1000
        p95 = _percentile(overall, 0.95) / 1000
        self.stdout.write(f"{'overall':<15}{median:>12.2f}{p95:>10.2f}")

        extra = []

        def warn(start):
            due = sla.add_duration(cal, start, 5, "working_days").at
            return sla.warn_at(cal, start, due, "working_days", 80)

        def between(start):
            return sla.working_time_between(cal, start, start + dt.timedelta(days=7))

        for name, call in (
            ("add_duration + warn_at 80% (5 working days)", warn),
            ("working_time_between (1 week)", between),
        ):
            timings = []
            for _ in range(min(n, 20_000)):
                start = first + dt.timedelta(seconds=rng.randrange(span))
                t0 = clock()
                call(start)
                timings.append(clock() - t0)
            extra.append((name, statistics.median(timings) / 1000))
        self.stdout.write("; ".join(f"{name}: median {value:.2f} µs" for name, value in extra))
        verdict = "OK" if median < 20 else "TOO SLOW"
        self.stdout.write(f"target: median < 20 µs per milestone -> {verdict}")
        report = {
            "n": n,
            "median_us": round(median, 2),
            "p95_us": round(p95, 2),
            "units": {
                unit: {"median_us": round(u_median, 2), "p95_us": round(u_p95, 2), "provisional": count}
                for unit, u_median, u_p95, count in rows
            },
            "other_median_us": {name: round(value, 2) for name, value in extra},
            "verdict": verdict,
        }
        self.stdout.write(json.dumps(report, ensure_ascii=False))
