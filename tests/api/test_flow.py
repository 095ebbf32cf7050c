"""End to end through the API as a separate front end would use it, then in the admin.

Each response is also checked against the OpenAPI document the API publishes.
"""

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from django.test import Client, TestCase
from django.urls import reverse
from werkzeug.test import Client as WSGIClient

from forms.models import CampaignSubmission
from rights_requests import services as rights
from rights_requests.models import RightsRequest
from tests.sms_codes import last_sms_code
from verification.models import SMSChallenge

pytestmark = pytest.mark.django_db

HEADERS = {"Accept-Language": "en"}
ANSWERS = {
    "name": "王小明",
    "company": "示例科技",
    "email": "wang@example.com",
    "mobile": "+86 139 0013 9000",
    "intended_city": "深圳",
}


@pytest.fixture
def browser(keep_db_connection):
    """A plain WSGI client, as a front end on another origin would call the API."""
    app = get_wsgi_application()
    document = WSGIClient(app).get("/api/openapi.json").get_json()
    schema = schemathesis.openapi.from_dict(document)

    def call(method, path, operation, *, json=None, headers=None):
        with TestCase.captureOnCommitCallbacks(execute=True):
            response = WSGIClient(app).open(
                path, method=method, json=json, headers={**HEADERS, **(headers or {})}
            )
        schema[operation][method].validate_response(response)
        return response

    return call


def test_read_verify_submit_then_find_it_in_the_admin(browser, page_factory, superuser):
    page = page_factory("event", slug="roadshow")

    form = browser("GET", f"/api/forms/{page.pk}", "/api/forms/{page_id}")
    assert form.status_code == 200
    definition = form.get_json()
    assert definition["sms_required"] is True
    data = {field["name"]: ANSWERS[field["name"]] for field in definition["fields"]}

    challenge = browser(
        "POST",
        "/api/sms/challenges",
        "/api/sms/challenges",
        json={"mobile": data["mobile"], "purpose": definition["purpose"]["code"]},
    )
    assert challenge.status_code == 201
    challenge_id = challenge.get_json()["challenge_id"]

    verify_path = "/api/sms/challenges/{challenge_id}/verify"
    verified = browser(
        "POST",
        verify_path.format(challenge_id=challenge_id),
        verify_path,
        json={"code": last_sms_code()},
    )
    assert verified.status_code == 200
    token = verified.get_json()["verification_token"]

    submitted = browser(
        "POST",
        definition["submit_url"].removeprefix("http://localhost"),
        "/api/forms/{page_id}/submissions",
        json={"data": data, "consent": True, "verification_token": token},
    )
    assert submitted.status_code == 201, submitted.get_json()
    submission = CampaignSubmission.objects.get(pk=submitted.get_json()["submission_id"])
    assert submission.page_id == page.pk

    admin = Client()
    admin.force_login(superuser)
    listing = admin.get(reverse("wagtailforms:list_submissions", args=(page.pk,)))
    assert listing.status_code == 200
    body = listing.content.decode()
    assert "王小明" in body
    assert "深圳" in body


def test_file_a_rights_request_and_follow_it(browser, privacy_staff):
    browser(
        "POST",
        "/api/sms/challenges",
        "/api/sms/challenges",
        json={"mobile": "13900139000", "purpose": "rights_request"},
    )
    challenge_id = SMSChallenge.objects.get().public_id
    verify_path = "/api/sms/challenges/{challenge_id}/verify"
    token = browser(
        "POST", verify_path.format(challenge_id=challenge_id), verify_path, json={"code": last_sms_code()}
    ).get_json()["verification_token"]

    created = browser(
        "POST",
        "/api/rights-requests",
        "/api/rights-requests",
        json={"request_type": "copy", "mobile": "13900139000", "verification_token": token},
    )
    assert created.status_code == 201
    receipt = created.get_json()
    assert receipt["state"] == "verified"

    status_path = "/api/rights-requests/{reference}"
    auth = {"Authorization": f"Bearer {receipt['status_token']}"}
    before = browser("GET", status_path.format(reference=receipt["reference"]), status_path, headers=auth)
    assert before.get_json()["answer"] is None

    rr = RightsRequest.objects.get(reference=receipt["reference"])
    rights.rights_request_answer(
        rights_request=rr, user=privacy_staff, outcome="fulfilled", response="Attached."
    )
    after = browser("GET", status_path.format(reference=receipt["reference"]), status_path, headers=auth)
    assert after.status_code == 200
    assert after.get_json()["state"] == "answered"
    assert after.get_json()["answer"]["response"] == "Attached."
