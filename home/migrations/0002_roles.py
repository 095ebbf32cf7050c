from django.db import migrations

ROLE_NAMES = ("Marketers", "Privacy staff", "Privacy officers")


def create_roles(apps, schema_editor):
    """Create the role groups; their permissions are granted after migrate (cms.roles)."""
    Group = apps.get_model("auth", "Group")
    for name in ROLE_NAMES:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [
        ("home", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
