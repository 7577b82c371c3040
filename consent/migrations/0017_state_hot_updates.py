"""States move in place: the (purpose, state) index becomes (purpose), so no index holds a column
a decision changes, and the tables a decision updates keep room on each page for the new row
version (fill factor), which PostgreSQL's HOT updates need."""

from django.db import migrations, models

TABLES = {"consent_consentstate": 80, "consent_subject": 90}


def set_fill_factors(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, percent in TABLES.items():
        schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = {int(percent)})")


def reset_fill_factors(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"ALTER TABLE {table} RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("consent", "0016_alias_value_before_kind")]

    operations = [
        migrations.RemoveIndex(model_name="consentstate", name="state_purpose_state"),
        migrations.AddIndex(model_name="consentstate", index=models.Index(fields=["purpose"], name="state_purpose")),
        migrations.RunPython(set_fill_factors, reset_fill_factors),
    ]
