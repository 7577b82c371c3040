"""Retention: per-site periods, compaction runs and the tombstones of removed events (append-only);
an event may be deleted only once its tombstone is recorded."""

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models

from consent.ledger import drop_guards, install_guards

NEW_TABLES = ["consent_ledgercompaction", "consent_compactedevent"]


def guard(apps, schema_editor):
    install_guards(schema_editor.connection, ["consent_consentevent", *NEW_TABLES])


def unguard(apps, schema_editor):
    drop_guards(schema_editor.connection, NEW_TABLES)
    install_guards(schema_editor.connection, ["consent_consentevent"], compaction=False)


class Migration(migrations.Migration):
    dependencies = [("consent", "0014_method_choices")]

    operations = [
        migrations.AddField(
            model_name="site",
            name="retention_days",
            field=models.PositiveIntegerField(
                blank=True,
                null=True,
                help_text="Days superseded consent records are kept; empty: kept for ever.",
                validators=[
                    django.core.validators.MinValueValidator(30),
                    django.core.validators.MaxValueValidator(36500),
                ],
            ),
        ),
        migrations.AddField(
            model_name="site",
            name="data_retention_days",
            field=models.PositiveIntegerField(
                blank=True,
                null=True,
                help_text="Days analytics data (daily consent statistics, webhook delivery logs) is kept; "
                "empty: for ever.",
                validators=[
                    django.core.validators.MinValueValidator(1),
                    django.core.validators.MaxValueValidator(36500),
                ],
            ),
        ),
        migrations.CreateModel(
            name="LedgerCompaction",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField()),
                (
                    "cutoff",
                    models.DateTimeField(help_text="Superseded events recorded before this were removed."),
                ),
                ("event_count", models.BigIntegerField()),
                ("removed_root", models.CharField(max_length=64)),
                ("kid", models.CharField(max_length=64)),
                ("signature", models.CharField(max_length=128)),
                (
                    "checkpoint",
                    models.ForeignKey(
                        help_text="Signed just before the removal.",
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="consent.ledgercheckpoint",
                    ),
                ),
                (
                    "site",
                    models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="consent.site"),
                ),
            ],
            options={"ordering": ["site", "id"]},
        ),
        migrations.CreateModel(
            name="CompactedEvent",
            fields=[
                (
                    "id",
                    models.BigIntegerField(help_text="The removed event's id.", primary_key=True, serialize=False),
                ),
                ("seq", models.PositiveIntegerField()),
                ("prev_hash", models.CharField(blank=True, max_length=64)),
                ("hash", models.CharField(max_length=64)),
                ("receipt_id", models.UUIDField(blank=True, null=True)),
                (
                    "compaction",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="events",
                        to="consent.ledgercompaction",
                    ),
                ),
                (
                    "site",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="consent.site",
                    ),
                ),
                (
                    "subject",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="consent.subject",
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["site", "id"], name="compacted_site_id")],
                "constraints": [
                    models.UniqueConstraint(fields=["subject", "seq"], name="compacted_seq_unique_per_subject")
                ],
            },
        ),
        migrations.RunPython(guard, unguard),
    ]
