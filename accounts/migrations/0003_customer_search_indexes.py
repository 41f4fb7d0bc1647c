"""Indexes for finding a customer among millions: trigram GIN on UPPER(name) / UPPER(address).

Django's icontains compiles to UPPER("col"::text) LIKE UPPER('%q%'), which these expression
indexes serve; a text_pattern_ops b-tree serves a name prefix (surname) search. PostgreSQL
only: on SQLite this migration does nothing.
"""

from django.db import migrations

INDEXES = (
    ("customer_name_trgm", "USING gin (UPPER(name) gin_trgm_ops)"),
    ("customer_address_trgm", "USING gin (UPPER(address) gin_trgm_ops)"),
    ("customer_name_prefix", "(name text_pattern_ops)"),
)


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, definition in INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON accounts_customer {definition}")


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _definition in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_personaldataview_pdv_customer_viewed")]

    operations = [migrations.RunPython(create_indexes, drop_indexes, elidable=False)]
