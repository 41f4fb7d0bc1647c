"""The customer search indexes that Django's model Meta cannot express (PostgreSQL only).

Django's icontains compiles to UPPER("col"::text) LIKE UPPER('%q%'); trigram GIN indexes on
the same expressions serve it. A text_pattern_ops b-tree serves a name prefix (surname).
Created by migration accounts 0003; generate_customers drops and rebuilds them around a
bulk load, which is many times faster than maintaining GIN indexes row by row.
"""

SEARCH_INDEXES = (
    ("customer_name_trgm", "USING gin (UPPER(name) gin_trgm_ops)"),
    ("customer_address_trgm", "USING gin (UPPER(address) gin_trgm_ops)"),
    ("customer_name_prefix", "(name text_pattern_ops)"),
)


def create_search_indexes(cursor_or_editor) -> None:
    cursor_or_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, definition in SEARCH_INDEXES:
        cursor_or_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON accounts_customer {definition}")


def drop_search_indexes(cursor_or_editor) -> None:
    for name, _definition in SEARCH_INDEXES:
        cursor_or_editor.execute(f"DROP INDEX IF EXISTS {name}")
