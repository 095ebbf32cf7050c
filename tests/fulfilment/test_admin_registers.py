"""Admin registers and forms of the fulfilment app, and key rotation of what it encrypts."""

import json

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.urls import reverse

from rights_requests.fulfilment import services
from rights_requests.fulfilment.models import AccessPackage, PosthumousArrangement

from .conftest import MOBILE, run, verified_request

pytestmark = pytest.mark.django_db


def test_ledger_is_for_privacy_officers_and_holds_no_personal_data(
    client, person, staff_user, privacy_officer
):
    run(services.erase, rights_request=verified_request("delete"), user=staff_user)
    url = reverse("fulfilment_ledger")
    client.force_login(staff_user)
    assert client.get(url).status_code in (302, 403)
    client.force_login(privacy_officer)
    html = client.get(url).content.decode()
    assert 'data-testid="erasure-ledger"' in html and "partner_upgrade: 1" in html
    assert MOBILE not in html and "王芳" not in html


def test_arrangement_form(client, staff_user, marketer):
    url = reverse("fulfilment_arrangement")
    client.force_login(marketer)
    assert client.get(url).status_code in (302, 403)
    client.force_login(staff_user)
    bad = client.post(url, {"mobile": "12345", "email": "", "instruction": "delete"})
    assert bad.status_code == 400 and not PosthumousArrangement.objects.exists()
    ok = client.post(url, {"mobile": MOBILE, "email": "", "instruction": "delete"})
    assert ok.status_code == 302
    arrangement = PosthumousArrangement.objects.get()
    assert arrangement.instruction == "delete" and MOBILE not in arrangement.mobile_hash


def test_fulfilment_menu_for_staff(client, staff_user, marketer):
    client.force_login(staff_user)
    assert b"fulfilment-minors" in client.get(reverse("wagtailadmin_home")).content
    client.force_login(marketer)
    assert b"fulfilment-minors" not in client.get(reverse("wagtailadmin_home")).content


def test_key_rotation_covers_access_packages(person, staff_user, settings):
    rr = verified_request("copy")
    package = run(services.package_deliver, rights_request=rr, user=staff_user)
    before = AccessPackage.objects.get(pk=package.pk).json_encrypted
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), *settings.FIELD_ENCRYPTION_KEYS]
    call_command("rotate_encryption_keys")
    package.refresh_from_db()
    assert package.json_encrypted != before
    settings.FIELD_ENCRYPTION_KEYS = settings.FIELD_ENCRYPTION_KEYS[:1]
    assert json.loads(services.package_content(package))["record_count"] == 3
