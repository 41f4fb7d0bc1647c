# The recoveries' copied unit and closure, required once filled in (a migration of its own: PostgreSQL
# does not alter a table with the fill's pending constraint checks in the same transaction).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_organisation_profile"),
        ("satisfaction", "0002_figures_item_scores_expired_callback"),
    ]

    operations = [
        migrations.AlterField(
            model_name="recovery",
            name="org_unit",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.orgunit",
                verbose_name="unit",
            ),
        ),
        migrations.AlterField(
            model_name="recovery",
            name="case_closed_at",
            field=models.DateTimeField(verbose_name="case closed at"),
        ),
        migrations.AddIndex(
            model_name="recovery",
            index=models.Index(fields=["org_unit", "case_closed_at"], name="recovery_unit_closed"),
        ),
    ]
