from django.db import migrations


class Migration(migrations.Migration):
    """Downloads belong to the campaign forms now; the table stays where it is."""

    dependencies = [
        ("sms", "0001_initial"),
        ("forms", "0008_documentdownload_moved_here"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="DocumentDownload")],
        ),
    ]
