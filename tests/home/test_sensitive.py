"""Mobiles, codes and ID numbers never reach an error report in clear."""

import pytest
from django.test import RequestFactory
from django.views.debug import SafeExceptionReporterFilter

from cms.middleware import SensitivePostParametersMiddleware
from forms.models import CampaignFormPage
from rights_requests.models import RightsRequestPage

SECRETS = {
    "mobile": "13812345678",
    "sms_code": "123456",
    "id_card_number": "11010519491231002X",
    "email": "zhang@example.com",
    "verification_token": "tok",
}


def test_every_request_marks_personal_post_parameters():
    request = RequestFactory().post("/anything/", {**SECRETS, "company": "示例科技"})
    SensitivePostParametersMiddleware(lambda r: None)(request)
    cleaned = SafeExceptionReporterFilter().get_post_parameters(request)
    for key, value in SECRETS.items():
        assert cleaned[key] != value
    assert cleaned["company"] == "示例科技"


@pytest.mark.django_db
def test_rights_request_page_marks_its_fields(rf):

    request = rf.post("/rights/", SECRETS)
    try:
        RightsRequestPage().serve(request)
    except Exception:  # noqa: BLE001, S110 (only the marking matters here)
        pass
    assert {"mobile", "email", "sms_code"} <= set(request.sensitive_post_parameters)


@pytest.mark.django_db
def test_campaign_page_marks_every_personal_field(rf):

    request = rf.post("/campaign/", SECRETS)
    try:
        CampaignFormPage().serve(request)
    except Exception:  # noqa: BLE001, S110 (only the marking matters here)
        pass
    assert {"mobile", "email", "id_card_number", "sms_code", "name"} <= set(request.sensitive_post_parameters)
