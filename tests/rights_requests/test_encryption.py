"""What a rights request holds about the requester is encrypted at rest and covered by key rotation."""

import io

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from core.rotation import encrypted_columns
from rights_requests.models import RightsRequest

from .conftest import MOBILE, file_request

DETAILS = "我的身份证号是110105194912310029，请删除我的全部资料。"


def _raw(pk, column):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM rights_requests_rightsrequest WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_details_are_stored_encrypted_and_read_back():
    rr = file_request(details=DETAILS)
    raw = _raw(rr.pk, "details_encrypted")
    assert raw and DETAILS not in raw and "110105" not in raw
    assert RightsRequest.objects.only("details_encrypted").get(pk=rr.pk).details == DETAILS
    assert file_request(details="").details_encrypted == ""


def test_every_encrypted_column_is_rotated():
    """A column named like an encrypted one but not declared EncryptedTextField would be left out of rotation when an old key is dropped."""
    listed = set(encrypted_columns())
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if field.name.endswith("_encrypted") or field.name == "sensitive_data":
                assert (model._meta.label, field.name) in listed, f"{model._meta.label}.{field.name}"


@pytest.mark.django_db
def test_rotation_keeps_rights_requests_readable(settings):
    rr = file_request(details=DETAILS)
    token, before = rr.status_token, _raw(rr.pk, "mobile_encrypted")
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, *settings.FIELD_ENCRYPTION_KEYS]
    out = io.StringIO()
    call_command("rotate_encryption_keys", stdout=out)
    assert "rights_requests.RightsRequest.details_encrypted: 1" in out.getvalue()
    settings.FIELD_ENCRYPTION_KEYS = [new_key]  # the old key is gone
    rotated = RightsRequest.objects.get(pk=rr.pk)
    assert _raw(rr.pk, "mobile_encrypted") != before
    assert rotated.mobile == "+86" + MOBILE
    assert rotated.email == "li.lei@example.com"
    assert rotated.status_token == token
    assert rotated.details == DETAILS


@pytest.mark.django_db(transaction=True)
def test_migration_encrypts_existing_details_and_back():
    executor = MigrationExecutor(connection)
    before, after = [("rights_requests", "0001_initial")], [("rights_requests", "0002_details_encrypted")]
    executor.migrate(before)
    executor.loader.build_graph()
    old = executor.loader.project_state(before).apps.get_model("rights_requests", "RightsRequest")
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM rights_requests_rightsrequest")
        assert cursor.fetchone()[0] == 0
    rr = old.objects.create(
        reference="RR-2026-MIGR01",
        status_token_encrypted="x",
        request_type="delete",
        details=DETAILS,
        received_at="2026-11-01T08:00:00Z",
        due_date="2026-11-16",
    )
    blank = old.objects.create(
        reference="RR-2026-MIGR02",
        status_token_encrypted="x",
        request_type="delete",
        details="",
        received_at="2026-11-01T08:00:00Z",
        due_date="2026-11-16",
    )
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    assert DETAILS not in _raw(rr.pk, "details_encrypted")
    assert RightsRequest.objects.only("details_encrypted").get(pk=rr.pk).details == DETAILS
    assert _raw(blank.pk, "details_encrypted") == ""

    executor = MigrationExecutor(connection)
    executor.migrate(before)
    assert _raw(rr.pk, "details") == DETAILS
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
