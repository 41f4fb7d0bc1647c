"""Notifications move to their own app with their rows (1/3): the columns the new app needs
(template key and parameters, the case as a generic relation, its reference, link and unit)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_personal_data_view_subject"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("tickets", "0006_routing"),
    ]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="template",
            field=models.CharField(blank=True, max_length=60, verbose_name="message template"),
        ),
        migrations.AddField(
            model_name="notification",
            name="params",
            field=models.JSONField(blank=True, default=dict, verbose_name="message parameters"),
        ),
        migrations.AddField(
            model_name="notification",
            name="subject_type",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="contenttypes.contenttype",
                verbose_name="case type",
            ),
        ),
        migrations.AddField(
            model_name="notification",
            name="subject_id",
            field=models.PositiveBigIntegerField(blank=True, null=True, verbose_name="case id"),
        ),
        migrations.AddField(
            model_name="notification",
            name="reference",
            field=models.CharField(blank=True, max_length=30, verbose_name="case reference"),
        ),
        migrations.AddField(
            model_name="notification",
            name="link",
            field=models.CharField(blank=True, max_length=200, verbose_name="case link"),
        ),
        migrations.AddField(
            model_name="notification",
            name="org_unit",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="accounts.orgunit",
                verbose_name="case unit",
            ),
        ),
        migrations.AlterField(
            model_name="notification",
            name="title",
            field=models.CharField(blank=True, max_length=200, verbose_name="title"),
        ),
    ]
