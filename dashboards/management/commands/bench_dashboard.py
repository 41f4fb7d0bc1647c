"""Benchmark: the SLA dashboard, the daily rollup and the CSV export at scale.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gs_dash_bench manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gs_dash_bench manage.py bench_dashboard --tickets 200000

Steps: (1) refuse unless the database name ends with "_bench" (or --force); (2) create a bench
organisation (a centre, 10 branches, 30 outlets, a branch manager, a centre manager); (3) bulk-load
tickets with two milestones each by COPY, deadlines spread evenly over --days days before today
(met on time, met late, still open and breached, a few pending), each milestone with its
catalogue unit; (4) roll up the --roll-days days before today, timing each day; (5) render
/dashboards/ as the branch manager for one month and as the centre manager for a quarter, --rounds
times each, reporting p50/p95 and the queries per page; (6) stream the CSV export of every deadline of
the period and report rows/s and the peak of Python memory (tracemalloc). The last line is one JSON
object. With --load-only it stops after (4), so that only the timed steps need the bench lock.
"""

import csv
import datetime as dt
import io
import json
import random
import statistics
import time
import tracemalloc

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import OrgUnit, Role, StaffProfile
from tickets.catalogue import seed_catalogue
from tickets.models import Channel, Milestone, MilestoneStandard, ServiceType, Status, Ticket

from ... import rollups

PREFIX = "DB"
CHUNK = 50_000


def _p(values, pct):
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))], 1)


def _columns(model, generated):
    """Every concrete column: generated values, else the field's default."""
    columns, defaults = [], []
    for field in model._meta.concrete_fields:
        columns.append(field.column)
        default = None if field.column in generated else field.get_default()
        if isinstance(default, dt.timedelta):
            default = f"{default.total_seconds()} seconds"
        elif isinstance(default, dict | list):
            default = json.dumps(default)
        elif isinstance(default, bool):
            default = "t" if default else "f"
        defaults.append(default)
    return columns, defaults


def _copy(model, columns, rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(["\\N" if v is None else v for v in row])
    sql = f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
    with connection.cursor() as cursor, cursor.copy(sql) as copy:
        copy.write(buffer.getvalue())


class Command(BaseCommand):
    help = "Load tickets into a *_bench database; time the dashboard, the daily rollup and the CSV export."

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=int, default=200_000)
        parser.add_argument("--days", type=int, default=3 * 365, help="days the deadlines spread over")
        parser.add_argument("--roll-days", type=int, default=200, help="days before today to roll up")
        parser.add_argument("--rounds", type=int, default=10)
        parser.add_argument("--skip-load", action="store_true")
        parser.add_argument(
            "--load-only",
            action="store_true",
            help="load and roll up, then stop: the timed steps run apart (under a lock) with --skip-load",
        )
        parser.add_argument("--force", action="store_true", help="run on a database not named *_bench")

    def handle(self, *args, **opts):
        name = connection.settings_dict["NAME"]
        if not settings.IS_POSTGRES:
            raise CommandError("The benchmark needs PostgreSQL (COPY).")
        if not name.endswith("_bench") and not opts["force"]:
            raise CommandError(
                f"Refusing to load benchmark data into {name!r}: use a database named *_bench."
            )
        seed_catalogue()
        self.now = timezone.now()
        self.rng = random.Random(14)
        org = self._organisation()
        if not opts["skip_load"]:
            existing = Ticket.objects.filter(reference__startswith=PREFIX).count()
            if existing < opts["tickets"]:
                self._load(org, opts["tickets"] - existing, start=existing, days=opts["days"])
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # fresh statistics, as autovacuum keeps them in production
        tickets, milestones = Ticket.objects.count(), Milestone.objects.count()
        self.stdout.write(f"tickets: {tickets:,}, milestones: {milestones:,}")
        result = {"tickets": tickets, "milestones": milestones, "days": opts["days"]}
        result.update(self._bench_rollup(opts["roll_days"]))
        if opts["load_only"]:
            self.stdout.write(json.dumps(result))
            return
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        result.update(self._bench_pages(org, opts["rounds"]))
        result.update(self._bench_export(org))
        self.stdout.write(json.dumps(result))

    def _organisation(self):
        user_model = get_user_model()
        centre, _ = OrgUnit.objects.get_or_create(
            code="DGSC", defaults={"name": "Bench centre", "kind": "centre"}
        )
        branches = [
            OrgUnit.objects.get_or_create(
                code=f"DBR{b:02d}", defaults={"name": f"Bench branch {b}", "kind": "branch", "parent": centre}
            )[0]
            for b in range(10)
        ]
        outlets = [
            OrgUnit.objects.get_or_create(
                code=f"DOUT{o:02d}",
                defaults={"name": f"Bench outlet {o}", "kind": "outlet", "parent": branches[o % 10]},
            )[0]
            for o in range(30)
        ]

        def staff(username, role, unit):
            user, _ = user_model.objects.get_or_create(username=username)
            StaffProfile.objects.update_or_create(user=user, defaults={"role": role, "org_unit": unit})
            return user

        return {
            "branches": branches,
            "outlets": outlets,
            "manager": staff("dbench_manager", Role.BRANCH_MANAGER, branches[0]),
            "centre": staff("dbench_centre", Role.CENTRE_MANAGER, centre),
        }

    def _load(self, org, count, *, start, days):
        types = list(ServiceType.objects.all())
        standards = {}
        for standard in MilestoneStandard.objects.order_by("sort_order"):
            standards.setdefault(standard.service_type_id, []).append(standard)
        types = [t for t in types if standards.get(t.pk)]
        channels = list(Channel.values)
        t_cols, t_defaults = _columns(
            Ticket,
            {
                "id",
                "reference",
                "service_type_id",
                "segment",
                "contact_phone",
                "channel",
                "status",
                "org_unit_id",
                "description",
                "received_at",
                "created_at",
                "updated_at",
                "closed_at",
                "resolved_at",
            },
        )
        m_cols, m_defaults = _columns(
            Milestone,
            {
                "id",
                "ticket_id",
                "code",
                "name",
                "amount",
                "unit",
                "sort_order",
                "started_at",
                "due_at",
                "met_at",
                "state",
            },
        )
        t_at = {c: i for i, c in enumerate(t_cols)}
        m_at = {c: i for i, c in enumerate(m_cols)}
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {Ticket._meta.db_table}")
            ticket_id = cursor.fetchone()[0] + 1
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {Milestone._meta.db_table}")
            milestone_id = cursor.fetchone()[0] + 1
        rng, now = self.rng, self.now
        began = time.perf_counter()
        done = 0
        while done < count:
            size = min(CHUNK, count - done)
            tickets, milestones = [], []
            for i in range(size):
                n = start + done + i
                service_type = rng.choice(types)
                received = now - dt.timedelta(seconds=rng.randint(0, days * 86400))
                is_open = received > now - dt.timedelta(days=10) and rng.random() < 0.5
                row = list(t_defaults)
                closed = None if is_open else (received + dt.timedelta(days=5)).isoformat()
                for key, value in {
                    "id": ticket_id,
                    "reference": f"{PREFIX}{n:012d}",
                    "service_type_id": service_type.pk,
                    "segment": "residential",
                    "contact_phone": f"139{n % 10**8:08d}",
                    "channel": rng.choice(channels),
                    "status": Status.IN_PROGRESS if is_open else Status.CLOSED,
                    "org_unit_id": rng.choice(org["outlets"]).pk,
                    "description": "bench",
                    "received_at": received.isoformat(),
                    "created_at": received.isoformat(),
                    "updated_at": received.isoformat(),
                    "closed_at": closed,
                    "resolved_at": closed,
                }.items():
                    row[t_at[key]] = value
                tickets.append(row)
                for order, standard in enumerate(standards[service_type.pk][:2]):
                    due = received + dt.timedelta(hours=rng.randint(1, 96))
                    roll = rng.random()
                    met = None
                    if due < now and (not is_open or roll < 0.5):
                        met = (
                            due - dt.timedelta(minutes=rng.randint(1, 600))
                            if roll < 0.85
                            else due + dt.timedelta(minutes=rng.randint(1, 3000))
                        )
                        met = min(met, now)
                    m = list(m_defaults)
                    for key, value in {
                        "id": milestone_id,
                        "ticket_id": ticket_id,
                        "code": standard.code,
                        "name": standard.name,
                        "amount": standard.amount,
                        "unit": standard.unit,
                        "sort_order": order,
                        "started_at": received.isoformat(),
                        "due_at": due.isoformat(),
                        "met_at": met.isoformat() if met else None,
                        "state": "met" if met else "on_time",
                    }.items():
                        m[m_at[key]] = value
                    milestones.append(m)
                    milestone_id += 1
                ticket_id += 1
            _copy(Ticket, t_cols, tickets)
            _copy(Milestone, m_cols, milestones)
            done += size
            self.stdout.write(
                f"  loaded {done:,}/{count:,} tickets ({done / (time.perf_counter() - began):,.0f}/s)"
            )
        with connection.cursor() as cursor:
            for model in (Ticket, Milestone):
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
                )
                cursor.execute(f"ANALYZE {table}")

    def _bench_rollup(self, roll_days):
        today = timezone.localdate(self.now)
        timings = []
        for back in range(1, roll_days + 1):
            began = time.perf_counter()
            rollups.roll_day(today - dt.timedelta(days=back), now=self.now)
            timings.append(time.perf_counter() - began)
        self.stdout.write(
            f"rollup: {roll_days} days, p50 {_p(timings, 50):.2f}s, max {max(timings):.2f}s per day"
        )
        return {
            "rollup_days": roll_days,
            "rollup_day_p50_s": round(statistics.median(timings), 2),
            "rollup_day_max_s": round(max(timings), 2),
        }

    def _timed_pages(self, user, query, rounds):
        client = Client()
        client.force_login(user)
        with CaptureQueriesContext(connection) as queries:
            client.get("/dashboards/", query)  # warm caches (calendars, labels)
        self.stdout.write(f"  {user.username}: {len(queries.captured_queries)} queries per page")
        timings = []
        for _ in range(rounds):
            began = time.perf_counter()
            response = client.get("/dashboards/", query)
            timings.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200, response.status_code
        return timings

    def _bench_pages(self, org, rounds):
        today = timezone.localdate(self.now)
        last_month_end = today.replace(day=1) - dt.timedelta(days=1)
        month = {
            "period": "range",
            "start": last_month_end.replace(day=1).isoformat(),
            "end": last_month_end.isoformat(),
        }
        quarter = {
            "period": "range",
            "start": (today - dt.timedelta(days=91)).isoformat(),
            "end": (today - dt.timedelta(days=1)).isoformat(),
        }
        branch = self._timed_pages(org["manager"], month, rounds)
        group = self._timed_pages(org["centre"], quarter, rounds)
        self.stdout.write(
            f"dashboard, one branch, one month: p50 {_p(branch, 50)} ms, p95 {_p(branch, 95)} ms"
        )
        self.stdout.write(
            f"dashboard, whole group, a quarter: p50 {_p(group, 50)} ms, p95 {_p(group, 95)} ms"
        )
        return {
            "branch_month_p50_ms": _p(branch, 50),
            "branch_month_p95_ms": _p(branch, 95),
            "group_quarter_p50_ms": _p(group, 50),
            "group_quarter_p95_ms": _p(group, 95),
        }

    def _bench_export(self, org):
        today = timezone.localdate(self.now)
        client = Client()
        client.force_login(org["centre"])
        query = {
            "period": "range",
            "start": (today - dt.timedelta(days=365)).isoformat(),
            "end": today.isoformat(),
        }
        tracemalloc.start()
        began = time.perf_counter()
        response = client.get("/dashboards/export/deadlines.csv", query)
        rows = sum(chunk.count(b"\n") for chunk in response.streaming_content) - 1
        seconds = time.perf_counter() - began
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        self.stdout.write(
            f"CSV export: {rows:,} rows in {seconds:.1f}s, Python memory peak {peak / 2**20:.1f} MiB"
        )
        return {"export_rows": rows, "export_s": round(seconds, 1), "export_peak_mib": round(peak / 2**20, 1)}
