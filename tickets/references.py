"""Ticket references: GS + local date + a daily counter, e.g. GS20261126-00042.

Unique, sortable (zero-padded; five digits cover 99,999 tickets a day) and gap-free: the
number comes from one counter row per day, upserted with INSERT ... ON CONFLICT ... RETURNING
(PostgreSQL and SQLite 3.35+). The row stays locked until the creating transaction commits,
so two concurrent creations can never get the same number, and a rolled-back creation gives
its number back.
"""

import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection

from .models import ReferenceCounter

PREFIX = "GS"


def local_day(now: datetime.datetime) -> datetime.date:
    return now.astimezone(ZoneInfo(settings.TIME_ZONE)).date()


def next_reference(now: datetime.datetime) -> str:
    """The next reference for a ticket created at `now` (call inside the creating transaction)."""
    day = local_day(now)
    table = connection.ops.quote_name(ReferenceCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (day, last) VALUES (%s, 1) "
            f"ON CONFLICT (day) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            [day],
        )
        (number,) = cursor.fetchone()
    return f"{PREFIX}{day:%Y%m%d}-{number:05d}"
