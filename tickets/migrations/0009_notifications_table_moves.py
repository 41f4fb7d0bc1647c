"""Notifications move to their own app with their rows (3/3): the table is renamed, never rebuilt.

tickets_notification becomes notifications_notification and the model leaves this app's state;
notifications.0001_initial (run after this one) takes it over without touching the database.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0008_notifications_fill_case"),
    ]
    run_before = [("notifications", "0001_initial")]

    operations = [
        migrations.RemoveField(model_name="notification", name="ticket"),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(fields=["subject_type", "subject_id"], name="notification_subject"),
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.AlterModelTable(name="notification", table="notifications_notification"),
            ],
            state_operations=[migrations.DeleteModel(name="Notification")],
        ),
    ]
