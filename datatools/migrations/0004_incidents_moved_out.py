from django.db import migrations


class Migration(migrations.Migration):
    """The incident register is its own app now; its tables stay where they are."""

    dependencies = [
        ("datatools", "0003_unmasked_export_approval"),
        ("incidents", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name="incidentsubject", name="incident"),
                migrations.RemoveField(model_name="incidentstep", name="incident"),
                migrations.RemoveField(model_name="incidentstep", name="user"),
                migrations.RemoveField(model_name="incidentsubject", name="submission"),
                migrations.DeleteModel(name="Incident"),
                migrations.DeleteModel(name="IncidentStep"),
                migrations.DeleteModel(name="IncidentSubject"),
            ],
        ),
    ]
