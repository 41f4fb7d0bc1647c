"""Benchmark the follow-up surveys on PostgreSQL in a database of its own.

    python manage.py bench_satisfaction --cases 10000 --answers 1000000

Creates the database <name>_bench_satisfaction (or --db) on the same server, migrates it and
builds an organisation of 20 branches and 30 outlets. Then:

1. closing: N cases closed in one day (server-side INSERT ... SELECT; a mix of repairs, account
   services, complaints and emergencies, 5% of the customers without a mobile) are followed up by
   satisfaction.services.create_surveys in batches of --batch, as the close hook would for a day:
   survey rows and SMS rows in a constant number of queries per batch. Then, as the worker does
   after commit, the callback tickets for the customers without a mobile (one create_ticket each,
   timed apart). Prints seconds, queries and what was made.
2. figures: M answered follow-ups over a year (plus 10% other outcomes, and a service recovery
   for 3% of the answers), vacuumed as autovacuum does after a bulk load; then, for one branch and
   one quarter, --repeat times over other branches and quarters: the selectors one by one (totals,
   per outlet, the worst items), the whole figures page (GET /satisfaction/figures/, every read it
   does and its rendering) and the figures API (GET /api/v1/surveys/figures/); prints p50/p95.

With --lock PATH, the timed parts hold that lock (flock) and the data loading runs without it.
The last line is one JSON object.
"""
# ruff: noqa: E501  (SQL text reads better unwrapped)

import contextlib
import datetime as dt
import fcntl
import json
import os
import statistics
import time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections, transaction

TZ = ZoneInfo("Asia/Shanghai")
BRANCHES = 20
OUTLETS_PER_BRANCH = (2, 1)  # 30 outlets
DAY = dt.datetime(2026, 11, 24, 9, 0, tzinfo=TZ)  # the day the N cases closed (a Tuesday)
YEAR_START = dt.date(2025, 10, 1)  # answers span 2025-10-01 .. 2026-09-30: four quarters
QUARTERS = [
    (dt.date(2025, 10, 1), dt.date(2025, 12, 31)),
    (dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
    (dt.date(2026, 4, 1), dt.date(2026, 6, 30)),
    (dt.date(2026, 7, 1), dt.date(2026, 9, 30)),
]
CASE_MIX = [
    "RPR-RES",
    "RPR-RES",
    "RPR-RES",
    "RPR-RES",
    "ACC-SVC",
    "ACC-SVC",
    "CMP-STD",
    "CMP-STD",
    "ENQ",
    "EMR-LEAK-URB",
]


class QueryCounter:
    """Counts the queries and the seconds spent waiting for them (round trip and server)."""

    def __init__(self):
        self.count = 0
        self.seconds = 0.0
        self.by_statement: dict[str, float] = {}

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent = time.perf_counter() - started
            self.seconds += spent
            head = " ".join(sql.split()[:4])[:60]
            self.by_statement[head] = self.by_statement.get(head, 0.0) + spent


def _p(values, q) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


class Command(BaseCommand):
    help = (
        "Benchmark survey creation for a day's closed cases and the figures over many answers (own database)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=10_000, help="cases closed in the day")
        parser.add_argument("--batch", type=int, default=1000, help="cases per create_surveys call")
        parser.add_argument(
            "--answers", type=int, default=1_000_000, help="answered follow-ups for the figures"
        )
        parser.add_argument(
            "--repeat", type=int, default=40, help="figure reads (other branch and quarter each)"
        )
        parser.add_argument("--keep", action="store_true", help="do not drop the bench database afterwards")
        parser.add_argument(
            "--db", default="", help="name of the bench database (default <name>_bench_satisfaction)"
        )
        parser.add_argument("--lock", default="", help="a lock file held (flock) during the timed parts only")

    def handle(self, *args, cases, batch, answers, repeat, keep, db, lock, **options):
        self.lock_path = lock
        if not settings.IS_POSTGRES:
            raise CommandError("bench_satisfaction needs PostgreSQL (DATABASE_URL=postgres://...)")
        if cases < 1 or answers < 1 or repeat < 1 or batch < 1:
            raise CommandError("--cases, --batch, --answers and --repeat must be at least 1")
        base = connection.settings_dict["NAME"]
        name = db or f"{base}_bench_satisfaction"
        if name == base:
            raise CommandError("the bench needs a database of its own, not the project's")
        self._create_database(name)
        connections["default"].close()
        connection.settings_dict["NAME"] = name
        from notifications import publishing

        real_enqueue = publishing.enqueue  # the bench counts what it would queue; put back after
        try:
            started = time.perf_counter()
            call_command("migrate", verbosity=0, interactive=False)
            self._organisation()
            self.stdout.write(
                f"database {name} migrated and organised in {time.perf_counter() - started:.1f} s"
            )
            closing = self._bench_closing(cases, batch)
            figures = self._bench_figures(answers, repeat)
        finally:
            publishing.enqueue = real_enqueue
            connections["default"].close()
            connection.settings_dict["NAME"] = base
            if not keep:
                self._drop_database(name)
        self.stdout.write(json.dumps({**closing, **figures, "load_average": _load_average()}))

    @contextlib.contextmanager
    def _timed(self):
        """The bench lock (--lock) around a timed part, so that two timings never overlap."""
        if not self.lock_path:
            yield
            return
        with open(self.lock_path, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                self.stdout.write(f"timing (load average {_load_average()})")
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # ------------------------------------------------------------ the database of its own

    def _admin_connection(self):
        import psycopg

        params = connection.get_connection_params()
        params["dbname"] = "postgres"
        return psycopg.connect(**params, autocommit=True)

    def _create_database(self, name):
        conn = self._admin_connection()
        try:
            with conn.cursor() as cur:
                cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                cur.execute(f'CREATE DATABASE "{name}"')
        finally:
            conn.close()

    def _drop_database(self, name):
        conn = self._admin_connection()
        try:
            with conn.cursor() as cur:
                cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            conn.close()

    def _organisation(self):
        from django.contrib.auth import get_user_model

        from accounts.models import CustomerCategory, OrgUnit, Role, Segment, StaffProfile

        user_model = get_user_model()
        centre = OrgUnit.objects.create(code="GSC", name="客服中心", kind=OrgUnit.Kind.CENTRE)
        staff = [(centre, Role.CENTRE_MANAGER)]
        for b in range(BRANCHES):
            branch = OrgUnit.objects.create(
                code=f"BR{b:02d}", name=f"分公司{b}", kind=OrgUnit.Kind.BRANCH, parent=centre
            )
            staff.append((branch, Role.BRANCH_MANAGER))
            for o in range(OUTLETS_PER_BRANCH[b % 2]):
                outlet = OrgUnit.objects.create(
                    code=f"OUT{b:02d}{o}",
                    name=f"营业厅{b}-{o}",
                    kind=OrgUnit.Kind.OUTLET,
                    parent=branch,
                    phone=f"023-6380{b:02d}{o:02d}",
                )
                staff += [(outlet, Role.OUTLET_SUPERVISOR), (outlet, Role.TECHNICIAN)]
        users = user_model.objects.bulk_create(
            [user_model(username=f"bench{i}", password="!") for i in range(len(staff))]
        )
        StaffProfile.objects.bulk_create(
            [
                StaffProfile(user=u, org_unit=unit, role=role)
                for u, (unit, role) in zip(users, staff, strict=True)
            ]
        )
        CustomerCategory.objects.get_or_create(
            code="residential", defaults={"name": "居民", "segment": Segment.RESIDENTIAL}
        )

    # ------------------------------------------------------------ 1. a day's closed cases

    def _bench_closing(self, n, batch):
        from accounts.models import CustomerCategory, OrgUnit
        from notifications import publishing
        from satisfaction.services import answer_url_base, create_surveys, open_callback_tickets
        from tickets.models import ServiceType, Ticket

        category = CustomerCategory.objects.get(code="residential")
        outlets = list(
            OrgUnit.objects.filter(kind=OrgUnit.Kind.OUTLET).order_by("id").values_list("id", flat=True)
        )
        types = dict(ServiceType.objects.filter(code__in=set(CASE_MIX)).values_list("code", "id"))
        mix = [types[code] for code in CASE_MIX]
        handlers = dict(
            OrgUnit.objects.filter(kind=OrgUnit.Kind.OUTLET, staff__role="technician").values_list(
                "id", "staff__user_id"
            )
        )
        handler_ids = [handlers[o] for o in outlets]
        started = time.perf_counter()
        with connection.cursor() as cur:
            cur.execute(
                """
                INSERT INTO accounts_customer (account_no, name, category_id, mobile, landline, id_number, address,
                    outlet_id, is_key_account, status, notes, created_at, updated_at)
                SELECT lpad(i::text, 10, '0'), '客户' || i, %s,
                    CASE WHEN i %% 20 = 0 THEN '' ELSE '138' || lpad(i::text, 8, '0') END,
                    CASE WHEN i %% 20 = 0 THEN '023-6' || lpad(i::text, 7, '0') ELSE '' END, '',
                    '渝中区测试路' || i || '号', (%s::bigint[])[1 + i %% %s], false, 'active', '', now(), now()
                FROM generate_series(1, %s) AS i
                """,
                [category.pk, outlets, len(outlets), n],
            )
            cur.execute(
                """
                INSERT INTO tickets_ticket (reference, service_type_id, customer_id, segment, contact_name, contact_phone,
                    contact_address, channel, hotline_order_no, is_safety_or_supply, priority, status, org_unit_id,
                    assignee_id, description, received_at, created_at, updated_at, resolved_at, closed_at, pause_reason,
                    cancel_reason, sla_state, needs_routing)
                SELECT 'B20261124-' || lpad(c.id::text, 6, '0'), (%s::bigint[])[1 + c.id %% %s], c.id, 'residential',
                    c.name, '', c.address, 'hotline', '', false, 'normal', 'closed', c.outlet_id,
                    (%s::bigint[])[1 + c.id %% %s], 'bench', %s, %s, %s, %s,
                    %s + make_interval(secs => (c.id %% 36000)::int), '', '', 'met', false
                FROM accounts_customer c
                """,
                [
                    mix,
                    len(mix),
                    handler_ids,
                    len(handler_ids),
                    DAY - dt.timedelta(days=2),
                    DAY - dt.timedelta(days=2),
                    DAY,
                    DAY,
                    DAY,
                ],
            )
            cur.execute("ANALYZE accounts_customer")
            cur.execute("ANALYZE tickets_ticket")
        self.stdout.write(f"{n} closed cases generated in {time.perf_counter() - started:.1f} s")
        ids = list(Ticket.objects.order_by("id").values_list("id", flat=True))
        answer_url_base()  # the URLconf is loaded once per process, as in a running worker
        published = []
        publishing.enqueue = lambda task, *args, **kwargs: (
            published.append(getattr(task, "name", task)) or True
        )
        counter = QueryCounter()
        now = DAY + dt.timedelta(hours=10)  # 19:00: the texts still go out today
        made = []
        with self._timed(), connection.execute_wrapper(counter):
            started, cpu_started = time.perf_counter(), time.process_time()
            service_seconds = service_cpu = 0.0
            for first in range(0, len(ids), batch):
                with transaction.atomic():
                    tickets = list(
                        Ticket.objects.filter(id__in=ids[first : first + batch])
                        .select_related("service_type", "customer")
                        .order_by("id")
                    )
                    began, cpu_began = time.perf_counter(), time.process_time()
                    made += create_surveys(tickets=tickets, now=now)
                    service_seconds += time.perf_counter() - began
                    service_cpu += time.process_time() - cpu_began
            seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
        due = [s for s in made if s.state == "pending"]
        sms = sum(1 for s in due if s.method == "sms")
        callbacks = len(due) - sms
        self.stdout.write(
            f"closing: {len(made)} follow-ups for {n} cases in {seconds:.2f} s (of which {cpu_seconds:.2f} s CPU in this "
            f"process; {batch} per batch), {counter.count} queries waited on for {counter.seconds:.2f} s; "
            f"{len(due)} due: {sms} SMS rows, {callbacks} for the callback queue; {len(made) - len(due)} not due; "
            f"create_surveys alone (the cases loaded): {service_seconds:.2f} s, {service_cpu:.2f} s CPU"
        )
        for head, spent in sorted(counter.by_statement.items(), key=lambda kv: -kv[1])[:5]:
            self.stdout.write(f"  {spent:6.2f} s  {head}")
        # The worker then opens the callback tickets (tickets.services.create_ticket, one per case).
        worker_counter = QueryCounter()
        with self._timed(), connection.execute_wrapper(worker_counter):
            started = time.perf_counter()
            opened = 0
            while step := open_callback_tickets(now=now):
                opened += step
            callback_seconds = time.perf_counter() - started
        self.stdout.write(
            f"worker: {opened} callback tickets opened in {callback_seconds:.2f} s, {worker_counter.count} queries"
        )
        return {
            "cases": n,
            "batch": batch,
            "closing_seconds": round(seconds, 3),
            "closing_queries": counter.count,
            "closing_query_seconds": round(counter.seconds, 3),
            "create_surveys_seconds": round(service_seconds, 3),
            "create_surveys_cpu_seconds": round(service_cpu, 3),
            "surveys_due": len(due),
            "sms": sms,
            "callback_surveys": callbacks,
            "callback_tickets": opened,
            "callback_tickets_seconds": round(callback_seconds, 3),
        }

    # ------------------------------------------------------------ 2. figures over many answers

    def _bench_figures(self, m, repeat):
        from accounts.models import OrgUnit
        from satisfaction import selectors
        from tickets.models import ServiceType

        outlets = list(
            OrgUnit.objects.filter(kind=OrgUnit.Kind.OUTLET).order_by("id").values_list("id", flat=True)
        )
        repair = ServiceType.objects.get(code="RPR-RES").pk
        started = time.perf_counter()
        total = m + m // 9  # answered plus ~10% other outcomes
        with connection.cursor() as cur:
            # The rows are consistent by construction, in a database of the bench's own: the
            # per-row foreign-key triggers are skipped while loading (the indexes stay, as in use).
            cur.execute("SET session_replication_role = replica")
            cur.execute("SET synchronous_commit = off")
            cur.execute("SELECT coalesce(max(id), 0) FROM tickets_ticket")
            offset = cur.fetchone()[0]
            cur.execute(
                """
                INSERT INTO tickets_ticket (reference, service_type_id, segment, contact_name, contact_phone,
                    contact_address, channel, hotline_order_no, is_safety_or_supply, priority, status, org_unit_id,
                    description, received_at, created_at, updated_at, closed_at, pause_reason, cancel_reason, sla_state,
                    needs_routing)
                SELECT 'H' || lpad(i::text, 10, '0'), %s, 'residential', '', '1380000' || lpad((i %% 10000)::text, 4, '0'),
                    '', 'hotline', '', false, 'normal', 'closed', (%s::bigint[])[1 + i %% %s], 'bench',
                    %s, %s, %s, %s::timestamptz + make_interval(mins => (i %% 525600)::int), '', '', 'met', false
                FROM generate_series(1, %s) AS i
                """,
                [
                    repair,
                    outlets,
                    len(outlets),
                    YEAR_START,
                    YEAR_START,
                    YEAR_START,
                    dt.datetime.combine(YEAR_START, dt.time(), TZ),
                    total,
                ],
            )
            # Scores from a hash of the row: mostly 4-5, some low; 10% of rows another outcome.
            cur.execute(
                """
                INSERT INTO satisfaction_survey (ticket_id, phone, org_unit_id, service_type_id, case_closed_at, created_at,
                    state, method, exclusion, scores, overall, is_solved, comment, lowest_score,
                    tangibles_sum, tangibles_n, reliability_sum, reliability_n, responsiveness_sum, responsiveness_n,
                    assurance_sum, assurance_n, empathy_sum, empathy_n)
                SELECT t.id, t.contact_phone, t.org_unit_id, t.service_type_id, t.closed_at, t.closed_at,
                    CASE WHEN s.k %% 10 = 0 THEN (ARRAY['unreachable','refused','pending','wrong_number'])[1 + s.k %% 4] ELSE 'answered' END,
                    'sms', '',
                    CASE WHEN s.k %% 10 = 0 THEN '{}'::jsonb ELSE jsonb_build_object('T1', s.a, 'T2', s.b, 'R1', s.c, 'R2', s.a,
                        'S1', s.b, 'S2', s.c, 'A1', s.a, 'A2', s.b, 'E1', s.c, 'E2', s.a) END,
                    CASE WHEN s.k %% 10 = 0 THEN NULL ELSE s.c END,
                    CASE WHEN s.k %% 10 = 0 THEN NULL ELSE s.k %% 7 <> 0 END, '',
                    CASE WHEN s.k %% 10 = 0 THEN NULL ELSE least(s.a, s.b, s.c) END,
                    s.a + s.b, 2, s.c + s.a, 2, s.b + s.c, 2, s.a + s.b, 2, s.c + s.a, 2
                FROM tickets_ticket t,
                     LATERAL (SELECT t.id AS k, 3 + (t.id * 7 %% 3) AS a, 2 + (t.id * 13 %% 4) AS b,
                                     1 + (t.id * 31 %% 5) AS c) s
                WHERE t.id > %s
                """,
                [offset],
            )
            # A service recovery for 3% of the answers (the bench's own rows: the case stands in for
            # the recovery ticket, as nothing here reads that ticket).
            cur.execute(
                """
                INSERT INTO satisfaction_recovery (survey_id, ticket_id, original_id, org_unit_id, case_closed_at, reasons,
                    is_repeat, opened_at, closed_at, action_taken, is_customer_satisfied)
                SELECT s.id, s.ticket_id, s.ticket_id, s.org_unit_id, s.case_closed_at, '["overall_low"]'::jsonb,
                    s.id %% 10 = 0, s.case_closed_at,
                    CASE WHEN s.id %% 4 = 0 THEN NULL ELSE s.case_closed_at + interval '2 days' END, '',
                    CASE WHEN s.id %% 4 = 0 THEN NULL ELSE s.id %% 3 <> 0 END
                FROM satisfaction_survey s
                WHERE s.state = 'answered' AND s.id %% 33 = 0 AND s.ticket_id > %s
                """,
                [offset],
            )
            # The days' item sums, as the answer service keeps them (one row per unit, day and item).
            cur.execute(
                """
                INSERT INTO satisfaction_itemscoreday (org_unit_id, day, question_code, total, answers)
                SELECT s.org_unit_id, (s.case_closed_at AT TIME ZONE 'Asia/Shanghai')::date, i.key, sum(i.value::int), count(*)
                FROM satisfaction_survey s, jsonb_each_text(s.scores) i
                WHERE s.state = 'answered' AND i.value IS NOT NULL AND s.ticket_id > %s
                GROUP BY 1, 2, 3
                """,
                [offset],
            )
            cur.execute("RESET session_replication_role")
            cur.execute("RESET synchronous_commit")
        with connection.cursor() as cur:  # outside a transaction, as autovacuum runs
            for table in (
                "tickets_ticket",
                "satisfaction_survey",
                "satisfaction_recovery",
                "satisfaction_itemscoreday",
            ):
                cur.execute(f"VACUUM ANALYZE {table}")
        self.stdout.write(
            f"{total} follow-ups ({m} answered) over a year generated in {time.perf_counter() - started:.1f} s"
        )

        from django.contrib.auth import get_user_model
        from django.test import Client

        branches = list(OrgUnit.objects.filter(kind=OrgUnit.Kind.BRANCH).order_by("code"))
        manager = get_user_model().objects.get(staff_profile__role="centre_manager")
        client = Client()
        client.force_login(manager)
        reads = {"total": [], "per_outlet": [], "worst_items": [], "selectors": [], "page": [], "api": []}
        rows = 0
        with self._timed():
            for run in range(repeat + 3):  # three warm-up reads, as a running server has
                branch = branches[run % len(branches)]
                start, end = QUARTERS[run % len(QUARTERS)]
                common = {"scope": branch, "start": start, "end": end}
                timings = {}
                began = time.perf_counter()
                t0 = time.perf_counter()
                total_row = selectors.satisfaction_figures(**common)[0]
                timings["total"] = time.perf_counter() - t0
                t0 = time.perf_counter()
                selectors.satisfaction_figures(**common, group_by="outlet")
                timings["per_outlet"] = time.perf_counter() - t0
                t0 = time.perf_counter()
                selectors.worst_items(**common)
                timings["worst_items"] = time.perf_counter() - t0
                timings["selectors"] = time.perf_counter() - began
                query = f"unit={branch.code}&start={start}&end={end}&group_by=outlet"
                t0 = time.perf_counter()
                page = client.get(f"/satisfaction/figures/?{query}")
                timings["page"] = time.perf_counter() - t0
                t0 = time.perf_counter()
                api = client.get(f"/api/v1/surveys/figures/?{query}")
                timings["api"] = time.perf_counter() - t0
                if page.status_code != 200 or api.status_code != 200:
                    raise CommandError(f"figures page {page.status_code}, API {api.status_code}")
                if api.json()["total"]["closed"] != total_row["closed"]:
                    raise CommandError("the API's total differs from the selector's")
                if run >= 3:
                    rows = max(rows, total_row["closed"])
                    for key, seconds in timings.items():
                        reads[key].append(seconds * 1000)
        from django.db.models import Count

        scope = selectors.surveys_in_scope(scope=branches[0], start=QUARTERS[1][0], end=QUARTERS[1][1])
        plan = scope.order_by().values("state").annotate(n=Count("id")).explain(analyze=True, buffers=True)
        self.stdout.write("EXPLAIN (ANALYZE) of the scope of one branch and quarter:\n" + plan)
        summary = {}
        for key, values in reads.items():
            summary[key] = {
                "p50_ms": round(statistics.median(values), 1),
                "p95_ms": round(_p(values, 0.95), 1),
            }
            self.stdout.write(
                f"figures {key}: p50 {summary[key]['p50_ms']} ms, p95 {summary[key]['p95_ms']} ms over {repeat} reads"
            )
        return {"answers": m, "follow_ups": total, "branch_quarter_rows_max": rows, "figures": summary}


def _load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"
