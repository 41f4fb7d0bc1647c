"""Upgrading from the schema where notifications lived in tickets keeps every row."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("tickets", "0006_routing"), ("notifications", None)]
AT = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def old_schema(transactional_db):
    executor = MigrationExecutor(connection)
    executor.migrate([target for target in BEFORE if target[1]] + [("notifications", None)])
    yield MigrationExecutor(connection).loader.project_state(BEFORE[:1]).apps
    call_command("migrate", verbosity=0)


def test_rows_survive_the_move_with_their_case(old_schema):
    apps = old_schema
    from django.contrib.auth.models import User

    from accounts.models import OrgUnit  # accounts is not rolled back: its current model fits the table

    Ticket = apps.get_model("tickets", "Ticket")
    unit_then = apps.get_model("accounts", "OrgUnit")
    ServiceType = apps.get_model("tickets", "ServiceType")
    Notification = apps.get_model("tickets", "Notification")
    current_unit = OrgUnit.objects.create(code="OUT-M", name="迁移营业厅", kind="outlet", path="/OUT-M/")
    unit = unit_then(pk=current_unit.pk)
    user = apps.get_model("auth", "User")(pk=User.objects.create(username="reader").pk)
    ticket = Ticket.objects.create(
        reference="GS20261124-00001",
        service_type=ServiceType.objects.first(),
        segment="residential",
        channel="service_hall",
        contact_phone="13900001111",
        org_unit=unit,
        description="x",
        received_at=AT,
        created_at=AT,
    )
    Notification.objects.create(
        recipient=user,
        channel="in_app",
        ticket=ticket,
        kind="escalation",
        title="Deadline approaching: GS20261124-00001",
        created_at=AT,
        status="sent",
    )
    Notification.objects.create(
        recipient=user,
        channel="in_app",
        ticket=ticket,
        kind="escalation",
        title="Deadline breached: GS20261124-00001",
        created_at=AT,
        status="sent",
    )
    Notification.objects.create(
        channel="sms",
        address="13900001111",
        ticket=ticket,
        kind="complaint_acknowledgement",
        title="Complaint received",
        body="Thanks",
        created_at=AT,
        status="pending",
        next_attempt_at=AT,
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    from notifications.models import Notification as Moved
    from tickets.models import Ticket as Current

    rows = {row.title: row for row in Moved.objects.all()}
    assert set(rows) == {
        "Deadline approaching: GS20261124-00001",
        "Deadline breached: GS20261124-00001",
        "Complaint received",
    }
    assert {title: r.kind for title, r in rows.items()} == {
        "Deadline approaching: GS20261124-00001": "warning",
        "Deadline breached: GS20261124-00001": "breach",
        "Complaint received": "complaint",
    }
    sms = rows["Complaint received"]
    assert (sms.rendered_title, sms.rendered_body, sms.address, sms.status) == (
        "Complaint received",
        "Thanks",
        "13900001111",
        "pending",
    )
    assert sms.reference == ticket.reference and sms.link == f"/tickets/{ticket.reference}/"
    assert sms.org_unit_id == unit.pk
    current = Current.objects.get(pk=ticket.pk)
    assert current.notifications.count() == 3
    assert Moved.objects.filter(ticket=current, recipient__username="reader").count() == 2
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    assert "notifications_notification" in tables and "tickets_notification" not in tables
