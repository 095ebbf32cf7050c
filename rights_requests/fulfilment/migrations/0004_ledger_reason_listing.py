from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("fulfilment", "0003_disclosure_internal_notification"),
    ]

    operations = [
        migrations.AlterField(
            model_name="ledgerentry",
            name="reason",
            field=models.CharField(
                choices=[
                    ("request", "Rights request"),
                    ("retention", "Retention period passed"),
                    ("minor", "Minor without guardian consent"),
                    ("listing", "Erased by privacy staff from a campaign's submissions"),
                ],
                max_length=10,
                verbose_name="reason",
            ),
        ),
    ]
