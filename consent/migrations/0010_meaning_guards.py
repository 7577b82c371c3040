"""What recorded consents mean cannot change: the database refuses edits of a purpose's or
vendor's meaning fields, and of a purpose's vendors, once events reference them. A partial
index on the (rare) vendor-level events answers "does this vendor have events?" quickly."""

from django.db import migrations, models

from consent.ledger import drop_meaning_guards, install_meaning_guards


def forwards(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        install_meaning_guards(cursor, schema_editor.connection.vendor)


def backwards(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        drop_meaning_guards(cursor, schema_editor.connection.vendor)


class Migration(migrations.Migration):
    dependencies = [("consent", "0009_ledger_proof")]
    operations = [
        migrations.AddIndex(
            model_name="consentevent",
            index=models.Index(condition=models.Q(vendor__isnull=False), fields=["vendor"], name="event_vendor"),
        ),
        migrations.RunPython(forwards, backwards),
    ]
