from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0010_meaning_guards"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="apikey",
            options={"verbose_name": "API key", "verbose_name_plural": "API keys"},
        ),
        migrations.AddField(
            model_name="vendor",
            name="translations",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
