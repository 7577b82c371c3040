"""Make the ledger and the audit trail append-only, and published policies immutable, in the database."""

from django.db import migrations

from consent.ledger import drop_guards, install_guards

TABLES = ["consent_consentevent", "consent_auditevent", "consent_policyversion"]


def forwards(apps, schema_editor):
    install_guards(schema_editor.connection, TABLES)


def backwards(apps, schema_editor):
    drop_guards(schema_editor.connection, TABLES)


class Migration(migrations.Migration):
    dependencies = [("consent", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
