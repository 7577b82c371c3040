"""Drop ledger indexes that other indexes already cover: each one cost every decision a write.

On SQLite, altering a column rebuilds the table, which loses its triggers: the append-only
guards of the events table are installed again at the end.
"""

import django.db.models.deletion
from django.db import migrations, models

from consent.ledger import install_guards


def guard_events_again(apps, schema_editor):
    install_guards(schema_editor.connection, ["consent_consentevent"])


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0005_consent_daily_rollup"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="consentevent",
            name="event_site_time_dashboard",
        ),
        migrations.RemoveIndex(
            model_name="subjectalias",
            name="alias_site_value",
        ),
        migrations.AlterField(
            model_name="consentevent",
            name="site",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="consent.site"
            ),
        ),
        migrations.AlterField(
            model_name="consentevent",
            name="subject",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="events", to="consent.subject"
            ),
        ),
        migrations.AlterField(
            model_name="consentevent",
            name="vendor",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="consent.vendor",
            ),
        ),
        migrations.AlterField(
            model_name="consentstate",
            name="event",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="consent.consentevent"
            ),
        ),
        migrations.AlterField(
            model_name="consentstate",
            name="purpose",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="states", to="consent.purpose"
            ),
        ),
        migrations.AlterField(
            model_name="consentstate",
            name="vendor",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="consent.vendor",
            ),
        ),
        migrations.AlterField(
            model_name="decisionreceipt",
            name="site",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="consent.site"
            ),
        ),
        migrations.AlterField(
            model_name="subjectalias",
            name="site",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="consent.site"
            ),
        ),
        migrations.RunPython(guard_events_again, migrations.RunPython.noop),
    ]
