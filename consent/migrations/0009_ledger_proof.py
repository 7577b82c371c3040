"""Signed ledger checkpoints; receipts and checkpoints append-only; TRUNCATE refused; chain head guarded."""

import django.db.models.deletion
from django.db import migrations, models

from consent.ledger import GUARDED_TABLES, drop_guards, install_guards

NEW_TABLES = ["consent_decisionreceipt", "consent_ledgercheckpoint"]


def guard(apps, schema_editor):
    """Receipts and checkpoints append-only, TRUNCATE refused everywhere, the chain head guarded."""
    install_guards(schema_editor.connection)


def unguard(apps, schema_editor):
    drop_guards(schema_editor.connection)
    install_guards(schema_editor.connection, [t for t in GUARDED_TABLES if t not in NEW_TABLES])


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0007_webhook_delivery_plural"),
        ("cookies", "0002_banner_guards"),
    ]

    operations = [
        migrations.CreateModel(
            name="LedgerCheckpoint",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField()),
                (
                    "upto_event_id",
                    models.BigIntegerField(help_text="Covers the site's events with ids up to this one."),
                ),
                ("event_count", models.BigIntegerField()),
                ("events_root", models.CharField(max_length=64)),
                ("head_count", models.BigIntegerField()),
                ("heads_root", models.CharField(max_length=64)),
                ("bucket_size", models.PositiveIntegerField()),
                ("buckets", models.JSONField(default=dict)),
                (
                    "previous",
                    models.CharField(
                        blank=True,
                        help_text="SHA-256 of the site's previous checkpoint's signature: a chain.",
                        max_length=64,
                    ),
                ),
                ("kid", models.CharField(help_text="Id of the key that signed it (see the JWKS).", max_length=64)),
                ("signature", models.CharField(max_length=128)),
                (
                    "site",
                    models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="consent.site"),
                ),
            ],
            options={
                "ordering": ["site", "id"],
                "indexes": [models.Index(fields=["site", "upto_event_id"], name="checkpoint_site_upto")],
            },
        ),
        migrations.RunPython(guard, unguard),
    ]
