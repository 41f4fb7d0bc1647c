"""Set-based writes for the sweep and the notification writer: the only raw SQL they run.

PostgreSQL: many rows travel as one JSON document (json_to_recordset), which costs far less to
build, quote and parse than thousands of VALUES parameters or model instances. Elsewhere
(SQLite in development) the same calls fall back to portable INSERT ... VALUES and Django's
bulk_update, with the same results: ON CONFLICT DO NOTHING, RETURNING, never-lowered columns.
"""

from __future__ import annotations

import datetime as dt
import json

from django.db import connection
from django.db.models import F, Value
from django.db.models.functions import Coalesce, Greatest


def _as_json_document(rows: list[dict]) -> str:
    # Batches repeat the same few times (the sweep's `now`, a step's due time) thousands of
    # times: each is turned into text once.
    texts: dict = {}

    def default(value):
        text = texts.get(value)
        if text is None:
            if not isinstance(value, dt.datetime | dt.date):
                raise TypeError(f"{type(value).__name__} is not JSON serialisable")
            text = texts[value] = value.isoformat()
        return text

    return json.dumps(rows, default=default, ensure_ascii=False, separators=(",", ":"))


def _json_record(model, names, *, alias: str = "v", extra: str = "") -> str:
    """`AS v("a" type, ...)` for json_to_recordset: the columns' own database types (`extra`: a
    further column definition of the query's own)."""
    fields = {f.attname: f for f in model._meta.concrete_fields}
    quote = connection.ops.quote_name
    defs = [f"{quote(n)} {fields[n].db_type(connection)}" for n in names] + ([extra] if extra else [])
    return f"{alias}(" + ", ".join(defs) + ")"


def insert_rows(
    model,
    rows: list[dict],
    *,
    shared: dict | None = None,
    returning: tuple[str, ...] = (),
    conflict: tuple[str, ...] = (),
) -> list[tuple]:
    """One INSERT for many rows given as {attname: value} (all rows with the same keys), plus
    `shared` {attname: value} for the columns every row has the same value in.

    PostgreSQL: the rows travel as one JSON document (json_to_recordset), which costs far less
    to build, quote and parse than thousands of VALUES parameters; shared values are sent once.
    `conflict`: ON CONFLICT (columns) DO NOTHING, so RETURNING gives the rows actually inserted.
    """
    if not rows:
        return []
    shared = shared or {}
    if connection.vendor != "postgresql":
        rows = [{**row, **shared} for row in rows]
        return _insert_values(model, rows, returning=returning, conflict=conflict)
    quote = connection.ops.quote_name
    fields = {f.attname: f for f in model._meta.concrete_fields}
    names = list(rows[0])
    columns = ", ".join(quote(fields[n].column) for n in [*names, *shared])
    values = [f"v.{quote(n)}" for n in names] + [f"%s::{fields[n].db_type(connection)}" for n in shared]
    params = [fields[n].get_db_prep_save(value, connection) for n, value in shared.items()]
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({columns}) SELECT {', '.join(values)} "
        f"FROM json_to_recordset(%s::json) AS {_json_record(model, names)}"
    )
    if conflict:
        sql += f" ON CONFLICT ({', '.join(quote(c) for c in conflict)}) DO NOTHING"
    if returning:
        sql += " RETURNING " + ", ".join(quote(c) for c in returning)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, _as_json_document(rows)])
        return cursor.fetchall() if returning else []


def insert_grouped(
    model,
    groups: list[tuple[int, dict]],
    member_sets: list[list[dict]],
    *,
    shared: dict | None = None,
    returning: tuple[str, ...] = (),
) -> list[tuple]:
    """One INSERT for groups of rows that share most of their columns (one message to many
    recipients): `groups` [(index into member_sets, {attname: value})], `member_sets`
    [[{attname: value}]]; each group makes one row per member of its set (all groups with the
    same keys, all members too). Many groups may share a set (the same staff hear of many cases).

    PostgreSQL: groups and sets travel as two JSON documents joined in the database, so a group's
    columns and a set's members are each sent (and parsed) once. Elsewhere: insert_rows.
    """
    groups = [(s, group) for s, group in groups if member_sets[s]]
    if not groups:
        return []
    if connection.vendor != "postgresql":
        rows = [{**group, **member} for s, group in groups for member in member_sets[s]]
        return insert_rows(model, rows, shared=shared, returning=returning)
    shared = shared or {}
    quote = connection.ops.quote_name
    fields = {f.attname: f for f in model._meta.concrete_fields}
    group_names = list(groups[0][1])
    member_names = list(next(members for members in member_sets if members)[0])
    columns = ", ".join(quote(fields[n].column) for n in [*group_names, *member_names, *shared])
    values = (
        [f"g.{quote(n)}" for n in group_names]
        + [f"m.{quote(n)}" for n in member_names]
        + [f"%s::{fields[n].db_type(connection)}" for n in shared]
    )
    params = [fields[n].get_db_prep_save(value, connection) for n, value in shared.items()]
    group_record = _json_record(model, group_names, alias="g", extra="_s integer")
    member_record = _json_record(model, member_names, alias="m", extra="_s integer")
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({columns}) SELECT {', '.join(values)} "
        f"FROM json_to_recordset(%s::json) AS {group_record} "
        f"JOIN json_to_recordset(%s::json) AS {member_record} ON m._s = g._s"
    )
    if returning:
        sql += " RETURNING " + ", ".join(quote(c) for c in returning)
    group_rows = [{**group, "_s": s} for s, group in groups]
    member_rows = [{**member, "_s": s} for s, members in enumerate(member_sets) for member in members]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, _as_json_document(group_rows), _as_json_document(member_rows)])
        return cursor.fetchall() if returning else []


SQLITE_MAX_PARAMS = 32000  # SQLite's bound-parameter limit is 32766 (since 3.32)


def _insert_values(model, rows: list[dict], *, returning=(), conflict=()) -> list[tuple]:
    """The portable INSERT ... VALUES (SQLite in development), in batches."""
    fields = {f.attname: f for f in model._meta.concrete_fields if not f.primary_key}
    names = list(rows[0])
    adapt = connection.ops.adapt_datetimefield_value
    converters = []
    for name in names:
        internal = fields[name].get_internal_type()
        converters.append(
            adapt if internal == "DateTimeField" else json.dumps if internal == "JSONField" else None
        )
    quote = connection.ops.quote_name
    placeholder = "(" + ", ".join(["%s"] * len(names)) + ")"
    columns = ", ".join(quote(fields[n].column) for n in names)
    head = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES "
    tail = ""
    if conflict:
        tail += f" ON CONFLICT ({', '.join(quote(c) for c in conflict)}) DO NOTHING"
    if returning:
        tail += " RETURNING " + ", ".join(quote(c) for c in returning)
    result = []
    per_batch = max(1, SQLITE_MAX_PARAMS // len(names))
    for start in range(0, len(rows), per_batch):
        batch = rows[start : start + per_batch]
        params = []
        for row in batch:
            params += [
                value if conv is None or value is None else conv(value)
                for conv, value in zip(converters, (row[n] for n in names), strict=True)
            ]
        with connection.cursor() as cursor:
            cursor.execute(head + ", ".join([placeholder] * len(batch)) + tail, params)
            if returning:
                result += cursor.fetchall()
    return result


def update_rows(model, rows: list[dict], *, only_raise: tuple[str, ...] = ()) -> None:
    """One UPDATE ... FROM json_to_recordset for many rows {"id": ..., field: value} (PostgreSQL);
    Django's bulk_update elsewhere. `only_raise`: columns never lowered (GREATEST with the stored
    value, so a level another transaction raised meanwhile stays; NULL never overwrites a value).
    """
    if not rows:
        return
    names = [n for n in rows[0] if n != "id"]
    if connection.vendor != "postgresql":
        objs = []
        for row in rows:
            obj = model(pk=row["id"])
            for name in names:
                value = row[name]
                if name in only_raise:  # as GREATEST below: the larger one, NULL never wins
                    given = Value(value, output_field=model._meta.get_field(name))
                    value = Coalesce(Greatest(F(name), given), F(name), given)
                setattr(obj, name, value)
            objs.append(obj)
        model.objects.bulk_update(objs, names)
        return
    quote = connection.ops.quote_name
    fields = {f.attname: f for f in model._meta.concrete_fields}
    assignments, changes = [], []
    for name in names:
        column, value = f"t.{quote(fields[name].column)}", f"v.{quote(name)}"
        if name in only_raise:
            assignments.append(f"{quote(fields[name].column)} = GREATEST({column}, {value})")
            changes.append(f"{value} > {column} OR ({column} IS NULL AND {value} IS NOT NULL)")
        else:
            assignments.append(f"{quote(fields[name].column)} = {value}")
            changes.append(f"{column} IS DISTINCT FROM {value}")
    # Rows already as wanted are left alone: no new row version, no index entries, no WAL.
    sql = (
        f"UPDATE {quote(model._meta.db_table)} AS t SET {', '.join(assignments)} "
        f"FROM json_to_recordset(%s::json) AS {_json_record(model, ['id', *names])} "
        f"WHERE t.id = v.id AND ({' OR '.join(changes)})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [_as_json_document(rows)])
