"""manage.py generate_customers N: bulk synthetic customers for benchmarks.

Account numbers start with 9 (never a real account) and continue after the highest one
present. On PostgreSQL rows are streamed with COPY (millions in minutes); elsewhere
bulk_create.
"""

import io
import random
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from accounts import synthetic
from accounts.models import Customer, CustomerCategory, OrgUnit
from accounts.search_indexes import create_search_indexes, drop_search_indexes
from accounts.seeding import seed_categories, seed_org, synthetic_customer_rows

COPY_COLUMNS = (
    "account_no",
    "name",
    "category_id",
    "sub_category_id",
    "mobile",
    "landline",
    "id_number",
    "address",
    "outlet_id",
    "is_key_account",
    "account_manager_id",
    "status",
    "notes",
    "created_at",
    "updated_at",
)


def next_synthetic_number() -> int:
    top = Customer.objects.filter(account_no__startswith=synthetic.SYNTHETIC_ACCOUNT_PREFIX).aggregate(
        m=Max("account_no")
    )["m"]
    return int(top) + 1 if top else int(synthetic.SYNTHETIC_ACCOUNT_PREFIX + "0" * 9)


def _tsv(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value).replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")


# From this many rows on, PostgreSQL's search indexes are dropped and rebuilt around the load.
DEFER_INDEXES_FROM = 200_000


def generate(count: int, *, batch: int = 10000, seed: int | None = None, stdout=None) -> int:
    """Insert `count` synthetic customers; returns how many were inserted."""
    use_copy = connection.vendor == "postgresql"
    defer_indexes = use_copy and count >= DEFER_INDEXES_FROM
    if defer_indexes:
        with connection.cursor() as cursor:
            drop_search_indexes(cursor)
    try:
        return _generate(count, batch=batch, seed=seed, stdout=stdout, use_copy=use_copy)
    finally:
        if defer_indexes:
            if stdout is not None:
                stdout.write("  rebuilding the search indexes ...")
            with connection.cursor() as cursor:
                cursor.execute("SET maintenance_work_mem = '512MB'")
                create_search_indexes(cursor)


def _generate(count, *, batch, seed, stdout, use_copy) -> int:
    seed_categories()
    outlets = list(OrgUnit.objects.filter(kind=OrgUnit.Kind.OUTLET, is_active=True))
    if not outlets:
        outlets = [u for u in seed_org().values() if u.kind == OrgUnit.Kind.OUTLET]
    categories = {c.code: c for c in CustomerCategory.objects.all()}
    rng = random.Random(seed)
    first = next_synthetic_number()
    if first + count - 1 > 9_999_999_999:
        raise CommandError("The synthetic account range (9xxxxxxxxx) is full.")
    now = timezone.now()
    ids = {code: c.pk for code, c in categories.items()}
    outlet_ids = [o.pk for o in outlets]
    done = 0
    while done < count:
        size = min(batch, count - done)
        numbers = (f"{n:010d}" for n in range(first + done, first + done + size))
        with transaction.atomic():
            if use_copy:
                # Plain tuples, no model instances: COPY of millions is bound by this loop.
                buffer = io.StringIO()
                stamp = now.isoformat()
                for account_no in numbers:
                    v = synthetic.customer_values(rng)
                    sub = v["sub_category_code"]
                    category_id, sub_id = ids[v["category_code"]], ids[sub] if sub else None
                    values = (
                        account_no, v["name"], category_id, sub_id, v["mobile"], v["landline"],
                        v["id_number"], v["address"], rng.choice(outlet_ids), False, None,
                        Customer.Status.ACTIVE if rng.random() < 0.96 else Customer.Status.SUSPENDED,
                        synthetic.SYNTHETIC_NOTE, stamp, stamp,
                    )  # fmt: skip
                    buffer.write("\t".join(_tsv(x) for x in values) + "\n")
                with (
                    connection.cursor() as cursor,
                    cursor.copy(f"COPY accounts_customer ({', '.join(COPY_COLUMNS)}) FROM STDIN") as copy,
                ):
                    copy.write(buffer.getvalue())
            else:
                objs = list(synthetic_customer_rows(rng, numbers, categories, outlets, managers=[]))
                for c in objs:
                    c.notes = synthetic.SYNTHETIC_NOTE
                Customer.objects.bulk_create(objs, batch_size=1000)
        done += size
        if stdout is not None and (done // batch) % 10 == 0:
            stdout.write(f"  {done:,} / {count:,}")
    return done


class Command(BaseCommand):
    help = "Insert N synthetic customers (account numbers 9xxxxxxxxx) for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("count", type=int)
        parser.add_argument("--batch", type=int, default=10000)
        parser.add_argument("--seed", type=int, default=None, help="random seed (default: random)")

    def handle(self, *args, count, batch, seed, **options):
        if count < 1 or batch < 1:
            raise CommandError("N and --batch must be positive.")
        started = time.monotonic()
        inserted = generate(count, batch=batch, seed=seed, stdout=self.stdout)
        elapsed = max(time.monotonic() - started, 1e-6)
        method = "COPY" if connection.vendor == "postgresql" else "bulk_create"
        self.stdout.write(
            f"Inserted {inserted:,} customers in {elapsed:.1f} s "
            f"({inserted / elapsed:,.0f} rows/s, {method})."
        )
