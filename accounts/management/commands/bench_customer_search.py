"""manage.py bench_customer_search: customer search latency at millions of rows (PostgreSQL).

A benchmark, not a test. It tops the customer table up to --rows synthetic customers
(generate_customers), ANALYZEs, then runs the front desk's searches of each kind with
realistic inputs taken from the table, through accounts.selectors.search_customers, and
prints p50/p95 per kind plus each kind's query plan. Run it on a database of its own: it
refuses a database holding real customers unless --force. The last line is one JSON object:
customers, repeat, worst_p95_ms and the p50/p95 of every kind per user.
"""

import json
import random
import re
import statistics
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from accounts import synthetic
from accounts.management.commands.generate_customers import generate
from accounts.models import Customer, OrgUnit, Role, StaffProfile
from accounts.selectors import classify_query, customer_search_queryset, search_customers

ADDRESS_PARTS = re.compile(r"^(?P<district>.+?区)(?P<road>.+?[路街道])(?P<no>\d+号)(?P<rest>.*)$")


def real_customers_present() -> bool:
    """Rows outside the demo (80...) and synthetic (9...) account ranges are taken to be real."""
    return (
        Customer.objects.exclude(account_no__startswith=synthetic.SYNTHETIC_ACCOUNT_PREFIX)
        .exclude(account_no__startswith=synthetic.DEMO_ACCOUNT_PREFIX)
        .exists()
    )


def percentile(values, pct):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def address_fragment(rng, address):
    """What a clerk types from an address: "民生路123号", "锦绣花园5栋" or a road name."""
    match = ADDRESS_PARTS.match(address)
    if not match:
        return address[:6]
    rest = match["rest"]
    estate = re.match(r"^(.+?)(\d+栋)", rest)
    options = [match["road"] + match["no"]]
    if estate:
        options.append(estate[1] + estate[2])
        options.append(f"{estate[1]}{estate[2]}{rest[estate.end() :]}")
    return rng.choice(options)


class Command(BaseCommand):
    help = "Benchmark customer search at scale on PostgreSQL (p50/p95 per query kind, with plans)."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=2_500_000)
        parser.add_argument("--repeat", type=int, default=200, help="searches per kind")
        parser.add_argument("--batch", type=int, default=50_000, help="COPY batch size when topping up")
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--force", action="store_true", help="run even if real customers are present")
        parser.add_argument("--no-explain", action="store_true")

    def handle(self, *args, rows, repeat, batch, seed, force, no_explain, **options):
        if connection.vendor != "postgresql":
            raise CommandError("This benchmark needs PostgreSQL (set DATABASE_URL to a benchmark database).")
        if real_customers_present() and not force:
            raise CommandError(
                "This database holds customers outside the demo/synthetic ranges; use a database of its own "
                "(createdb gasservice_bench) or pass --force."
            )
        present = Customer.objects.count()
        if present < rows:
            self.stdout.write(f"Topping up {present:,} -> {rows:,} customers ...")
            started = time.monotonic()
            generate(rows - present, batch=batch, seed=seed)
            elapsed = time.monotonic() - started
            self.stdout.write(
                f"  inserted {rows - present:,} in {elapsed:.0f} s ({(rows - present) / elapsed:,.0f}/s)"
            )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE accounts_customer")
        total = Customer.objects.count()
        self.stdout.write(f"customers: {total:,}; searches per kind: {repeat}")

        rng = random.Random(seed)
        sample = self.sample_rows(repeat * 2, total)
        inputs = {
            "account_no": [r[0] for r in sample][:repeat],
            "mobile": [r[1] for r in sample if r[1]][:repeat],
            "landline": [r[2] for r in sample if r[2]][:repeat],
            "name (3+ chars)": [r[3] for r in sample if len(r[3]) >= 3][:repeat],
            "name prefix (2 chars)": [r[3][:2] for r in sample][:repeat],
            "address fragment": [address_fragment(rng, r[4]) for r in sample][:repeat],
            "phone last 4": [r[1][-4:] for r in sample if r[1]][:repeat],
            "last 4 + surname": [f"{r[1][-4:]} {r[3][:1]}" for r in sample if r[1]][:repeat],
            "no match": [
                f"{rng.choice(synthetic.ESTATE_STEMS)}不存在{rng.randint(1, 999)}" for _ in range(repeat)
            ],
        }
        users = self.bench_users()
        figures = {}
        for user_label, user in users.items():
            self.stdout.write(f"\n== as {user_label}")
            self.stdout.write(
                f"{'kind':<24}{'n':>5}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}{'avg rows':>10}"
            )
            for kind, values in inputs.items():
                if not values:
                    continue
                timings, hits = [], []
                for q in values:
                    started = time.perf_counter()
                    found = search_customers(user, q)
                    timings.append((time.perf_counter() - started) * 1000)
                    hits.append(len(found))
                p50, p95 = percentile(timings, 50), percentile(timings, 95)
                figures.setdefault(user_label, {})[kind] = {"p50_ms": round(p50, 2), "p95_ms": round(p95, 2)}
                self.stdout.write(
                    f"{kind:<24}{len(timings):>5}{p50:>10.2f}{p95:>10.2f}"
                    f"{max(timings):>10.2f}{statistics.mean(hits):>10.1f}"
                )
        if not no_explain:
            user = users["call-centre agent (sees all)"]
            for kind, values in inputs.items():
                if not values:
                    continue
                q = values[0]
                qs = customer_search_queryset(user, q).select_related("category", "sub_category", "outlet")
                self.stdout.write(f"\n-- EXPLAIN {kind}: q={q!r} ({classify_query(q).kind})")
                self.stdout.write(qs.order_by()[:51].explain(analyze=True, buffers=True))
            outlet_user = users["front desk (one outlet)"]
            q = inputs["address fragment"][0]
            self.stdout.write(f"\n-- EXPLAIN address fragment as front desk: q={q!r}")
            self.stdout.write(
                customer_search_queryset(outlet_user, q).order_by()[:51].explain(analyze=True, buffers=True)
            )
        worst = max((kind["p95_ms"] for kinds in figures.values() for kind in kinds.values()), default=0.0)
        self.stdout.write(
            json.dumps({"customers": total, "repeat": repeat, "worst_p95_ms": worst, "kinds": figures})
        )

    def sample_rows(self, n, total):
        """Up to n rows from pages picked at random: 1% of the pages of a large table, all of a small one."""
        share = 1 if total >= 100_000 else 100
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT account_no, mobile, landline, name, address FROM accounts_customer "
                "TABLESAMPLE SYSTEM (%s) WHERE category_id IS NOT NULL LIMIT %s",
                [share, n],
            )
            rows = cursor.fetchall()
        random.Random(1).shuffle(rows)
        return rows

    def bench_users(self):
        """In-memory users (nothing written): one who sees all, one front desk at an outlet."""
        user_model = get_user_model()
        outlet = OrgUnit.objects.filter(kind=OrgUnit.Kind.OUTLET).order_by("code").first()
        agent = user_model(username="bench-agent", is_active=True)
        agent.staff_profile = StaffProfile(role=Role.AGENT, org_unit=outlet)
        desk = user_model(username="bench-desk", is_active=True)
        desk.staff_profile = StaffProfile(role=Role.FRONT_DESK, org_unit=outlet)
        return {"call-centre agent (sees all)": agent, "front desk (one outlet)": desk}
