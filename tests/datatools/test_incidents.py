"""The incident register (policy §5): register, find the affected people, notify, announce, close."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from incidents import services
from incidents.models import Incident, IncidentStep
from messaging.backends import locmem

from .conftest import raw_submission, submit

pytestmark = pytest.mark.django_db


def local(text):
    return timezone.make_aware(datetime.datetime.fromisoformat(text))


@pytest.fixture
def affected_data(page_factory):
    event = page_factory("event", slug="roadshow")
    compat = page_factory("compatibility", slug="compat")
    # The same person twice on the roadshow, another by e-mail only, one outside the period,
    # and one on a purpose the incident does not touch.
    person = {"name": "甲", "company": "A", "email": "a@example.com", "mobile": "+8613800000001"}
    a1 = raw_submission(event, {**person, "intended_city": "北京"})
    a2 = raw_submission(event, {**person, "intended_city": "上海"})
    b = raw_submission(event, {"name": "乙", "email": "b@example.com"})
    raw_submission(
        event,
        {"name": "丙", "email": "c@example.com", "mobile": "+8613800000003"},
        when=local("2020-01-01T10:00"),
    )
    submit(compat, name="丁", company="D", mobile="13800000004", mailing_address="北京")
    return event, [a1, a2, b]


def test_incident_flow(client, privacy_officer, affected_data, django_capture_on_commit_callbacks):
    event, _ = affected_data
    client.force_login(privacy_officer)
    start = (timezone.localtime() - datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    end = (timezone.localtime() + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        "/admin/datatools/incidents/new/",
        {
            "title": "Roadshow list sent to the wrong partner",
            "description": "A sign-up list was e-mailed to a partner by mistake.",
            "discovered_at": start,
            "purposes": [event.purpose_id],
            "period_start": start,
            "period_end": end,
            "measures": "The partner confirmed deletion.",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    incident = Incident.objects.get()
    url = f"/admin/datatools/incidents/{incident.pk}/"

    client.post(url, {"action": "find"})
    assert incident.subjects.count() == 2

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            url, {"action": "notify", "subject": "Notice", "message": "We lost a list that included you."}
        )
    assert [m.to for m in locmem.outbox] == ["+8613800000001"]
    assert [m.to for m in mail.outbox] == [["b@example.com"]]
    assert incident.subjects.filter(notified_at__isnull=True).count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "notify", "message": "Again"})
    assert len(locmem.outbox) == 1 and len(mail.outbox) == 1  # nobody is told twice

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "publish", "title": "安全事件公告", "text": "我们发现了一起事件。"})
    home = client.get("/")
    assert 'data-testid="incident-banner"' in home.content.decode()
    assert "安全事件公告" in home.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "withdraw"})
    assert 'data-testid="incident-banner"' not in client.get("/").content.decode()

    client.post(url, {"action": "close", "note": "Done"})
    incident.refresh_from_db()
    assert incident.state == "closed"

    steps = list(IncidentStep.objects.filter(incident=incident).values_list("action", "count", "user"))
    assert [s[0] for s in steps] == [
        "registered",
        "subjects_found",
        "notice_sent",
        "notice_sent",
        "announcement_published",
        "announcement_withdrawn",
        "closed",
    ]
    assert steps[1][1] == 2 and steps[2][1] == 2 and steps[3][1] == 0
    assert all(s[2] == privacy_officer.pk for s in steps)
    detail = client.get(url).content.decode()
    assert detail.count('data-testid="incident-step-') == 7


def test_period_must_be_ordered(client, privacy_officer, affected_data):
    event, _ = affected_data
    client.force_login(privacy_officer)
    response = client.post(
        "/admin/datatools/incidents/new/",
        {
            "title": "x",
            "description": "y",
            "discovered_at": "2026-01-02T10:00",
            "purposes": [event.purpose_id],
            "period_start": "2026-01-02T10:00",
            "period_end": "2026-01-01T10:00",
        },
    )
    assert response.status_code == 400
    assert not Incident.objects.exists()


def test_notice_without_text_is_refused(client, privacy_officer, affected_data):
    event, _ = affected_data

    incident = services.incident_register(
        user=privacy_officer,
        title="x",
        description="y",
        discovered_at=timezone.now(),
        period_start=timezone.now() - datetime.timedelta(days=1),
        period_end=timezone.now(),
        purposes=[event.purpose],
    )
    client.force_login(privacy_officer)
    response = client.post(f"/admin/datatools/incidents/{incident.pk}/", {"action": "notify", "message": ""})
    assert response.status_code == 400
    assert not incident.steps.filter(action="notice_sent").exists()
