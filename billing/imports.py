"""Imports from the billing system: meters, readings and bills from a CSV file.

Streamed (the file is never read whole), in batches of BATCH_SIZE rows; each batch is one
transaction: rows are checked for shape in Python (UTF-8, column count), copied as text into a
temporary table (PostgreSQL COPY), their values checked and cast in SQL into the kind's staging
table, checked against the database in one query and merged in one INSERT or UPDATE, so a batch
is either wholly in or not at all. Idempotent on `external_id`: a row seen before with the same
content is "unchanged"; with other content it is refused (readings and bills are never changed in
place) or, for meters, updated. Every refused row is recorded with its row number and a reason code.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import pricing, selectors
from .models import (
    Bill,
    BillLine,
    BillStatus,
    Household,
    ImportKind,
    ImportRefusal,
    ImportRun,
    Meter,
    MeterType,
    ReadingSource,
)

BATCH_SIZE = 20000
MAX_EXTERNAL_ID = 64


@dataclass(frozen=True)
class Column:
    """A column of an import file and what its values must be; the checks run in SQL on the staged text."""

    name: str
    type: str = "text"  # text, choice, date or number
    required: bool = True
    max_length: int = MAX_EXTERNAL_ID
    places: int = 0
    choices: tuple[str, ...] = ()
    is_not_future: bool = False
    default: str | None = None  # an empty optional number stands for this value


SPECS = {
    ImportKind.METERS: (
        Column("external_id"),
        Column("account_no", max_length=12),
        Column("serial", max_length=40),
        Column("meter_type", "choice", choices=tuple(MeterType.values)),
        Column("fitted_on", "date"),
        Column("verify_by", "date", required=False),
    ),
    ImportKind.READINGS: (
        Column("external_id"),
        Column("meter_serial", max_length=40),
        Column("read_on", "date", is_not_future=True),
        Column("value_m3", "number", places=3),
        Column("source", "choice", choices=tuple(ReadingSource.values)),
    ),
    ImportKind.BILLS: (
        Column("external_id"),
        Column("account_no", max_length=12),
        Column("opening_reading_id"),
        Column("closing_reading_id"),
        Column("amount", "number", required=False, places=2),
        Column("due_on", "date"),
        Column("paid", "number", required=False, places=2, default="0"),
    ),
}
COLUMNS = {kind: [column.name for column in columns] for kind, columns in SPECS.items()}
STAGING_TABLES = {
    ImportKind.METERS: "stage_meters",
    ImportKind.READINGS: "stage_readings",
    ImportKind.BILLS: "stage_bills",
}


def refusal_messages() -> dict[str, str]:
    """Reason codes of refused rows, rendered in the reader's language."""
    return {
        "columns": _("The row has %(found)s columns; %(expected)s are expected."),
        "utf8": _("The row is not valid UTF-8."),
        "bom": _("The row contains a stray byte-order mark (BOM)."),
        "required": _("%(column)s is empty."),
        "too_long": _("%(column)s is longer than %(max)s characters."),
        "date": _("%(column)s is not a date (YYYY-MM-DD): %(value)s."),
        "number": _("%(column)s is not a number: %(value)s."),
        "decimals": _("%(column)s has more than %(places)s decimals: %(value)s."),
        "negative": _("%(column)s cannot be negative."),
        "choice": _("%(column)s must be one of %(choices)s, not %(value)s."),
        "future": _("%(column)s %(value)s is in the future."),
        "duplicate": _("external_id %(external_id)s appears again with different content."),
        "conflict": _("external_id %(external_id)s was imported before with different content."),
        "unknown_account": _("No customer has account number %(value)s."),
        "unknown_meter": _("No meter has serial %(value)s."),
        "unknown_reading": _("No reading has external_id %(value)s."),
        "serial_taken": _("Serial %(value)s belongs to another meter."),
        "removed_meter": _("Meter %(serial)s was removed on %(removed_on)s; it takes no readings."),
        "same_day": _("Meter %(serial)s already has another reading on %(read_on)s."),
        "lower": _(
            "%(value)s m³ is lower than the reading of %(before_on)s (%(before)s m³) on the same meter, "
            "and the meter was not changed."
        ),
        "higher": _("%(value)s m³ is higher than the later reading of %(after_on)s (%(after)s m³)."),
        "other_meter": _("The two readings belong to different meters."),
        "other_customer": _("The readings' meter belongs to another account."),
        "order": _("The closing reading must be later than the opening one."),
        "negative_volume": _("The closing reading is lower than the opening one."),
        "overlap": _("The period %(start)s to %(end)s overlaps bill %(other)s of the same meter."),
        "no_plan": _("No tariff plan covers this customer's category."),
        "pricing": _("The bill cannot be priced: %(detail)s"),
    }


def refusal_text(code: str, params: dict) -> str:
    template = refusal_messages().get(code, code)
    try:
        return template % params
    except (KeyError, TypeError, ValueError):
        return template


class ImportFileError(ValueError):
    """The file as a whole cannot be imported (wrong header)."""


@dataclass
class Outcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: list[tuple[int, str, str, dict]] = field(default_factory=list)  # row, external_id, code, params


class Refused(Exception):
    def __init__(self, code, *, external_id="", **params):
        super().__init__(code)
        self.code, self.params, self.external_id = code, params, external_id


# ---------------------------------------------------------------- reading the file


def count_data_rows(binary) -> int:
    """Lines after the header, counted in chunks (for the progress bar; the file is rewound)."""
    binary.seek(0)
    lines, last = 0, b"\n"
    for chunk in iter(lambda: binary.read(1 << 20), b""):
        lines += chunk.count(b"\n")
        last = chunk[-1:]
    binary.seek(0)
    return max(lines + (last != b"\n") - 1, 0)


def read_rows(binary, kind) -> Iterator[tuple[int, list[str] | Refused]]:
    """(row number, cells or a refusal) for every data row; the header must be exactly the kind's columns.

    Bad bytes do not stop the file: they are kept as surrogates and the row they are in is refused.
    """
    text = io.TextIOWrapper(binary, encoding="utf-8", errors="surrogateescape", newline="")
    reader = csv.reader(text)
    header = next(reader, None)
    expected = COLUMNS[kind]
    if header is None:
        raise ImportFileError(_("The file is empty."))
    header = [h.strip().lstrip("\ufeff").strip() for h in header]
    if header != expected:
        raise ImportFileError(
            _("The header must be exactly: %(expected)s (found: %(found)s).")
            % {"expected": ", ".join(expected), "found": ", ".join(header)[:300]}
        )
    for number, cells in enumerate(reader, start=2):
        if not cells or cells == [""]:
            continue
        joined = "".join(cells)
        if not joined.isascii() and not _is_clean_utf8(joined):
            yield number, Refused("utf8")
        elif not joined.isascii() and "\ufeff" in joined:
            yield number, Refused("bom")
        elif len(cells) != len(expected):
            yield (
                number,
                Refused("columns", external_id=cells[0].strip(), found=len(cells), expected=len(expected)),
            )
        else:
            yield number, [c.strip() for c in cells]
    text.detach()


def _is_clean_utf8(text: str) -> bool:
    """False when the row held bytes that are not UTF-8 (kept as lone surrogates while reading)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def batches(binary, kind, *, size=BATCH_SIZE) -> Iterator[tuple[list[tuple], Outcome, int]]:
    """Rows in batches: (rows of the right shape, their shape refusals, rows read).

    A row is (row number, is_repeat, *cells); is_repeat: its external_id came earlier in the batch.
    """
    rows = read_rows(binary, kind)
    while True:
        chunk = list(itertools.islice(rows, size))
        if not chunk:
            return
        good, outcome, seen = [], Outcome(), set()
        for number, cells in chunk:
            if isinstance(cells, Refused):
                ext = cells.external_id[:MAX_EXTERNAL_ID]
                outcome.refused.append((number, ext, cells.code, cells.params))
            else:
                good.append((number, cells[0] in seen, *cells))
                seen.add(cells[0])
        yield good, outcome, len(chunk)


# ---------------------------------------------------------------- checking values (PostgreSQL)

DATE_SHAPE = r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"
NUMBER_SHAPE = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d{1,3})?$"


def _checks(column: Column) -> list[tuple[str, str]]:
    """(reason code, SQL condition on the staged text that refuses the row), in the order they apply."""
    x = column.name
    if column.type == "text":
        checks = [("required", f"{x} = ''")] if column.required else []
        return [*checks, ("too_long", f"length({x}) > {column.max_length}")]
    if column.type == "choice":
        return [("choice", f"{x} <> ALL(%({x}_choices)s)")]
    if column.type == "date":
        first_day = f"make_date(left({x}, 4)::int, substr({x}, 6, 2)::int, 1)"
        last_day = f"extract(day FROM {first_day} + interval '1 month - 1 day')"
        checks = [
            ("date", f"{x} !~ '{DATE_SHAPE}' OR left({x}, 4) = '0000'"),
            ("date", f"substr({x}, 9, 2) > '28' AND substr({x}, 9, 2)::int > {last_day}"),
        ]
        if column.is_not_future:
            checks.append(("future", f"{x}::date > %(today)s"))
    else:
        checks = [
            ("number", f"{x} !~ '{NUMBER_SHAPE}'"),
            ("decimals", f"scale({x}::numeric) > {column.places}"),
            ("negative", f"{x}::numeric < 0"),
            ("number", f"abs({x}::numeric) >= 1e{12 - column.places}"),
        ]
    if not column.required:
        checks = [(code, f"{x} <> '' AND ({condition})") for code, condition in checks]
    return checks


def _typed(column: Column) -> str:
    """The staged text as the column's type (only for rows that passed every check)."""
    x = column.name
    if column.type == "date":
        return f"NULLIF({x}, '')::date"
    if column.type == "number":
        value = f"NULLIF({x}, '')::numeric"
        return f"COALESCE({value}, {column.default})" if column.default else value
    return x


def _staging_definition(column: Column) -> str:
    types = {"date": "date", "number": f"numeric(12,{column.places})"}
    return f"{column.name} {types.get(column.type, 'text')}"


def _values_check(kind) -> tuple[str, list[tuple[str, Column]]]:
    """One statement that checks and casts a batch's staged text into the kind's staging table.

    Of two rows with the same external_id the first is kept; the later one is "unchanged" if equal,
    else refused (compared only among the external_ids that repeat). It returns the refused rows (by the
    index of the failed check) and those repeats. The checks are computed once per row (MATERIALIZED).
    """
    columns = SPECS[kind]
    checks = [(code, column, condition) for column in columns for code, condition in _checks(column)]
    case = " ".join(f"WHEN {condition} THEN {i}" for i, (_code, _column, condition) in enumerate(checks))
    names = ", ".join(column.name for column in columns)
    typed = ", ".join(f"CASE WHEN fault IS NULL THEN {_typed(c)} END AS {c.name}" for c in columns)
    same = " AND ".join(f"{c.name} IS NOT DISTINCT FROM first_value({c.name}) OVER w" for c in columns)
    sql = f"""
    WITH r AS MATERIALIZED (SELECT r.*, CASE {case} END AS fault FROM stage_raw r),
    v AS (
        SELECT row_number, fault, CASE WHEN fault IS NOT NULL THEN ARRAY[{names}] END AS cells, {typed}
          FROM r
    ),
    shared AS (SELECT DISTINCT external_id FROM r WHERE is_repeat),
    d AS (
        SELECT v.*, row_number = first_value(row_number) OVER w AS is_first, {same} AS same
          FROM v WHERE fault IS NULL AND external_id IN (SELECT external_id FROM shared)
        WINDOW w AS (PARTITION BY external_id ORDER BY row_number)
    ),
    kept AS (
        INSERT INTO {STAGING_TABLES[kind]} (row_number, {names})
        SELECT row_number, {names} FROM v
         WHERE fault IS NULL AND external_id NOT IN (SELECT external_id FROM shared)
        UNION ALL
        SELECT row_number, {names} FROM d WHERE is_first
    )
    SELECT row_number, fault, NULL::boolean, cells FROM v WHERE fault IS NOT NULL
    UNION ALL
    SELECT row_number, NULL, same, ARRAY[external_id] FROM d WHERE NOT is_first
    """
    return sql, [(code, column) for code, column, _condition in checks]


VALUES_CHECKS = {kind: _values_check(kind) for kind in SPECS}


def _value_refusal(code: str, column: Column, value: str) -> dict:
    """The parameters of a refused value's message."""
    if code in ("required", "negative"):
        return {"column": column.name}
    if code == "too_long":
        return {"column": column.name, "max": column.max_length}
    if code == "decimals":
        return {"column": column.name, "places": column.places, "value": value[:40]}
    if code == "choice":
        return {"column": column.name, "choices": ", ".join(column.choices), "value": value[:40]}
    return {"column": column.name, "value": value[:40]}


def _stage(cursor, table: str, definition: str) -> None:
    """A temporary staging table for this batch (dropped at commit; a nested batch replaces it)."""
    cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{table}")
    cursor.execute(f"CREATE TEMP TABLE {table} ({definition}) ON COMMIT DROP")


def stage_batch(cursor, kind, rows: list[tuple], outcome: Outcome, *, today: dt.date) -> None:
    """Copy the rows as text, check and cast their values into the kind's staging table, record refusals."""
    columns = SPECS[kind]
    names = ", ".join(column.name for column in columns)
    _stage(
        cursor, "stage_raw", "row_number int, is_repeat bool, " + ", ".join(f"{c.name} text" for c in columns)
    )
    _stage(cursor, STAGING_TABLES[kind], "row_number int, " + ", ".join(map(_staging_definition, columns)))
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    options = f"FORMAT csv, FORCE_NOT_NULL ({names})"  # an empty cell is '', not NULL
    copy_sql = f"COPY stage_raw (row_number, is_repeat, {names}) FROM STDIN WITH ({options})"
    with cursor.copy(copy_sql) as copy:
        copy.write(buffer.getvalue())
    sql, checks = VALUES_CHECKS[kind]
    params = {"today": today, **{f"{c.name}_choices": list(c.choices) for c in columns if c.choices}}
    cursor.execute(sql, params)
    for number, fault, same, cells in cursor.fetchall():
        if fault is not None:
            code, column = checks[fault]
            found = _value_refusal(code, column, cells[columns.index(column)])
            outcome.refused.append((number, cells[0][:MAX_EXTERNAL_ID], code, found))
        elif same:
            outcome.unchanged += 1
        else:
            outcome.refused.append((number, cells[0], "duplicate", {"external_id": cells[0]}))


# ---------------------------------------------------------------- merging a batch (PostgreSQL)


def merge_meters(cursor, outcome: Outcome) -> None:
    cursor.execute("ANALYZE stage_meters")  # the planner needs the batch's size to join it sensibly
    cursor.execute(
        """
        SELECT s.row_number, s.external_id, s.account_no, s.serial, c.id, m.id,
               (m.serial = s.serial AND m.customer_id = c.id AND m.meter_type = s.meter_type
                AND m.fitted_on = s.fitted_on AND m.verify_by IS NOT DISTINCT FROM s.verify_by),
               other.id IS NOT NULL
          FROM stage_meters s
          LEFT JOIN accounts_customer c ON c.account_no = s.account_no
          LEFT JOIN billing_meter m ON m.external_id = s.external_id
          LEFT JOIN billing_meter other ON other.serial = s.serial
               AND other.external_id IS DISTINCT FROM s.external_id
        """
    )
    fresh, changed = [], []
    for number, ext, account_no, serial, customer_id, meter_id, same, serial_taken in cursor.fetchall():
        if customer_id is None:
            outcome.refused.append((number, ext, "unknown_account", {"value": account_no}))
        elif serial_taken:
            outcome.refused.append((number, ext, "serial_taken", {"value": serial}))
        elif meter_id is None:
            fresh.append(number)
        elif same:
            outcome.unchanged += 1
        else:
            changed.append(number)
    if fresh:
        cursor.execute(
            """
            INSERT INTO billing_meter
                   (serial, external_id, meter_type, customer_id, fitted_on, verify_by, status)
            SELECT s.serial, s.external_id, s.meter_type, c.id, s.fitted_on, s.verify_by, 'in_service'
              FROM stage_meters s JOIN accounts_customer c ON c.account_no = s.account_no
              JOIN unnest(%s::int[]) AS ok(row_number) ON ok.row_number = s.row_number
            """,
            [fresh],
        )
        outcome.created += len(fresh)
    if changed:
        cursor.execute(
            """
            UPDATE billing_meter m SET serial = s.serial, meter_type = s.meter_type, customer_id = c.id,
                   fitted_on = s.fitted_on, verify_by = s.verify_by
              FROM stage_meters s JOIN accounts_customer c ON c.account_no = s.account_no
              JOIN unnest(%s::int[]) AS ok(row_number) ON ok.row_number = s.row_number
             WHERE m.external_id = s.external_id
            """,
            [changed],
        )
        outcome.updated += len(changed)


# Every staged reading gets its verdict in SQL (NULL = accepted), into a second temporary table:
# only refused rows come back to Python, and the accepted ones are inserted from it directly.
# Stored readings are looked up by index, row by row (LATERAL ... LIMIT 1), so a batch costs the
# same however many readings are stored already.
READINGS_CHECK = """
CREATE TEMP TABLE stage_readings_checked ON COMMIT DROP AS
WITH s AS (
    SELECT st.*, m.id AS meter_id, m.status AS meter_status, m.removed_on, r.id AS existing_id, r.same
      FROM stage_readings st
      LEFT JOIN billing_meter m ON m.serial = st.meter_serial
      LEFT JOIN LATERAL (SELECT r.id, (r.meter_id = m.id AND r.read_on = st.read_on
                                       AND r.value_m3 = st.value_m3 AND r.source = st.source) AS same
                           FROM billing_meterreading r WHERE r.external_id = st.external_id LIMIT 1) r
             ON true
),
w AS (
    SELECT s.row_number,
           lag(value_m3) OVER win AS s_prev, lag(read_on) OVER win AS s_prev_on,
           count(*) OVER (PARTITION BY meter_id, read_on) AS s_same_day
      FROM s WHERE meter_id IS NOT NULL AND existing_id IS NULL
    WINDOW win AS (PARTITION BY meter_id ORDER BY read_on, row_number)
),
n AS (
    SELECT s.*, w.s_same_day, en.read_on = s.read_on AS e_same_day,
           CASE WHEN en.read_on > s.read_on THEN en.value_m3 END AS after,
           CASE WHEN en.read_on > s.read_on THEN en.read_on END AS after_on,
           CASE WHEN w.s_prev_on IS NULL THEN ep.value_m3 WHEN ep.read_on IS NULL THEN w.s_prev
                WHEN w.s_prev_on > ep.read_on THEN w.s_prev ELSE ep.value_m3 END AS before,
           CASE WHEN w.s_prev_on IS NULL THEN ep.read_on WHEN ep.read_on IS NULL THEN w.s_prev_on
                WHEN w.s_prev_on > ep.read_on THEN w.s_prev_on ELSE ep.read_on END AS before_on
      FROM s
      LEFT JOIN w ON w.row_number = s.row_number
      LEFT JOIN LATERAL (SELECT value_m3, read_on FROM billing_meterreading r
                          WHERE r.meter_id = s.meter_id AND r.corrects_id IS NULL AND r.read_on < s.read_on
                          ORDER BY r.read_on DESC LIMIT 1) ep ON w.row_number IS NOT NULL
      -- The stored reading on the same day or, failing that, the next one (a same-day clash is
      -- refused before the next reading matters).
      LEFT JOIN LATERAL (SELECT value_m3, read_on FROM billing_meterreading r
                          WHERE r.meter_id = s.meter_id AND r.corrects_id IS NULL AND r.read_on >= s.read_on
                          ORDER BY r.read_on LIMIT 1) en ON w.row_number IS NOT NULL
)
SELECT n.*,
       CASE WHEN meter_id IS NULL THEN 'unknown_meter'
            WHEN existing_id IS NOT NULL THEN CASE WHEN same THEN 'unchanged' ELSE 'conflict' END
            WHEN meter_status = %(removed)s AND removed_on IS NOT NULL AND read_on > removed_on
                 THEN 'removed_meter'
            WHEN s_same_day > 1 OR e_same_day THEN 'same_day'
            WHEN before IS NOT NULL AND value_m3 < before THEN 'lower'
            WHEN after IS NOT NULL AND value_m3 > after THEN 'higher'
       END AS verdict
  FROM n
"""


def merge_readings(cursor, outcome: Outcome) -> None:
    """A row is checked against the stored readings on both sides, and against the rows before it
    in the file: of two rows that disagree, the later one is refused."""
    # No ANALYZE: its checks probe stored readings by index row by row whatever the statistics say.
    cursor.execute("DROP TABLE IF EXISTS pg_temp.stage_readings_checked")
    cursor.execute(READINGS_CHECK, {"removed": Meter.Status.REMOVED})
    cursor.execute(
        """
        INSERT INTO billing_meterreading (external_id, meter_id, read_on, value_m3, source, created_at)
        SELECT external_id, meter_id, read_on, value_m3, source, now()
          FROM stage_readings_checked WHERE verdict IS NULL
        """
    )
    outcome.created += cursor.rowcount
    cursor.execute(
        """
        SELECT row_number, external_id, verdict, meter_serial, read_on, value_m3, removed_on,
               before, before_on, after, after_on
          FROM stage_readings_checked WHERE verdict IS NOT NULL ORDER BY row_number
        """
    )
    for number, ext, verdict, *found in cursor.fetchall():
        if verdict == "unchanged":
            outcome.unchanged += 1
        else:
            outcome.refused.append((number, ext, verdict, _reading_refusal(verdict, ext, *found)))


def _reading_refusal(verdict, ext, serial, read_on, value, removed_on, before, before_on, after, after_on):
    """The parameters of a refused reading's message."""
    if verdict == "unknown_meter":
        return {"value": serial}
    if verdict == "conflict":
        return {"external_id": ext}
    if verdict == "removed_meter":
        return {"serial": serial, "removed_on": removed_on.isoformat()}
    if verdict == "same_day":
        return {"serial": serial, "read_on": read_on.isoformat()}
    if verdict == "lower":
        return {"value": str(value), "before": str(before), "before_on": before_on.isoformat()}
    return {"value": str(value), "after": str(after), "after_on": after_on.isoformat()}


BILLS_CHECK = """
SELECT s.row_number, s.external_id, s.account_no, s.opening_reading_id, s.closing_reading_id, s.amount,
       s.due_on, s.paid, c.id, o.id, o.meter_id, o.read_on, o.value_m3, o.source, cl.id, cl.meter_id,
       cl.read_on, cl.value_m3, cl.source, m.customer_id, b.id,
       (b.customer_id = c.id AND b.opening_reading_id = o.id AND b.closing_reading_id = cl.id
        AND b.due_on = s.due_on AND b.amount_paid = s.paid AND (s.amount IS NULL OR b.amount = s.amount))
  FROM stage_bills s
  LEFT JOIN accounts_customer c ON c.account_no = s.account_no
  LEFT JOIN billing_meterreading o ON o.external_id = s.opening_reading_id
  LEFT JOIN billing_meterreading cl ON cl.external_id = s.closing_reading_id
  LEFT JOIN billing_meter m ON m.id = o.meter_id
  LEFT JOIN billing_bill b ON b.external_id = s.external_id
 ORDER BY s.row_number
"""


def merge_bills(cursor, outcome: Outcome) -> None:
    """Bills priced by the engine (the lines always; the amount when the file has none), bulk-created."""
    from accounts.models import Customer

    cursor.execute("ANALYZE stage_bills")
    cursor.execute(BILLS_CHECK)
    candidates = []
    for row in cursor.fetchall():
        (
            number,
            ext,
            account_no,
            opening_ext,
            closing_ext,
            amount,
            due_on,
            paid,
            customer_id,
            o_id,
            o_meter,
            o_on,
            o_value,
            o_source,
            c_id,
            c_meter,
            c_on,
            c_value,
            c_source,
            meter_customer,
            bill_id,
            same,
        ) = row
        refuse = None
        if bill_id is not None:
            if same:
                outcome.unchanged += 1
                continue
            refuse = ("conflict", {"external_id": ext})
        elif customer_id is None:
            refuse = ("unknown_account", {"value": account_no})
        elif o_id is None:
            refuse = ("unknown_reading", {"value": opening_ext})
        elif c_id is None:
            refuse = ("unknown_reading", {"value": closing_ext})
        elif o_meter != c_meter:
            refuse = ("other_meter", {})
        elif meter_customer != customer_id:
            refuse = ("other_customer", {})
        elif c_on <= o_on:
            refuse = ("order", {})
        elif c_value < o_value:
            refuse = ("negative_volume", {})
        if refuse:
            outcome.refused.append((number, ext, *refuse))
            continue
        candidates.append(
            {
                "row": number,
                "external_id": ext,
                "customer_id": customer_id,
                "meter_id": o_meter,
                "opening": o_id,
                "closing": c_id,
                "start": o_on,
                "end": c_on,
                "volume": c_value - o_value,
                "amount": amount,
                "due_on": due_on,
                "paid": paid,
                "estimated": ReadingSource.ESTIMATED in (o_source, c_source),
            }
        )
    if not candidates:
        return
    # Overlaps with stored bills of the same meters, in one query.
    stored = defaultdict(list)
    for meter_id, start, end, other in (
        Bill.objects.filter(meter_id__in={c["meter_id"] for c in candidates})
        .exclude(status=BillStatus.VOID)
        .values_list("meter_id", "period_start", "period_end", "external_id")
    ):
        stored[meter_id].append((start, end, other))
    customers = Customer.objects.select_related("category__parent", "sub_category").in_bulk(
        {c["customer_id"] for c in candidates}
    )
    engine_plans = _engine_plans(customers.values())
    # Volume billed earlier in each bill's cycle, for all candidates in one query; then the bills
    # of this batch add theirs as they are priced in date order.
    usage_before = _usage_before(cursor, candidates)
    batch_lines = defaultdict(list)  # customer id -> lines priced in this batch
    bills, lines_by_row = [], {}
    for c in sorted(candidates, key=lambda c: (c["customer_id"], c["start"])):
        clash = next((o for o in stored[c["meter_id"]] if o[0] < c["end"] and o[1] > c["start"]), None)
        if clash is not None:
            outcome.refused.append(
                (
                    c["row"],
                    c["external_id"],
                    "overlap",
                    {"start": c["start"].isoformat(), "end": c["end"].isoformat(), "other": clash[2]},
                )
            )
            continue
        customer = customers[c["customer_id"]]
        plan, engine = engine_plans[customer.pk]
        if plan is None:
            outcome.refused.append((c["row"], c["external_id"], "no_plan", {}))
            continue
        usage = pricing.CycleUsage()
        if c["row"] in usage_before:
            usage.add(c["start"].year, usage_before[c["row"]])
        for line in batch_lines[customer.pk]:
            if line.cycle == c["start"].year and line.start < c["start"]:
                usage.add(line.cycle, line.volume)
        try:
            priced = pricing.price_bill(engine, c["start"], c["end"], c["volume"], usage)
        except pricing.PricingError as exc:
            outcome.refused.append((c["row"], c["external_id"], "pricing", {"detail": str(exc)}))
            continue
        bill = Bill(
            customer_id=customer.pk,
            meter_id=c["meter_id"],
            external_id=c["external_id"],
            plan=plan,
            opening_reading_id=c["opening"],
            closing_reading_id=c["closing"],
            period_start=c["start"],
            period_end=c["end"],
            volume_m3=c["volume"],
            amount=priced.amount if c["amount"] is None else c["amount"],
            due_on=c["due_on"],
            amount_paid=c["paid"],
            status=BillStatus.PAID if c["paid"] >= (c["amount"] or priced.amount) else BillStatus.ISSUED,
            is_estimated=c["estimated"],
        )
        bill.row_number = c["row"]
        bills.append(bill)
        lines_by_row[c["row"]] = priced.lines
        batch_lines[customer.pk].extend(priced.lines)
        stored[c["meter_id"]].append((c["start"], c["end"], c["external_id"]))
    created = Bill.objects.bulk_create(bills)
    BillLine.objects.bulk_create(
        BillLine(
            bill=bill,
            position=i,
            segment_start=line.start,
            segment_end=line.end,
            cycle=line.cycle,
            season=line.season,
            tier=line.tier,
            volume_m3=line.volume,
            price=line.price,
            amount=line.amount,
        )
        for bill, original in zip(created, bills, strict=True)
        for i, line in enumerate(lines_by_row[original.row_number], start=1)
    )
    outcome.created += len(created)


def _engine_plans(customers) -> dict[int, tuple]:
    """(plan, engine plan) per customer: plans looked up once per category, prices once per plan,
    households of all the customers in one query."""
    plan_of_categories, prices = {}, {}
    households = defaultdict(list)
    for customer_id, recorded_on, persons in (
        Household.objects.filter(customer_id__in=[c.pk for c in customers])
        .order_by("recorded_on")
        .values_list("customer_id", "recorded_on", "persons")
    ):
        households[customer_id].append((recorded_on, persons))
    result = {}
    for customer in customers:
        key = (customer.sub_category_id, customer.category_id, customer.category.parent_id)
        if key not in plan_of_categories:
            plan_of_categories[key] = selectors.plan_for(customer)
        plan = plan_of_categories[key]
        if plan is None:
            result[customer.pk] = (None, None)
            continue
        if plan.pk not in prices:
            prices[plan.pk] = list(plan.prices.values_list("effective_from", "season", "tier", "price"))
        engine = selectors.build_engine_plan(plan, prices[plan.pk], households[customer.pk])
        result[customer.pk] = (plan, engine)
    return result


def _usage_before(cursor, candidates) -> dict[int, Decimal]:
    """Row number -> volume of the customer's stored (not void) bill lines in the cycle of the row's
    start, before it: one query for the batch."""
    cursor.execute(
        """
        SELECT s.row_number, sum(l.volume_m3)
          FROM unnest(%s::int[], %s::int[], %s::date[]) AS s(row_number, customer_id, start)
          JOIN billing_bill x ON x.customer_id = s.customer_id AND x.status <> %s
          JOIN billing_billline l ON l.bill_id = x.id
               AND l.cycle = extract(year FROM s.start)::int AND l.segment_start < s.start
         GROUP BY s.row_number
        """,
        [
            [c["row"] for c in candidates],
            [c["customer_id"] for c in candidates],
            [c["start"] for c in candidates],
            BillStatus.VOID,
        ],
    )
    return dict(cursor.fetchall())


MERGERS = {
    ImportKind.METERS: merge_meters,
    ImportKind.READINGS: merge_readings,
    ImportKind.BILLS: merge_bills,
}


# ---------------------------------------------------------------- running an import


def run_import(
    run: ImportRun,
    binary,
    *,
    today: dt.date,
    progress: Callable[[ImportRun], None] | None = None,
    batch_size: int = BATCH_SIZE,
) -> ImportRun:
    """Import the file batch by batch, recording counts and refusals after every batch (the progress bar).

    A batch that fails (a database error) rolls back whole; the import stops there and says so.
    """
    if connection.vendor != "postgresql":
        raise ImportFileError(_("Imports from the billing system need PostgreSQL."))
    run.total_rows = count_data_rows(binary)
    run.status = ImportRun.Status.RUNNING
    run.save(update_fields=["total_rows", "status"])
    merge = MERGERS[run.kind]
    try:
        for good, outcome, read in batches(binary, run.kind, size=batch_size):
            with transaction.atomic(), connection.cursor() as cursor:
                # A batch's index probes make the planner's estimates large enough to JIT-compile the
                # checks: seconds of compiling for under a second of work. Off for this transaction only.
                cursor.execute("SET LOCAL jit = off")
                # A batch lost in a crash is imported again by the next run (idempotent on external_id):
                # no need to wait for the disk at each commit.
                cursor.execute("SET LOCAL synchronous_commit = off")
                if good:
                    stage_batch(cursor, run.kind, good, outcome, today=today)
                    merge(cursor, outcome)
                ImportRefusal.objects.bulk_create(
                    ImportRefusal(
                        run=run,
                        row_number=n,
                        external_id=(ext or "")[:MAX_EXTERNAL_ID],
                        code=code,
                        params=params,
                    )
                    for n, ext, code, params in outcome.refused
                )
                run.done_rows += read
                run.created += outcome.created
                run.updated += outcome.updated
                run.unchanged += outcome.unchanged
                run.refused += len(outcome.refused)
                run.save(update_fields=["done_rows", "created", "updated", "unchanged", "refused"])
            if progress:
                progress(run)
    except ImportFileError as exc:
        run.status, run.failure = ImportRun.Status.FAILED, str(exc)
    except Exception as exc:  # a batch that fails is rolled back whole; say where the import stopped
        run.status = ImportRun.Status.FAILED
        run.failure = _("Stopped after row %(row)s: %(error)s") % {"row": run.done_rows + 1, "error": exc}
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "failure", "finished_at"])
        raise
    else:
        run.status = ImportRun.Status.DONE
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "failure", "finished_at"])
    return run


# Files up to this size are imported while the caller waits; larger ones by the worker.
INLINE_MAX_BYTES = 256 * 1024


def start_import(*, kind: str, upload, actor, now) -> tuple[ImportRun, bool]:
    """Import a small file at once, or store a large one and queue it for the worker.

    Returns the run and whether it runs in the background.
    """
    from django.core.exceptions import ValidationError

    from notifications.publishing import enqueue_on_commit

    from .tasks import run_billing_import

    if kind not in ImportKind.values:
        raise ValidationError({"kind": _("Choose meters, readings or bills.")})
    name = (getattr(upload, "name", "") or "import.csv")[-200:]
    run = ImportRun(kind=kind, file_name=name, created_by=actor, created_at=now)
    if upload.size <= INLINE_MAX_BYTES:
        run.save()
        upload.seek(0)
        try:
            return run_import(run, upload, today=timezone.localtime(now).date()), False
        except ImportFileError as exc:
            raise ValidationError({"file": str(exc)}) from None
    with transaction.atomic():
        run.file.save(name.rsplit("/", 1)[-1], upload, save=False)
        run.save()
        enqueue_on_commit(run_billing_import, run.pk)
    return run, True


def run_queued_import(run_id: int) -> ImportRun | None:
    """The worker's side: claim a queued import (only one worker can) and run it from its stored file."""
    claimed = ImportRun.objects.filter(pk=run_id, status=ImportRun.Status.QUEUED).update(
        status=ImportRun.Status.RUNNING
    )
    if not claimed:
        return None
    run = ImportRun.objects.get(pk=run_id)
    with run.file.open("rb") as binary:
        return run_import(run, binary, today=timezone.localdate())
