"""Seed the screen's terms from the catalogue and GB/T 35273-2020 Annex A/B."""

from django.db import migrations


def seed(apps, schema_editor):
    from forms.screen.terms import seed_rows

    ScreenTerm = apps.get_model("forms", "ScreenTerm")
    existing = set(ScreenTerm.objects.values_list("term", "category", "mode"))
    ScreenTerm.objects.bulk_create(
        [
            ScreenTerm(note="GB/T 35273-2020", **row)
            for row in seed_rows()
            if (row["term"], row["category"], row["mode"]) not in existing
        ]
    )


class Migration(migrations.Migration):
    dependencies = [("forms", "0006_screen")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
