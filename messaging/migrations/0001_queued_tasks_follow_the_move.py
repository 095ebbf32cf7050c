from django.db import migrations

# Tasks already waiting in the database queue name the module they were defined in. The
# modules moved when delivery, verification and the data tools became apps of their own;
# the waiting rows are pointed at the new paths so a worker started after the upgrade still
# runs them (a worker of the old release, still draining, finds them gone from its queue).
MOVED_TASKS = {
    "forms.sms.tasks.send_sms": "messaging.tasks.send_sms",
    "forms.sms.tasks.send_email": "messaging.tasks.send_email",
    "forms.datatools.tasks.run_export": "datatools.tasks.run_export",
}


def _repoint(apps, mapping):
    DBTaskResult = apps.get_model("django_tasks_database", "DBTaskResult")
    for old, new in mapping.items():
        DBTaskResult.objects.filter(task_path=old).exclude(status__in=["SUCCESSFUL", "FAILED"]).update(
            task_path=new
        )


def forwards(apps, schema_editor):
    _repoint(apps, MOVED_TASKS)


def backwards(apps, schema_editor):
    _repoint(apps, {new: old for old, new in MOVED_TASKS.items()})


class Migration(migrations.Migration):
    dependencies = [("django_tasks_database", "0021_conditional_partial_index_ordering")]

    operations = [migrations.RunPython(forwards, backwards)]
