"""The audit log's period has no index of its own: audit_period_unit_at starts with the period and serves every lookup
by period, and a score sheet of 20,000 values maintained one index more for each of its 20,000 entries.

SQLite rebuilds the table to drop the index: the locks are lifted around it (see scoring.locks); PostgreSQL drops the
index only."""

import django.db.models.deletion
from django.db import migrations, models

from scoring.locks import lift_locks, restore_locks


class Migration(migrations.Migration):
    dependencies = [
        ("scoring", "0021_unit_sums_total"),
    ]

    operations = [
        migrations.RunPython(lift_locks, restore_locks),
        migrations.AlterField(
            model_name="auditentry",
            name="period",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="audit",
                to="scoring.period",
                verbose_name="kỳ",
            ),
        ),
        migrations.RunPython(restore_locks, lift_locks),
    ]
