"""Encrypt the free-text details of rights requests, keeping every existing value."""

from django.db import migrations, models


def encrypt_details(apps, schema_editor):
    from core.crypto import encrypt

    RightsRequest = apps.get_model("rights_requests", "RightsRequest")
    rows = RightsRequest.objects.exclude(details="").only("pk", "details")
    for rr in rows.iterator(chunk_size=500):
        RightsRequest.objects.filter(pk=rr.pk).update(details_encrypted=encrypt(rr.details))


def decrypt_details(apps, schema_editor):
    from core.crypto import decrypt

    RightsRequest = apps.get_model("rights_requests", "RightsRequest")
    rows = RightsRequest.objects.exclude(details_encrypted="").only("pk", "details_encrypted")
    for rr in rows.iterator(chunk_size=500):
        RightsRequest.objects.filter(pk=rr.pk).update(details=decrypt(rr.details_encrypted))


class Migration(migrations.Migration):
    dependencies = [
        ("rights_requests", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="rightsrequest",
            name="details_encrypted",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.RunPython(encrypt_details, decrypt_details),
        migrations.RemoveField(
            model_name="rightsrequest",
            name="details",
        ),
    ]
