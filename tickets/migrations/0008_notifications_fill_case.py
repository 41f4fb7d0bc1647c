"""Notifications move to their own app with their rows (2/3): the new columns filled from the
ticket each row pointed at; old kinds become the kinds the list filters by. A migration of its
own: PostgreSQL changes no table while these updates' constraint checks are pending."""

from django.db import migrations
from django.urls import reverse

# Old kinds -> the kinds the notification list filters by.
KINDS = {
    "complaint_acknowledgement": "complaint",
    "complaint_answer": "complaint",
    "calendar_missing": "system",
}
WARNING_TITLES = ("Deadline approaching", "时限临近")


def fill_case_columns(apps, schema_editor):
    Notification = apps.get_model("tickets", "Notification")
    Ticket = apps.get_model("tickets", "Ticket")
    ContentType = apps.get_model("contenttypes", "ContentType")
    ticket_type, _created = ContentType.objects.get_or_create(app_label="tickets", model="ticket")
    ticket_ids = (
        Notification.objects.filter(ticket__isnull=False).values_list("ticket_id", flat=True).distinct()
    )
    start = 0
    while True:  # batches of tickets, in id order
        batch = list(
            Ticket.objects.filter(pk__in=ticket_ids, pk__gt=start)
            .order_by("pk")
            .values_list("pk", "reference", "org_unit_id")[:1000]
        )
        for pk, reference, org_unit_id in batch:
            Notification.objects.filter(ticket_id=pk).update(
                subject_type=ticket_type,
                subject_id=pk,
                reference=reference,
                org_unit_id=org_unit_id,
                link=reverse("tickets:detail", args=[reference]),
            )
        if len(batch) < 1000:
            break
        start = batch[-1][0]
    for old, new in KINDS.items():
        Notification.objects.filter(kind=old).update(kind=new)
    escalations = Notification.objects.filter(kind="escalation")
    for prefix in WARNING_TITLES:
        escalations.filter(title__startswith=prefix).update(kind="warning")
    escalations.update(kind="breach")


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0007_move_notifications"),
    ]

    operations = [
        migrations.RunPython(fill_case_columns, migrations.RunPython.noop, elidable=True),
    ]
