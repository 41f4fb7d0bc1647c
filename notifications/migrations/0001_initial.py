"""The notification model, taken over from tickets with its table (tickets.0006_move_notifications
renames tickets_notification to notifications_notification and runs before this one): state only."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("accounts", "0005_personal_data_view_subject"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Notification",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "address",
                            models.CharField(blank=True, max_length=254, verbose_name="phone or email"),
                        ),
                        (
                            "channel",
                            models.CharField(
                                choices=[("in_app", "In-app"), ("email", "Email"), ("sms", "SMS")],
                                default="in_app",
                                max_length=10,
                                verbose_name="channel",
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("emergency", "Emergency"),
                                    ("breach", "Deadline breached"),
                                    ("warning", "Deadline warning"),
                                    ("complaint", "Complaint"),
                                    ("digest", "Daily digest"),
                                    ("system", "System"),
                                ],
                                max_length=30,
                                verbose_name="kind",
                            ),
                        ),
                        (
                            "template",
                            models.CharField(blank=True, max_length=60, verbose_name="message template"),
                        ),
                        (
                            "params",
                            models.JSONField(blank=True, default=dict, verbose_name="message parameters"),
                        ),
                        ("title", models.CharField(blank=True, max_length=200, verbose_name="title")),
                        ("body", models.TextField(blank=True, verbose_name="body")),
                        (
                            "subject_id",
                            models.PositiveBigIntegerField(blank=True, null=True, verbose_name="case id"),
                        ),
                        (
                            "reference",
                            models.CharField(blank=True, max_length=30, verbose_name="case reference"),
                        ),
                        ("link", models.CharField(blank=True, max_length=200, verbose_name="case link")),
                        ("created_at", models.DateTimeField(verbose_name="created at")),
                        ("read_at", models.DateTimeField(blank=True, null=True, verbose_name="read at")),
                        (
                            "status",
                            models.CharField(
                                choices=[("pending", "Pending"), ("sent", "Sent"), ("failed", "Failed")],
                                default="pending",
                                max_length=10,
                                verbose_name="delivery",
                            ),
                        ),
                        ("attempts", models.PositiveSmallIntegerField(default=0, verbose_name="attempts")),
                        (
                            "next_attempt_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="next attempt"),
                        ),
                        ("sent_at", models.DateTimeField(blank=True, null=True, verbose_name="sent at")),
                        ("last_error", models.TextField(blank=True, verbose_name="last error")),
                        (
                            "org_unit",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to="accounts.orgunit",
                                verbose_name="case unit",
                            ),
                        ),
                        (
                            "recipient",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="notifications",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="recipient",
                            ),
                        ),
                        (
                            "subject_type",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="contenttypes.contenttype",
                                verbose_name="case type",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "notification",
                        "verbose_name_plural": "notifications",
                        "ordering": ["-created_at"],
                        "indexes": [
                            models.Index(fields=["recipient", "-created_at"], name="notification_recipient"),
                            models.Index(
                                condition=models.Q(("channel", "in_app"), ("read_at__isnull", True)),
                                fields=["recipient"],
                                name="notification_unread",
                            ),
                            models.Index(
                                condition=models.Q(("status", "pending")),
                                fields=["next_attempt_at"],
                                name="notification_pending",
                            ),
                            models.Index(fields=["subject_type", "subject_id"], name="notification_subject"),
                        ],
                    },
                )
            ]
        ),
    ]
