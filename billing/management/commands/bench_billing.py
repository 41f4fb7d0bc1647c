"""Benchmark re-billing and the readings import on PostgreSQL, in a database of its own.

    python manage.py bench_billing --readings 1000000 --meters 50000 --rebills 200

Creates the database <name>_bench_billing (or --db), migrates it, and measures:
1. re-billing a customer's 24 monthly bills after a corrected reading (billing.services.
   rebill_from_reading, reads included), --rebills times over --customers customers: median
   and p95 in milliseconds;
2. importing --readings readings for --meters meters through the import path (streamed CSV,
   batches, COPY into staging, set-based merge): rows per second and the process's peak memory
   before and after (the file is written to a temporary file first, not kept in memory).
The last line is one JSON object with the figures.
"""

import datetime as dt
import json
import os
import resource
import statistics
import tempfile
import time
from decimal import Decimal

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections

MONTHS = 24


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


class Command(BaseCommand):
    help = (
        "Benchmark re-billing (ms per customer) and the readings import (rows/s, peak memory); own database."
    )

    def add_arguments(self, parser):
        parser.add_argument("--readings", type=int, default=1_000_000)
        parser.add_argument("--meters", type=int, default=50_000)
        parser.add_argument("--customers", type=int, default=20, help="customers with 24 months of bills")
        parser.add_argument("--rebills", type=int, default=200)
        parser.add_argument("--keep", action="store_true", help="do not drop the bench database afterwards")
        parser.add_argument(
            "--db", default="", help="name of the bench database (default <name>_bench_billing)"
        )

    def handle(self, *args, readings, meters, customers, rebills, keep, db, **options):
        if not settings.IS_POSTGRES:
            raise CommandError("bench_billing needs PostgreSQL (DATABASE_URL=postgres://...)")
        if meters < 1 or readings < meters:
            raise CommandError("--readings must be at least --meters, and --meters at least 1")
        base = connection.settings_dict["NAME"]
        name = db or f"{base}_bench_billing"
        if name == base:
            raise CommandError("the bench needs a database of its own, not the project's")
        self._create_database(name)
        connections["default"].close()
        connection.settings_dict["NAME"] = name
        try:
            self.stdout.write(f"migrating {name} ...")
            call_command("migrate", verbosity=0, interactive=False)
            rebill = self._bench_rebill(customers, rebills)
            load = self._bench_import(readings, meters)
        finally:
            connections["default"].close()
            connection.settings_dict["NAME"] = base
            if not keep:
                self._drop_database(name)
        report = {**rebill, **load, "load_average": [round(x, 2) for x in os.getloadavg()]}
        self.stdout.write(json.dumps(report))

    # ------------------------------------------------------------ the database of its own

    def _admin_connection(self):
        import psycopg

        params = connection.get_connection_params()
        params["dbname"] = "postgres"
        return psycopg.connect(**params, autocommit=True)

    def _create_database(self, name):
        conn = self._admin_connection()
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cur.execute(f'CREATE DATABASE "{name}"')
        conn.close()

    def _drop_database(self, name):
        conn = self._admin_connection()
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()

    # ------------------------------------------------------------ data

    def _outlet_and_category(self):
        from accounts.models import CustomerCategory, OrgUnit, Segment
        from billing.seed import seed_billing_rules

        outlet = OrgUnit.objects.create(code="B-OUT", name="bench outlet", kind=OrgUnit.Kind.OUTLET)
        category, _ = CustomerCategory.objects.get_or_create(
            code="residential", defaults={"name": "居民", "segment": Segment.RESIDENTIAL}
        )
        seed_billing_rules()
        return outlet, category

    def _bench_rebill(self, customers, rebills):
        """24 monthly bills per customer, the reading of month 12 disputed; re-bill with a lower value."""
        from accounts.models import Customer
        from billing import services
        from billing.models import Meter, MeterReading, ReadingSource

        outlet, category = self._outlet_and_category()
        self.stdout.write(f"re-billing: {customers} customers with {MONTHS} monthly bills each ...")
        cases = []
        for c in range(customers):
            customer = Customer.objects.create(
                account_no=f"{9000000000 + c}",
                name=f"bench {c}",
                category=category,
                address="bench",
                outlet=outlet,
            )
            meter = Meter.objects.create(
                serial=f"BR{c:06d}", customer=customer, meter_type="diaphragm", fitted_on=dt.date(2020, 1, 1)
            )
            value, rows = Decimal(1000), []
            for month in range(MONTHS + 1):
                day = dt.date(2025 + month // 12, month % 12 + 1, 1)
                value += Decimal(60 + (c * 7 + month * 13) % 50)
                source = ReadingSource.ESTIMATED if month == 12 else ReadingSource.ACTUAL
                rows.append(
                    MeterReading.objects.create(meter=meter, read_on=day, value_m3=value, source=source)
                )
            for i, (a, b) in enumerate(zip(rows, rows[1:], strict=False)):
                services.create_bill(
                    opening=a,
                    closing=b,
                    due_on=b.read_on + dt.timedelta(days=20),
                    external_id=f"BB{c:06d}-{i:02d}",
                )
            disputed = rows[12]
            cases.append((disputed, disputed.value_m3 - Decimal("30.5")))
        timings = []
        for i in range(rebills):
            disputed, corrected = cases[i % len(cases)]
            started = time.perf_counter()
            result = services.rebill_from_reading(disputed=disputed, corrected_value=corrected)
            timings.append((time.perf_counter() - started) * 1000)
            assert result.bills
        timings.sort()
        p95 = timings[min(len(timings) - 1, int(len(timings) * 0.95))]
        self.stdout.write(f"re-billing: median {statistics.median(timings):.2f} ms, p95 {p95:.2f} ms")
        return {
            "rebill_runs": rebills,
            "rebill_bills_per_customer": MONTHS,
            "rebill_median_ms": round(statistics.median(timings), 2),
            "rebill_p95_ms": round(p95, 2),
        }

    def _bench_import(self, readings, meters):
        from django.utils import timezone

        from billing.imports import run_import
        from billing.models import ImportRun, MeterReading

        per_meter = readings // meters
        with connection.cursor() as cur:
            cur.execute("SELECT id FROM accounts_customer ORDER BY id LIMIT 1")
            customer_id = cur.fetchone()[0]
            cur.execute(
                "INSERT INTO billing_meter (serial, meter_type, customer_id, fitted_on, status) "
                "SELECT 'BM' || lpad(g::text, 8, '0'), 'diaphragm', %s, DATE '2010-01-01', 'in_service' "
                "FROM generate_series(1, %s) g",
                [customer_id, meters],
            )
        self.stdout.write(
            f"import: writing {meters * per_meter} readings ({per_meter} per meter) to a file ..."
        )
        start_day = dt.date(2026, 12, 1) - dt.timedelta(days=per_meter)
        with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as handle:
            path = handle.name
            handle.write("external_id,meter_serial,read_on,value_m3,source\n")
            for m in range(1, meters + 1):
                serial = f"BM{m:08d}"
                lines = []
                for i in range(per_meter):
                    day = start_day + dt.timedelta(days=i)
                    lines.append(f"R{m}-{i},{serial},{day.isoformat()},{1000 + i * 3}.250,actual\n")
                handle.write("".join(lines))
        size_mb = round(os.path.getsize(path) / 1024 / 1024, 1)
        rss_before = _peak_rss_mb()
        run = ImportRun.objects.create(kind="readings", file_name=path, created_at=timezone.now())
        self.stdout.write(f"import: {size_mb} MB file, importing ...")
        started = time.perf_counter()
        try:
            with open(path, "rb") as binary:
                run_import(run, binary, today=dt.date(2026, 12, 1))
        finally:
            os.unlink(path)
        seconds = time.perf_counter() - started
        stored = MeterReading.objects.count()
        rate = run.done_rows / seconds if seconds else 0
        self.stdout.write(
            f"import: {run.done_rows} rows in {seconds:.1f} s = {rate:,.0f} rows/s; created {run.created}, "
            f"refused {run.refused}; peak memory {rss_before} MB before, {_peak_rss_mb()} MB after"
        )
        return {
            "import_rows": run.done_rows,
            "import_created": run.created,
            "import_refused": run.refused,
            "import_seconds": round(seconds, 1),
            "import_rows_per_second": round(rate),
            "import_file_mb": size_mb,
            "readings_stored": stored,
            "peak_memory_mb_before_import": rss_before,
            "peak_memory_mb": _peak_rss_mb(),
        }
