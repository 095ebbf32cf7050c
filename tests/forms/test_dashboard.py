"""The admin's home page: what each role acts on this morning."""

import datetime

import pytest
from django.urls import reverse

from forms.models import CampaignFormPage, CampaignSubmission, PurposeField
from forms.workflow import privacy_review_workflow
from rights_requests import services as rights
from rights_requests.models import RightsRequest, today

pytestmark = pytest.mark.django_db


def dashboard(client, user):
    client.force_login(user)
    response = client.get(reverse("wagtailadmin_home"))
    assert response.status_code == 200
    return response.content.decode()


def test_a_marketer_sees_their_live_campaigns_with_todays_submissions(client, marketer, page_factory):
    mine = page_factory("event", owner=marketer)
    other = page_factory("compatibility", slug="someone-elses")
    for _ in range(2):
        CampaignSubmission.objects.create(
            page=mine, purpose=mine.purpose, form_data={}, consent_at=mine.first_published_at
        )
    old = CampaignSubmission.objects.create(
        page=mine, purpose=mine.purpose, form_data={}, consent_at=mine.first_published_at
    )
    CampaignSubmission.objects.filter(pk=old.pk).update(
        submit_time=old.submit_time - datetime.timedelta(days=2)
    )

    body = dashboard(client, marketer)
    assert 'data-testid="live-campaigns-panel"' in body
    assert mine.title in body and other.title not in body
    assert 'data-testid="today-count">2<' in body
    assert 'data-testid="privacy-review-panel"' not in body
    assert 'data-testid="rights-requests-panel"' not in body


def test_an_officer_sees_pages_waiting_for_review_and_whitelist_problems(
    client, marketer, privacy_officer, page_factory
):
    waiting = page_factory("partner_upgrade", publish=False, live=False)
    waiting.save_revision(user=marketer)
    privacy_review_workflow().start(waiting, marketer)
    page_factory("event")
    PurposeField.objects.filter(purpose__code="event", field_key="company").delete()

    body = dashboard(client, privacy_officer)
    assert 'data-testid="privacy-review-panel"' in body
    assert waiting.title in body
    assert 'data-testid="whitelist-problems"' in body
    assert "1</a>" in body.split('data-testid="whitelist-problems"')[1][:200]
    assert CampaignFormPage.objects.get(pk=waiting.pk).workflow_in_progress


def make_rights_request(*, due_date, state="received"):
    rr = rights.rights_request_create(
        request_type="delete", mobile="13800138000", email="", details="", ip="203.0.113.9"
    )
    RightsRequest.objects.filter(pk=rr.pk).update(due_date=due_date, state=state)
    return RightsRequest.objects.get(pk=rr.pk)


def test_privacy_staff_see_requests_by_deadline(client, privacy_staff, settings):
    settings.RIGHTS_REQUEST_LIMIT_PER_IP_HOUR = 1000
    overdue = make_rights_request(due_date=today() - datetime.timedelta(days=1), state="verified")
    soon = make_rights_request(due_date=today() + datetime.timedelta(days=2), state="verified")
    unverified = make_rights_request(due_date=today() + datetime.timedelta(days=14))

    body = dashboard(client, privacy_staff)
    assert 'data-testid="rights-requests-panel"' in body
    for rr in (overdue, soon, unverified):
        assert rr.reference in body
    assert "deadline=overdue" in body and "deadline=soon" in body and "state__exact=received" in body
    assert 'data-testid="live-campaigns-panel"' not in body
    assert 'data-testid="privacy-review-panel"' not in body
