from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("fulfilment", "0002_package_four_eyes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="disclosurerecord",
            name="ground",
            field=models.CharField(
                choices=[
                    ("requester_transfer", "§6.2 Transfer the person asked for"),
                    ("consent", "§2 With the person's explicit consent"),
                    ("legal_obligation", "§2 Required by laws and regulations"),
                    ("authority", "§2 Required by a competent authority"),
                    ("internal_notification", "Form notification to the company's own staff"),
                ],
                max_length=30,
                verbose_name="ground",
            ),
        ),
    ]
