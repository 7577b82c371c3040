"""The alias index in (site, value, kind) order: a reference's user and visitor aliases are then
neighbours, found by one index descent instead of one per kind. Same columns, same uniqueness,
no extra index to write on a decision."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0015_retention"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="subjectalias",
            name="alias_unique_per_site",
        ),
        migrations.AddConstraint(
            model_name="subjectalias",
            constraint=models.UniqueConstraint(fields=("site", "value", "kind"), name="alias_unique_per_site"),
        ),
    ]
