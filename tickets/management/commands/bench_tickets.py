"""Benchmark: queue listing at scale and ticket creation through the API.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gasservice_bench manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gasservice_bench manage.py bench_tickets --tickets 1000000

Steps: (1) refuse unless the database name ends with "_bench" (or --force); (2) create a bench
organisation (a centre, 10 branches, 30 outlets, staff, 2,000 customers); (3) bulk-load tickets
and two milestones each with COPY (10% open, the rest closed/cancelled, deadlines spread around
now); (4) time queue pages (tickets.selectors.queue_for, as the API and UI call it) per filter,
first page and keyset pages, printing p50/p95 ms and queries per page; (5) start gunicorn (2
workers) on 127.0.0.1 against the same database and POST tickets from a thread pool, printing
requests/s, p50/p95 and the queries per request (counted in-process through the test client).
The last line is one JSON object: tickets, open, worst_p95_ms, the figures per queue filter and,
unless --skip-api, the API's.
"""

import csv
import datetime
import io
import json
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Customer, CustomerCategory, OrgUnit, Role, StaffProfile
from tickets import selectors
from tickets.catalogue import seed_catalogue
from tickets.models import Channel, Milestone, ServiceType, SlaState, Status, Ticket

BENCH_PREFIX = "GB"
CHUNK = 50_000


def _percentile(values, pct):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


class Command(BaseCommand):
    help = "Bulk-load tickets into a *_bench database, time the queues and API ticket creation."

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=int, default=1_000_000)
        parser.add_argument("--open-share", type=float, default=0.10)
        parser.add_argument("--rounds", type=int, default=20, help="repetitions per queue filter")
        parser.add_argument("--pages", type=int, default=5, help="keyset pages followed per round")
        parser.add_argument("--api-requests", type=int, default=400)
        parser.add_argument("--api-threads", type=int, default=8)
        parser.add_argument("--skip-load", action="store_true", help="reuse the tickets already loaded")
        parser.add_argument("--skip-api", action="store_true")
        parser.add_argument("--force", action="store_true", help="run on a database not named *_bench")

    def handle(self, *args, **opts):
        name = connection.settings_dict["NAME"]
        if not settings.IS_POSTGRES:
            raise CommandError("The benchmark needs PostgreSQL (COPY).")
        if not name.endswith("_bench") and not opts["force"]:
            raise CommandError(
                f"Refusing to load benchmark data into {name!r}: use a database named *_bench (or --force)."
            )
        seed_catalogue()
        self.now = timezone.now()
        self.rng = random.Random(42)
        self.org = self._organisation()
        if not opts["skip_load"]:
            existing = Ticket.objects.filter(reference__startswith=BENCH_PREFIX).count()
            if existing < opts["tickets"]:
                self._load(opts["tickets"] - existing, opts["open_share"], start=existing)
        total = Ticket.objects.count()
        open_count = Ticket.objects.open().count()
        self.stdout.write(f"tickets: {total:,} ({open_count:,} open)")
        report = {"tickets": total, "open": open_count, **self._bench_queues(opts["rounds"], opts["pages"])}
        if not opts["skip_api"]:
            report["api"] = self._bench_api(opts["api_requests"], opts["api_threads"])
        self.stdout.write(json.dumps(report))

    # ------------------------------------------------------------ data

    def _organisation(self):
        User = get_user_model()
        centre, _ = OrgUnit.objects.get_or_create(
            code="BGSC", defaults={"name": "Bench centre", "kind": "centre"}
        )
        branches, outlets = [], []
        for b in range(10):
            branch, _ = OrgUnit.objects.get_or_create(
                code=f"BBR{b:02d}", defaults={"name": f"Bench branch {b}", "kind": "branch", "parent": centre}
            )
            branches.append(branch)
        for o in range(30):
            outlet, _ = OrgUnit.objects.get_or_create(
                code=f"BOUT{o:02d}",
                defaults={"name": f"Bench outlet {o}", "kind": "outlet", "parent": branches[o % 10]},
            )
            outlets.append(outlet)

        def staff(username, role, unit):
            user, _ = User.objects.get_or_create(username=username)
            StaffProfile.objects.update_or_create(user=user, defaults={"role": role, "org_unit": unit})
            return User.objects.select_related("staff_profile__org_unit").get(pk=user.pk)

        techs = [staff(f"bench_tech{o:02d}", Role.TECHNICIAN, outlet) for o, outlet in enumerate(outlets)]
        category, _ = CustomerCategory.objects.get_or_create(
            code="bench_res", defaults={"name": "居民(bench)", "segment": "residential"}
        )
        if not Customer.objects.filter(account_no__startswith="99").exists():
            Customer.objects.bulk_create(
                Customer(
                    account_no=f"99{i:08d}",
                    name=f"Bench {i}",
                    category=category,
                    address=f"Bench road {i}",
                    outlet=outlets[i % 30],
                    mobile=f"139{i:08d}",
                )
                for i in range(2000)
            )
        return {
            "centre": centre,
            "branches": branches,
            "outlets": outlets,
            "techs": techs,
            "supervisor": staff("bench_supervisor", Role.OUTLET_SUPERVISOR, outlets[0]),
            "manager": staff("bench_manager", Role.BRANCH_MANAGER, branches[0]),
            "agent": staff("bench_agent", Role.AGENT, centre),
            "clerk": staff("bench_clerk", Role.FRONT_DESK, outlets[0]),
        }

    def _copy(self, model, columns, rows):
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for row in rows:
            writer.writerow(["\\N" if v is None else v for v in row])
        sql = f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
        with connection.cursor() as cursor, cursor.copy(sql) as copy:
            copy.write(buffer.getvalue())

    @staticmethod
    def _columns(model, values: dict):
        """Every concrete column: the generated value, else the field's default (new fields keep working)."""
        columns, defaults = [], []
        for field in model._meta.concrete_fields:
            columns.append(field.column)
            if field.column in values:
                defaults.append(None)
                continue
            default = field.get_default()
            if isinstance(default, datetime.timedelta):
                default = f"{default.total_seconds()} seconds"
            elif isinstance(default, (dict, list)):
                default = json.dumps(default)
            elif isinstance(default, bool):
                default = "t" if default else "f"
            defaults.append(default)
        return columns, defaults

    def _load(self, count, open_share, *, start):
        types = list(ServiceType.objects.prefetch_related("standards"))
        outlets, techs = self.org["outlets"], self.org["techs"]
        channels = (
            [Channel.SERVICE_HALL] * 30
            + [Channel.HOTLINE] * 35
            + [Channel.CITY_HOTLINE] * 10
            + [Channel.WEB] * 10
            + [Channel.MOBILE] * 12
            + [Channel.FIELD] * 2
            + [Channel.LETTER]
        )
        open_statuses = (
            [Status.NEW] * 20
            + [Status.ACCEPTED] * 20
            + [Status.ASSIGNED] * 25
            + [Status.IN_PROGRESS] * 30
            + [Status.WAITING_CUSTOMER] * 5
        )
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {Ticket._meta.db_table}")
            next_ticket_id = cursor.fetchone()[0] + 1
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {Milestone._meta.db_table}")
            next_milestone_id = cursor.fetchone()[0] + 1
        t_generated = [
            "id",
            "reference",
            "service_type_id",
            "segment",
            "contact_name",
            "contact_phone",
            "channel",
            "priority",
            "status",
            "org_unit_id",
            "assignee_id",
            "description",
            "received_at",
            "created_at",
            "updated_at",
            "resolved_at",
            "closed_at",
            "paused_at",
            "pause_reason",
            "next_due_at",
            "next_warn_at",
            "sla_state",
        ]
        m_generated = [
            "id",
            "ticket_id",
            "code",
            "name",
            "amount",
            "unit",
            "sort_order",
            "started_at",
            "due_at",
            "warn_at",
            "met_at",
            "state",
            "next_action_at",
            "next_action_level",
        ]
        t_columns, t_defaults = self._columns(Ticket, dict.fromkeys(t_generated))
        m_columns, m_defaults = self._columns(Milestone, dict.fromkeys(m_generated))
        t_index = {c: i for i, c in enumerate(t_columns)}
        m_index = {c: i for i, c in enumerate(m_columns)}
        rng, now = self.rng, self.now
        started = time.perf_counter()
        done = 0
        while done < count:
            size = min(CHUNK, count - done)
            tickets, milestones = [], []
            for i in range(size):
                n = start + done + i
                service_type = rng.choice(types)
                outlet_no = rng.randrange(30)
                is_open = rng.random() < open_share
                age = rng.randint(60, 20 * 86400 if is_open else 365 * 86400)
                received = now - datetime.timedelta(seconds=age)
                status = (
                    rng.choice(open_statuses)
                    if is_open
                    else (Status.CANCELLED if rng.random() < 0.05 else Status.CLOSED)
                )
                due = now + datetime.timedelta(minutes=rng.randint(-5 * 1440, 20 * 1440)) if is_open else None
                state = (
                    (
                        SlaState.BREACHED
                        if due < now
                        else SlaState.AT_RISK
                        if due < now + datetime.timedelta(hours=2)
                        else SlaState.ON_TIME
                    )
                    if is_open
                    else (SlaState.MET_LATE if rng.random() < 0.08 else SlaState.MET)
                )
                assignee = techs[outlet_no].pk if status not in (Status.NEW, Status.ACCEPTED) else None
                row = list(t_defaults)
                values = {
                    "id": next_ticket_id,
                    "reference": f"{BENCH_PREFIX}{n:012d}",
                    "service_type_id": service_type.pk,
                    "segment": "residential",
                    "contact_name": "Bench",
                    "contact_phone": f"139{n % 10**8:08d}",
                    "channel": rng.choice(channels),
                    "priority": "normal",
                    "status": status,
                    "org_unit_id": outlets[outlet_no].pk,
                    "assignee_id": assignee,
                    "description": "bench ticket",
                    "received_at": received.isoformat(),
                    "created_at": received.isoformat(),
                    "updated_at": received.isoformat(),
                    "resolved_at": None if is_open else received.isoformat(),
                    "closed_at": None if is_open else received.isoformat(),
                    "paused_at": received.isoformat() if status == Status.WAITING_CUSTOMER else None,
                    "pause_reason": "bench" if status == Status.WAITING_CUSTOMER else "",
                    "next_due_at": due.isoformat() if due else None,
                    "next_warn_at": (due - datetime.timedelta(hours=2)).isoformat() if due else None,
                    "sla_state": state,
                }
                for key, value in values.items():
                    row[t_index[key]] = value
                tickets.append(row)
                for order, standard in enumerate(list(service_type.standards.all())[:2]):
                    m_due = due if (due and order == 0) else received + datetime.timedelta(days=3)
                    m = list(m_defaults)
                    m_values = {
                        "id": next_milestone_id,
                        "ticket_id": next_ticket_id,
                        "code": standard.code,
                        "name": standard.name,
                        "amount": standard.amount,
                        "unit": standard.unit,
                        "sort_order": standard.sort_order,
                        "started_at": received.isoformat(),
                        "due_at": m_due.isoformat(),
                        "warn_at": (m_due - datetime.timedelta(hours=2)).isoformat(),
                        "met_at": None if is_open else received.isoformat(),
                        "state": state if is_open else SlaState.MET,
                        "next_action_at": m_due.isoformat()
                        if is_open and status != Status.WAITING_CUSTOMER
                        else None,
                        "next_action_level": 1 if is_open else None,
                    }
                    for key, value in m_values.items():
                        m[m_index[key]] = value
                    milestones.append(m)
                    next_milestone_id += 1
                next_ticket_id += 1
            self._copy(Ticket, t_columns, tickets)
            self._copy(Milestone, m_columns, milestones)
            done += size
            rate = done / (time.perf_counter() - started)
            self.stdout.write(f"  loaded {done:,}/{count:,} tickets ({rate:,.0f}/s)")
        with connection.cursor() as cursor:
            for model in (Ticket, Milestone):
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
                )
                cursor.execute(f"ANALYZE {table}")

    # ------------------------------------------------------------ queues

    def _bench_queues(self, rounds, pages):
        org, now = self.org, timezone.now()
        cases = [
            ("mine (technician)", org["techs"][0], {"scope": "mine"}),
            ("team (outlet supervisor)", org["supervisor"], {"scope": "team"}),
            ("team (branch manager)", org["manager"], {"scope": "team"}),
            ("all open (agent)", org["agent"], {"scope": "all"}),
            ("status=in_progress", org["agent"], {"scope": "all", "status": "in_progress"}),
            ("status=closed", org["agent"], {"scope": "all", "status": "closed"}),
            ("service_type=INS-RES", org["agent"], {"scope": "all", "service_type": "INS-RES"}),
            ("org_unit=BBR03", org["agent"], {"scope": "all", "org_unit": "BBR03"}),
            ("channel=hotline", org["agent"], {"scope": "all", "channel": "hotline"}),
            ("channel=letter (rare)", org["agent"], {"scope": "all", "channel": "letter"}),
            (
                "due_before=now+4h",
                org["agent"],
                {"scope": "all", "due_before": now + datetime.timedelta(hours=4)},
            ),
            ("sla_state=breached", org["agent"], {"scope": "all", "sla_state": "breached"}),
            ("breached, team (supervisor)", org["supervisor"], {"scope": "team", "sla_state": "breached"}),
            # The SLA state is computed by the clock in the query (due and warning times against now).
            ("sla_state=at_risk (by clock)", org["agent"], {"scope": "all", "sla_state": "at_risk"}),
            ("sla_state=on_time (by clock)", org["agent"], {"scope": "all", "sla_state": "on_time"}),
            ("at risk, team (supervisor)", org["supervisor"], {"scope": "team", "sla_state": "at_risk"}),
        ]
        self.stdout.write(
            f"\nqueue pages of 50 (with milestones), {rounds} rounds x (first + {pages} keyset pages)"
        )
        self.stdout.write(
            f"{'filter':32} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'queries/page':>13} {'rows':>6}"
        )
        worst = 0.0
        figures = {}
        for label, user, filters in cases:
            timings, queries, rows = [], set(), 0
            for _round in range(rounds):
                cursor = None
                for _page in range(pages + 1):
                    with CaptureQueriesContext(connection) as ctx:
                        t0 = time.perf_counter()
                        page = selectors.queue_for(
                            user, after=cursor, limit=50, with_milestones=True, **filters
                        )
                        for ticket in page.rows:
                            ticket.service_type.code, ticket.org_unit.code, list(ticket.milestones.all())
                        timings.append((time.perf_counter() - t0) * 1000)
                    queries.add(len(ctx.captured_queries))
                    rows = max(rows, len(page.rows))
                    cursor = page.next_cursor
                    if not cursor:
                        break
            p95 = _percentile(timings, 95)
            worst = max(worst, p95)
            figures[label] = {
                "p50_ms": round(statistics.median(timings), 1),
                "p95_ms": round(p95, 1),
                "queries_per_page": sorted(queries),
            }
            self.stdout.write(
                f"{label:32} {statistics.median(timings):8.1f} {p95:8.1f} {max(timings):8.1f} "
                f"{'/'.join(map(str, sorted(queries))):>13} {rows:6}"
            )
        self.stdout.write(f"worst p95: {worst:.1f} ms (target < 50 ms)")
        return {"worst_p95_ms": round(worst, 1), "queues": figures}

    # ------------------------------------------------------------ API creation

    def _bench_api(self, requests, threads):
        from django.test import Client
        from rest_framework.authtoken.models import Token

        # A call-centre agent takes requests for customers of every outlet (a front desk only its own).
        agent = self.org["agent"]
        token, _ = Token.objects.get_or_create(user=agent)
        accounts = list(
            Customer.objects.filter(account_no__startswith="99").values_list("account_no", flat=True)
        )
        body = {"service_type": "RPR-RES", "channel": "hotline", "description": "bench: 灶具打不着火"}

        # Queries per request, in-process through the same view.
        client = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
        client.post("/api/v1/tickets/", {**body, "customer": accounts[0]}, content_type="application/json")
        counts = []
        for account in accounts[1:6]:
            with CaptureQueriesContext(connection) as ctx:
                r = client.post(
                    "/api/v1/tickets/", {**body, "customer": account}, content_type="application/json"
                )
            assert r.status_code == 201, r.content
            counts.append(len(ctx.captured_queries))
        self.stdout.write(f"\nAPI create: queries per request (in-process): {counts}")

        port = self._free_port()
        # Production settings: DEBUG off (no query log, no debug pages), plain HTTP on the loopback.
        env = {
            **os.environ,
            "DATABASE_URL": self._database_url(),
            "DEBUG": "False",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "False",
        }
        base = Path(settings.BASE_DIR)
        server = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "gasservice.wsgi:application",
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
            ],
            cwd=base,
            env=env,
            start_new_session=True,
        )
        try:
            self._wait_for(port)
            url = f"http://127.0.0.1:{port}/api/v1/tickets/"

            def post(i):
                data = json.dumps({**body, "customer": accounts[i % len(accounts)]}).encode()
                req = urllib.request.Request(
                    url,
                    data=data,
                    method="POST",
                    headers={"Authorization": f"Token {token.key}", "Content-Type": "application/json"},
                )
                t0 = time.perf_counter()
                with urllib.request.urlopen(req, timeout=30) as resp:
                    assert resp.status == 201
                return (time.perf_counter() - t0) * 1000

            for i in range(20):  # warm both workers (imports, calendar snapshot)
                post(i)
            t0 = time.perf_counter()
            with ThreadPoolExecutor(threads) as pool:
                latencies = list(pool.map(post, range(requests)))
            elapsed = time.perf_counter() - t0
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        self.stdout.write(
            f"API create via gunicorn (2 workers, {threads} client threads, {requests} requests): "
            f"{requests / elapsed:.1f} req/s, p50 {statistics.median(latencies):.1f} ms, "
            f"p95 {_percentile(latencies, 95):.1f} ms, max {max(latencies):.1f} ms"
        )
        return {
            "queries_per_request": counts,
            "requests_per_s": round(requests / elapsed, 1),
            "p50_ms": round(statistics.median(latencies), 1),
            "p95_ms": round(_percentile(latencies, 95), 1),
        }

    def _database_url(self):
        s = connection.settings_dict
        user = s.get("USER") or "postgres"
        password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
        host, port = s.get("HOST") or "127.0.0.1", s.get("PORT") or 5432
        return f"postgres://{user}{password}@{host}:{port}/{s['NAME']}"

    @staticmethod
    def _free_port():
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return sock.getsockname()[1]

    @staticmethod
    def _wait_for(port, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                    return
            except OSError:
                time.sleep(0.3)
        raise CommandError("gunicorn did not start")
