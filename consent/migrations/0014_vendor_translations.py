from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0007_webhook_delivery_plural"),
    ]

    operations = [
        migrations.AddField(
            model_name="vendor",
            name="translations",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
