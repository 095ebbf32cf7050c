import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command

from forms.models import CampaignSubmission
from forms.services import submission_create

from .test_catalogue import VALID_ID

pytestmark = pytest.mark.django_db


def test_rotation_re_encrypts_with_the_newest_key(settings, page_factory):
    page = page_factory("partner_upgrade")
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    data = {"name": "王五", "mobile": "13900139000", "email": "w@example.com", "id_card_number": VALID_ID,
            "company": "示例"}  # fmt: skip
    submission = submission_create(
        page=page, data=data, consent=True, verification_token=None, ip="192.0.2.1"
    )
    before = CampaignSubmission.objects.get(pk=submission.pk).sensitive_data

    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    out = io.StringIO()
    call_command("rotate_encryption_keys", stdout=out)
    assert "forms.CampaignSubmission.sensitive_data: 1" in out.getvalue()

    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    rotated = CampaignSubmission.objects.get(pk=submission.pk)
    assert rotated.sensitive_data != before
    assert rotated.sensitive_values() == {"id_card_number": VALID_ID}


def test_rotation_without_the_old_key_refuses(settings, page_factory):
    page = page_factory("partner_upgrade")
    data = {"name": "王五", "mobile": "13900139000", "email": "w@example.com", "id_card_number": VALID_ID,
            "company": "示例"}  # fmt: skip
    submission_create(page=page, data=data, consent=True, verification_token=None, ip="192.0.2.1")
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(CommandError):
        call_command("rotate_encryption_keys", stdout=io.StringIO())
