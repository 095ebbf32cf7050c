"""Moving a model to another app without touching its table.

A moved model keeps its table (``db_table``); its content type moves with it, so the
permissions hanging off it, the groups holding them and the log entries naming it follow.
Use ``move_content_types(old_label, new_label, models)`` as a ``RunPython`` pair in the
migration of the app the models move to.
"""


def _move(apps, from_label: str, to_label: str, models: tuple[str, ...]) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    for model in models:
        old = ContentType.objects.filter(app_label=from_label, model=model).first()
        if old is None:
            continue
        # A content type the new app may already have (created by an earlier post_migrate)
        # gives its permissions' group grants to the moved one and goes.
        stale = ContentType.objects.filter(app_label=to_label, model=model).first()
        if stale is not None:
            for permission in Permission.objects.filter(content_type=stale):
                kept = Permission.objects.filter(content_type=old, codename=permission.codename).first()
                if kept is not None:
                    for group in permission.group_set.all():
                        group.permissions.add(kept)
                    for user in permission.user_set.all():
                        user.user_permissions.add(kept)
            stale.delete()
        old.app_label = to_label
        old.save(update_fields=["app_label"])


def move_content_types(from_label: str, to_label: str, models: tuple[str, ...]):
    """The (forwards, backwards) functions for ``migrations.RunPython``."""

    def forwards(apps, schema_editor):
        _move(apps, from_label, to_label, models)

    def backwards(apps, schema_editor):
        _move(apps, to_label, from_label, models)

    return forwards, backwards
