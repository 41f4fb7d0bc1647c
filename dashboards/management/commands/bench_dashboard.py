"""Benchmark: the SLA dashboard, the daily rollup and the CSV export at scale.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gs_dash_bench manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gs_dash_bench manage.py bench_dashboard --tickets 200000

Steps: (1) refuse unless the database name ends with "_bench" (or --force); (2) create a bench
organisation (a centre, 10 branches, 30 outlets, a branch manager, a centre manager); (3) generate
the tickets inside PostgreSQL (INSERT ... SELECT over generate_series, seeded; indexes rebuilt after),
two milestones each, received in time order (ids ascend with time, as in production) over --days
days before today, deadlines met on time, met late, still open and breached, a few pending, each
milestone with its catalogue unit: 5 million tickets and 10 million milestones load in about 3
minutes; (4) roll up the --roll-days days before today, timing each day; (5) render /dashboards/
as the branch manager for one month and as the centre manager for a quarter (also compared by
channel, priority and handler), --rounds times each, reporting p50/p95 and the queries per page;
(6) stream the CSV export of every deadline of a period sized to hold about --export-rows (1 million)
and report rows/s and how far the process's peak resident memory rose while it streamed. The last
line is one JSON object. With --load-only it stops after (4), so that only the timed steps need the
bench lock.
"""

import datetime as dt
import json
import math
import statistics
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import OrgUnit, Role, StaffProfile
from tickets.catalogue import seed_catalogue
from tickets.models import Channel, Milestone, MilestoneStandard, Status, Ticket

from ... import backlogs, rollups

PREFIX = "DB"
LOAD_CHUNK = 500_000


def _p(values, pct):
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))], 1)


def _status_kib(field) -> int | None:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _reset_peak_rss() -> int | None:
    """Reset the process's peak resident memory (Linux) and return what it holds now."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
    except OSError:
        return None
    return _status_kib("VmRSS")


def _peak_rss() -> int:
    return _status_kib("VmHWM") or 0


def _select_list(model, generated, params) -> tuple[str, str]:
    """(columns, expressions) of an INSERT ... SELECT over every concrete column but the identity:
    the generated SQL expression, else the field's default as a typed parameter added to `params`."""
    columns, exprs = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key and field.column not in generated:
            continue  # the identity column numbers the rows
        columns.append(field.column)
        if field.column in generated:
            exprs.append(generated[field.column])
            continue
        default = field.get_default()
        params[f"d_{field.column}"] = json.dumps(default) if isinstance(default, dict | list) else default
        exprs.append(f"CAST(%(d_{field.column})s AS {field.db_type(connection)})")
    return ", ".join(columns), ", ".join(exprs)


def _ticket_insert(lo, size, total, first_id, now, days, types, outlets, channels):
    # Cases arrive in time order, as in production (ids ascend with received_at, so a period's rows
    # lie together on disk), with up to 12 hours of jitter.
    received = (
        "LEAST(%(now)s, %(now)s - (1 - g.n::float8 / %(total)s) * %(days)s * interval '1 day' "
        "+ (g.r_received - 0.5) * interval '24 hours')"
    )
    is_open = f"({received} > %(now)s - interval '10 days' AND g.r_open < 0.5)"
    closed = f"CASE WHEN {is_open} THEN NULL ELSE LEAST(%(now)s, {received} + interval '5 days') END"
    generated = {
        "id": "%(first_id)s + g.n - %(lo)s",
        "reference": f"'{PREFIX}' || lpad(g.n::text, 12, '0')",
        "service_type_id": "(%(types)s::bigint[])[1 + floor(g.r_type * %(n_types)s)::int]",
        "segment": "'residential'",
        "contact_phone": "'139' || lpad((g.n %% 100000000)::text, 8, '0')",
        "channel": "(%(channels)s::text[])[1 + floor(g.r_channel * %(n_channels)s)::int]",
        "status": f"CASE WHEN {is_open} THEN '{Status.IN_PROGRESS}' ELSE '{Status.CLOSED}' END",
        "org_unit_id": "(%(outlets)s::bigint[])[1 + floor(g.r_outlet * %(n_outlets)s)::int]",
        "description": "'bench'",
        "received_at": received,
        "created_at": received,
        "updated_at": received,
        "closed_at": closed,
        "resolved_at": closed,
    }
    params = {
        "now": now,
        "days": days,
        "lo": lo,
        "hi": lo + size - 1,
        "total": total,
        "first_id": first_id,
        "types": types,
        "n_types": len(types),
        "outlets": outlets,
        "n_outlets": len(outlets),
        "channels": channels,
        "n_channels": len(channels),
    }
    columns, exprs = _select_list(Ticket, generated, params)
    sql = (
        f"INSERT INTO {Ticket._meta.db_table} ({columns}) "
        f"SELECT {exprs} FROM (SELECT n, random() AS r_type, random() AS r_received, "
        "random() AS r_open, random() AS r_channel, random() AS r_outlet "
        "FROM generate_series(%(lo)s, %(hi)s) AS n) AS g"
    )
    return sql, params


def _milestone_insert(ids, now):
    due = "x.received_at + (1 + floor(x.r_due * 96)) * interval '1 hour'"
    met = (
        f"CASE WHEN {due} < %(now)s AND (x.status = '{Status.CLOSED}' OR x.r_roll < 0.5) THEN LEAST("
        f"CASE WHEN x.r_roll < 0.85 THEN {due} - (1 + floor(x.r_early * 600)) * interval '1 minute' "
        f"ELSE {due} + (1 + floor(x.r_late * 3000)) * interval '1 minute' END, %(now)s) END"
    )
    generated = {
        "ticket_id": "x.ticket_id",
        "code": "x.code",
        "name": "x.name",
        "name_en": "x.name_en",
        "amount": "x.amount",
        "unit": "x.unit",
        "starts_after": "x.starts_after",
        "met_on_status": "x.met_on_status",
        "sort_order": "x.sort_order",
        "started_at": "x.received_at",
        "due_at": due,
        "met_at": met,
        "state": f"CASE WHEN ({met}) IS NULL THEN 'on_time' ELSE 'met' END",
    }
    params = {"now": now, "lo": ids[0], "hi": ids[1]}
    columns, exprs = _select_list(Milestone, generated, params)
    sql = (
        f"INSERT INTO {Milestone._meta.db_table} ({columns}) "
        f"SELECT {exprs} FROM (SELECT t.id AS ticket_id, t.received_at, t.status, s.*, "
        "random() AS r_due, random() AS r_roll, random() AS r_early, random() AS r_late "
        f"FROM {Ticket._meta.db_table} AS t JOIN bench_std AS s ON s.service_type_id = t.service_type_id "
        "WHERE t.id BETWEEN %(lo)s AND %(hi)s) AS x"
    )
    return sql, params


def _drop_indexes(cursor, tables) -> list[str]:
    """Drop the tables' indexes that back no constraint; return their definitions to rebuild them."""
    cursor.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes AS i WHERE i.tablename = ANY(%s) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint AS c WHERE c.conindid = "
        "(quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass)",
        [tables],
    )
    found = cursor.fetchall()
    for name, _definition in found:
        cursor.execute(f'DROP INDEX "{name}"')
    return [definition for _name, definition in found]


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
        parser.add_argument(
            "--export-rows",
            type=int,
            default=1_000_000,
            help="about how many deadlines the timed CSV export holds (its period is sized to it; 0: skip)",
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
        if opts["export_rows"]:
            # The deadlines spread evenly over --days: a period of this many days holds about that many.
            days = max(1, math.ceil(opts["export_rows"] * opts["days"] / max(milestones, 1)))
            days = min(days, opts["days"], 3 * 365)  # a period is at most 3 years
            result.update(self._bench_export(org, days))
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
        """Generate the tickets and their milestones inside PostgreSQL (INSERT ... SELECT over
        generate_series, seeded): millions of rows in minutes, where building them in Python took an
        hour. The secondary indexes are dropped for the load and rebuilt after it, as a bulk load does;
        foreign-key triggers are off for the load (the rows are consistent by construction)."""
        standards = {}
        for standard in MilestoneStandard.objects.order_by("sort_order", "pk"):
            standards.setdefault(standard.service_type_id, []).append(standard)
        # Two milestones per case: the types that have two (5M tickets give 10M milestones).
        types = sorted(pk for pk, listed in standards.items() if len(listed) >= 2)
        if not types:
            raise CommandError("No service type has two milestone standards: seed the catalogue.")
        outlets = [o.pk for o in org["outlets"]]
        channels = list(Channel.values)
        now = self.now
        began = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
            cursor.execute("SET maintenance_work_mem = '1GB'")
            cursor.execute("DROP TABLE IF EXISTS bench_std")
            cursor.execute(
                "CREATE TEMP TABLE bench_std (service_type_id bigint, sort_order smallint, code text, "
                "name text, name_en text, amount integer, unit text, starts_after text, met_on_status text)"
            )
            for pk in types:
                for order, standard in enumerate(standards[pk][:2]):
                    cursor.execute(
                        "INSERT INTO bench_std VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                        [
                            pk,
                            order,
                            standard.code,
                            standard.name,
                            getattr(standard, "name_en", "") or "",
                            standard.amount,
                            standard.unit,
                            getattr(standard, "starts_after", "") or "",
                            getattr(standard, "met_on_status", "") or "",
                        ],
                    )
            dropped = _drop_indexes(cursor, [Ticket._meta.db_table, Milestone._meta.db_table])
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {Ticket._meta.db_table}")
            first_id = cursor.fetchone()[0] + 1
            done = 0
            while done < count:
                size = min(LOAD_CHUNK, count - done)
                lo = start + done
                cursor.execute("SELECT setseed(%s)", [((lo // LOAD_CHUNK) % 1000) / 1000])
                ids = (first_id + done, first_id + done + size - 1)
                cursor.execute(
                    *_ticket_insert(lo, size, start + count, ids[0], now, days, types, outlets, channels)
                )
                cursor.execute(*_milestone_insert(ids, now))
                done += size
                self.stdout.write(
                    f"  loaded {done:,}/{count:,} tickets ({done / (time.perf_counter() - began):,.0f}/s)"
                )
            self.stdout.write(f"  rebuilding {len(dropped)} indexes")
            for definition in dropped:
                cursor.execute(definition)
            cursor.execute("SET session_replication_role = origin")
            for model in (Ticket, Milestone):
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
                )
                cursor.execute(f"VACUUM ANALYZE {table}")
        self.stdout.write(f"  load: {time.perf_counter() - began:,.0f}s")

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
        # The nightly run also counts the open backlog at each recent week start (early warning).
        began = time.perf_counter()
        weeks = backlogs.count_due_weeks(now=self.now)
        backlog_s = (time.perf_counter() - began) / max(len(weeks), 1)
        self.stdout.write(f"backlog: {len(weeks)} week starts counted, {backlog_s:.2f}s each")
        return {
            "rollup_days": roll_days,
            "rollup_day_p50_s": round(statistics.median(timings), 2),
            "rollup_day_max_s": round(max(timings), 2),
            "backlog_week_s": round(backlog_s, 2),
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
        result = {
            "branch_month_p50_ms": _p(branch, 50),
            "branch_month_p95_ms": _p(branch, 95),
            "group_quarter_p50_ms": _p(group, 50),
            "group_quarter_p95_ms": _p(group, 95),
        }
        # The same pages compared by channel, priority and handler (their own rollup rows).
        for by in ("channel", "priority", "handler"):
            timings = self._timed_pages(org["centre"], {**quarter, "by": by}, max(1, rounds // 2))
            p50, p95 = _p(timings, 50), _p(timings, 95)
            self.stdout.write(f"dashboard, whole group, a quarter, by {by}: p50 {p50} ms, p95 {p95} ms")
            result[f"group_quarter_by_{by}_p95_ms"] = p95
        return result

    def _bench_export(self, org, days):
        today = timezone.localdate(self.now)
        client = Client()
        client.force_login(org["centre"])
        query = {
            "period": "range",
            "start": (today - dt.timedelta(days=days)).isoformat(),
            "end": (today - dt.timedelta(days=1)).isoformat(),
        }
        # Peak memory of the process while it streams, over what it held before (Linux: VmHWM reset
        # through clear_refs). tracemalloc would slow every allocation several times over: it is off.
        before = _reset_peak_rss()
        began = time.perf_counter()
        response = client.get("/dashboards/export/deadlines.csv", query)
        rows = sum(chunk.count(b"\n") for chunk in response.streaming_content) - 1
        seconds = time.perf_counter() - began
        peak = _peak_rss()
        growth = peak - before if before is not None else None
        self.stdout.write(
            f"CSV export: {rows:,} rows in {seconds:.1f}s ({rows / seconds:,.0f} rows/s), peak resident "
            + (
                f"memory {peak / 2**20:.1f} MiB, {growth / 2**20:.1f} MiB above the process's before it"
                if growth is not None
                else "memory unknown"
            )
        )
        return {
            "export_rows": rows,
            "export_s": round(seconds, 1),
            "export_rows_per_s": round(rows / seconds),
            "export_peak_rss_mib": round(peak / 2**20, 1) if growth is not None else None,
            "export_peak_growth_mib": round(growth / 2**20, 1) if growth is not None else None,
        }
