"""Published banner versions are what visitors were shown: the database refuses to change them."""

from django.db import migrations

from consent.ledger import drop_guards, install_guards

TABLES = ["cookies_bannerversion"]


def forwards(apps, schema_editor):
    install_guards(schema_editor.connection, TABLES)


def backwards(apps, schema_editor):
    drop_guards(schema_editor.connection, TABLES)


class Migration(migrations.Migration):
    dependencies = [("cookies", "0001_initial"), ("consent", "0002_ledger_guards")]
    operations = [migrations.RunPython(forwards, backwards)]
