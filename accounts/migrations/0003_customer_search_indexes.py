"""Indexes for finding a customer among millions: trigram GIN on UPPER(name) / UPPER(address).

See accounts/search_indexes.py. PostgreSQL only: on SQLite this migration does nothing.
"""

from django.db import migrations


def create_indexes(apps, schema_editor):
    from accounts.search_indexes import create_search_indexes

    if schema_editor.connection.vendor == "postgresql":
        create_search_indexes(schema_editor)


def drop_indexes(apps, schema_editor):
    from accounts.search_indexes import drop_search_indexes

    if schema_editor.connection.vendor == "postgresql":
        drop_search_indexes(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_personaldataview_pdv_customer_viewed")]

    operations = [migrations.RunPython(create_indexes, drop_indexes, elidable=False)]
