"""Benchmark the deadline sweep on PostgreSQL in a database of its own.

    python manage.py bench_sweep --open 1000000 --due 1000

Creates (or, with --reuse, re-prepares) the database <name>_bench_sweep (or --db) on the same
server, migrates it, generates N open tickets with one open milestone each (server-side INSERT
... SELECT generate_series), M of them due for their breach step, then runs the sweep exactly as
the worker does (tickets.sweep.sweep_due_milestones, warm caches as in a long-running worker)
and prints: seconds, queries, peak memory, the EXPLAIN (ANALYZE) of the claim query, and the
nothing-due case. With --repeat R the due sweep runs R times, each time over M other
milestones (fresh rows, as in real life), and `seconds` is the median. The machine's load
average is printed with the figures (the sweep shares the cores with everything else).
The last line is one JSON object: open, due, seconds, queries, peak_memory_mb (and details).
"""
# ruff: noqa: E501  (SQL text reads better unwrapped)

import datetime as dt
import json
import logging
import os
import resource
import statistics
import time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections, transaction

OUTLETS_PER_BRANCH = (2, 1)  # 20 branches: 10 with two outlets, 10 with one -> 30 outlets
BRANCHES = 20
TZ = ZoneInfo("Asia/Shanghai")
# Started Monday 10:00, due Tuesday 17:30 (1 working day); the sweep runs Tuesday 18:00.
STARTED = dt.datetime(2026, 11, 23, 10, 0, tzinfo=TZ)
DUE = dt.datetime(2026, 11, 24, 17, 30, tzinfo=TZ)
WARN = dt.datetime(2026, 11, 24, 14, 48, tzinfo=TZ)
NOW = dt.datetime(2026, 11, 24, 18, 0, tzinfo=TZ)


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Command(BaseCommand):
    help = "Benchmark one deadline sweep with N open milestones, M of them due (own database)."

    def add_arguments(self, parser):
        parser.add_argument("--open", type=int, default=1_000_000, dest="open_count")
        parser.add_argument("--due", type=int, default=1000)
        parser.add_argument("--chunk-size", type=int, default=500)
        parser.add_argument(
            "--reuse",
            action="store_true",
            help="keep an existing bench database with the same number of open milestones",
        )
        parser.add_argument("--keep", action="store_true", help="do not drop the bench database afterwards")
        parser.add_argument(
            "--repeat",
            type=int,
            default=1,
            help="run the due sweep this many times (other due rows each time); report the median",
        )
        parser.add_argument(
            "--db", default="", help="name of the bench database (default <name>_bench_sweep)"
        )

    def handle(self, *args, open_count, due, chunk_size, reuse, keep, repeat, db, **options):
        if not settings.IS_POSTGRES:
            raise CommandError("bench_sweep needs PostgreSQL (DATABASE_URL=postgres://...)")
        if due > open_count:
            raise CommandError("--due cannot exceed --open")
        if repeat < 1:
            raise CommandError("--repeat must be at least 1")
        base = connection.settings_dict["NAME"]
        name = db or f"{base}_bench_sweep"
        if name == base:
            raise CommandError("the bench needs a database of its own, not the project's")
        existed = self._create_database(name, reuse=reuse)
        connections["default"].close()
        connections.databases["default"]["NAME"] = name
        connection.settings_dict["NAME"] = name
        from notifications import publishing

        real_enqueue = publishing.enqueue  # the bench counts what it would queue; put back after
        try:
            self._prepare(open_count, due, rebuilt=not existed)
            report = self._measure(open_count, due, chunk_size, repeat)
        finally:
            publishing.enqueue = real_enqueue
            connections["default"].close()
            connection.settings_dict["NAME"] = base
            if not keep:
                self._drop_database(name)
        self.stdout.write(json.dumps(report))

    # ------------------------------------------------------------ the database of its own

    def _admin_connection(self):
        import psycopg

        params = connection.get_connection_params()
        params["dbname"] = "postgres"
        return psycopg.connect(**params, autocommit=True)

    def _create_database(self, name, *, reuse) -> bool:
        conn = self._admin_connection()
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
                exists = cur.fetchone() is not None
                if exists and reuse:
                    return True
                if exists:
                    cur.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
                cur.execute(f'CREATE DATABASE "{name}"')
        finally:
            conn.close()
        return False

    def _drop_database(self, name):
        conn = self._admin_connection()
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()

    # ------------------------------------------------------------ data

    def _prepare(self, open_count, due, *, rebuilt):
        started = time.perf_counter()
        self.stdout.write(
            "migrating the bench database ..."
            if rebuilt
            else "bringing the kept database's schema up to date ..."
        )
        call_command("migrate", verbosity=0, interactive=False)
        if rebuilt:
            self._organisation()
        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM tickets_milestone")
            have = cur.fetchone()[0]
        if have != open_count:
            self._generate(open_count)
        # A rerun on a kept database starts elsewhere in the table: the rows due in each run are
        # ones no recent run touched (pages and index entries as cold as a real day's).
        self.first_set = int(time.time()) % 1000
        self._set_due(due, self.first_set)
        self.stdout.write(
            f"data ready in {time.perf_counter() - started:.1f} s ({open_count} open milestones, {due} due)"
        )

    def _organisation(self):
        from django.contrib.auth import get_user_model

        from accounts.models import OrgUnit, Role, StaffProfile

        user_model = get_user_model()
        centre = OrgUnit.objects.create(code="GSC", name="客服中心", kind=OrgUnit.Kind.CENTRE)
        units, staff = [], [(centre, Role.CENTRE_MANAGER)]
        for b in range(BRANCHES):
            branch = OrgUnit.objects.create(
                code=f"BR{b:02d}", name=f"分公司{b}", kind=OrgUnit.Kind.BRANCH, parent=centre
            )
            staff.append((branch, Role.BRANCH_MANAGER))
            for o in range(OUTLETS_PER_BRANCH[b % 2]):
                outlet = OrgUnit.objects.create(
                    code=f"OUT{b:02d}{o}", name=f"营业厅{b}-{o}", kind=OrgUnit.Kind.OUTLET, parent=branch
                )
                units.append(outlet)
                staff += [
                    (outlet, Role.OUTLET_SUPERVISOR),
                    (outlet, Role.FRONT_DESK),
                    (outlet, Role.FRONT_DESK),
                ]
        users = user_model.objects.bulk_create(
            [
                user_model(username=f"bench{i}", email=f"bench{i}@gas.example", password="!")
                for i in range(len(staff))
            ]
        )
        StaffProfile.objects.bulk_create(
            [
                StaffProfile(user=u, org_unit=unit, role=role, mobile=f"139{i:08d}")
                for i, (u, (unit, role)) in enumerate(zip(users, staff, strict=True))
            ]
        )

    def _generate(self, n):
        from accounts.models import OrgUnit
        from tickets.models import ServiceType

        self.stdout.write(f"generating {n} open tickets and milestones ...")
        service_type = ServiceType.objects.get(code="ACC-SVC")
        outlets = list(
            OrgUnit.objects.filter(kind=OrgUnit.Kind.OUTLET).order_by("id").values_list("id", flat=True)
        )
        with connection.cursor() as cur:
            cur.execute(
                "TRUNCATE tickets_escalation, tickets_ticketevent, notifications_notification, "
                "tickets_milestone, tickets_ticket CASCADE"
            )
            cur.execute(
                """
                INSERT INTO tickets_ticket (reference, service_type_id, segment, contact_name, contact_phone,
                    contact_address, channel, hotline_order_no, is_safety_or_supply, priority, status,
                    org_unit_id, description, received_at, created_at, updated_at, pause_reason,
                    cancel_reason, sla_state)
                SELECT 'B' || lpad(i::text, 10, '0'), %s, 'residential', '', '1380000' || lpad((i %% 10000)::text, 4, '0'),
                    '', 'service_hall', '', false, 'normal', 'accepted', (%s::bigint[])[1 + i %% %s], 'bench',
                    %s, %s, %s, '', '', 'on_time'
                FROM generate_series(1, %s) AS i
                """,
                [service_type.pk, outlets, len(outlets), STARTED, STARTED, STARTED, n],
            )
            # Not due: next steps spread over the coming week, minute by minute.
            cur.execute(
                """
                INSERT INTO tickets_milestone (ticket_id, code, name, amount, unit, starts_after, met_on_status,
                    sort_order, started_at, due_at, warn_at, state, is_provisional, is_override, next_action_at,
                    next_action_level, last_error, paused_for)
                SELECT t.id, 'complete', '办结', 1, 'working_days', '', 'resolved', 10, %s,
                    %s + make_interval(mins => 1 + (t.id %% 10000)::int) + interval '2 hours',
                    %s + make_interval(mins => 1 + (t.id %% 10000)::int),
                    'on_time', false, false, %s + make_interval(mins => 1 + (t.id %% 10000)::int), 0, '', interval '0'
                FROM tickets_ticket t
                """,
                [STARTED, NOW, NOW, NOW],
            )
            cur.execute("ANALYZE tickets_ticket")
            cur.execute("ANALYZE tickets_milestone")

    def _set_due(self, due, run=0):
        """M milestones due for their breach step (the rest in the future); earlier results cleared.

        Set r takes the M milestones from the middle of the table on, shifted by r * M (wrapping
        round): each run works on rows (and ticket pages) the runs just before it did not touch.
        """
        with connection.cursor() as cur:
            cur.execute("TRUNCATE tickets_escalation, tickets_ticketevent, notifications_notification")
            cur.execute(
                """
                UPDATE tickets_milestone SET next_action_at = %s + make_interval(mins => 1 + (ticket_id %% 10000)::int),
                    next_action_level = 0, state = 'on_time', warn_at = %s + make_interval(mins => 1 + (ticket_id %% 10000)::int),
                    due_at = %s + make_interval(mins => 1 + (ticket_id %% 10000)::int) + interval '2 hours'
                WHERE next_action_at IS NULL OR next_action_at <= %s OR next_action_level <> 0
                """,
                [NOW, NOW, NOW, NOW],
            )
            cur.execute(
                """
                UPDATE tickets_milestone SET next_action_at = %s - make_interval(secs => (id %% 1800)::int),
                    next_action_level = 1, state = 'at_risk', warn_at = %s, due_at = %s
                WHERE id IN (SELECT id FROM tickets_milestone ORDER BY id
                             OFFSET (SELECT (count(*) / 2 + %s) %% greatest(count(*) - %s + 1, 1)
                                     FROM tickets_milestone) LIMIT %s)
                """,
                [DUE, WARN, DUE, run * due, due, due],
            )
            cur.execute(
                "UPDATE tickets_ticket SET escalation_level = NULL, sla_state = 'on_time' "
                "WHERE escalation_level IS NOT NULL"
            )
            # As autovacuum would between real sweeps; back-to-back runs otherwise leave each other
            # dead row versions (the 10k-ticket table grows to several times its size).
            cur.execute("VACUUM ANALYZE tickets_milestone")
            cur.execute("VACUUM tickets_ticket")

    # ------------------------------------------------------------ measuring

    def _explain(self, chunk_size) -> str:
        from tickets.sweep import claim_queryset

        with transaction.atomic():
            sql, params = claim_queryset(NOW, chunk_size).query.sql_with_params()
            with connection.cursor() as cur:
                cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                plan = "\n".join(row[0] for row in cur.fetchall())
            transaction.set_rollback(True)  # EXPLAIN ANALYZE took the locks: give them back
        return plan

    def _timed_sweep(self, now, chunk_size):
        from tickets.sweep import sweep_due_milestones

        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            started = time.perf_counter()
            result = sweep_due_milestones(now=now, chunk_size=chunk_size)
            seconds = time.perf_counter() - started
        return result, seconds, counter.count

    def _measure(self, open_count, due, chunk_size, repeat):
        from notifications import publishing
        from tickets import messages, policies
        from tickets.calendars import get_snapshot
        from tickets.models import ServiceType

        # A long-running worker has its calendar snapshot and policy cached; so do we.
        service_type = ServiceType.objects.select_related("calendar", "escalation_policy").get(code="ACC-SVC")
        get_snapshot(service_type.calendar)
        policies.policy_for(service_type)
        messages.ticket_link("X")  # loads the URLconf once, as any worker has by its second sweep
        published = []
        # Delivery messages are counted, not published: this database is not the one a worker serves.
        publishing.enqueue = lambda task, *args, **kwargs: (
            published.append(getattr(task, "name", task)) or True
        )
        connection.ensure_connection()
        logging.getLogger("tickets.sweep").setLevel(logging.WARNING)  # one INFO line per sweep otherwise

        nothing = []
        for _i in range(20):
            _result, seconds, queries = self._timed_sweep(STARTED, chunk_size)
            nothing.append((seconds, queries))
        nothing_ms = statistics.median(s for s, _q in nothing) * 1000
        self.stdout.write(
            f"nothing due: median {nothing_ms:.2f} ms over 20 sweeps, {nothing[0][1]} queries each"
        )

        plan = self._explain(chunk_size)
        self.stdout.write("EXPLAIN (ANALYZE, BUFFERS) of the claim query:\n" + plan)

        runs = []
        for run in range(repeat):
            if run:
                self._set_due(due, self.first_set + run)
                published.clear()
            load = _load_average()
            rss_before = _peak_rss_mb()
            result, seconds, queries = self._timed_sweep(NOW, chunk_size)
            peak = _peak_rss_mb()
            runs.append(seconds)
            self.stdout.write(
                f"sweep {run + 1}/{repeat}: {seconds * 1000:.1f} ms, {queries} queries ({result.chunks} chunks of "
                f"<= {chunk_size}), {result.escalations} escalations, {result.events} events, "
                f"{result.notifications} notifications, {len(published)} delivery messages; peak RSS {peak:.1f} MB "
                f"(before the sweep {rss_before:.1f} MB); load average {load}"
            )
        again, seconds_again, queries_again = self._timed_sweep(NOW, chunk_size)
        self.stdout.write(
            f"second sweep at the same moment: {again.claimed} claimed, "
            f"{seconds_again * 1000:.2f} ms, {queries_again} queries"
        )
        median = statistics.median(runs)
        if repeat > 1:
            self.stdout.write(
                f"due sweep: median {median * 1000:.1f} ms over {repeat} runs "
                f"(min {min(runs) * 1000:.1f}, max {max(runs) * 1000:.1f})"
            )
        return {
            "open": open_count,
            "due": due,
            "seconds": round(median, 4),
            "queries": queries,
            "peak_memory_mb": round(peak, 1),
            "runs": [round(s, 4) for s in runs],
            "escalations": result.escalations,
            "notifications": result.notifications,
            "nothing_due_ms": round(nothing_ms, 2),
            "nothing_due_queries": nothing[0][1],
            "load_average": _load_average(),
        }


def _load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"
