"""Campaign operations tried by an attacker over HTTP: another person's e-mail or mobile, a code
from another campaign's door, staff acting alone, a forged personal link."""

import json

import pytest
from django.test import Client

from forms import operations
from forms.models import CampaignSession, CampaignSubmission, Registration
from tests.conftest import make_user
from tests.sms_codes import sms_token

pytestmark = pytest.mark.django_db


def test_attacks_on_sign_ups_fail_and_reveal_nothing(page_factory, marketer):
    a = page_factory("event", slug="a")
    b = page_factory("event", slug="b")
    CampaignSession.objects.create(page=a, city="上海", capacity=1)
    data = {
        "name": "甲",
        "company": "x",
        "email": "victim@example.com",
        "mobile": "13800000001",
        "intended_city": "上海",
    }
    tok = sms_token(mobile="13800000001", purpose="event", ip="1.1.1.1", fresh_limits=True)
    c = Client()
    assert (
        c.post(
            f"/api/forms/{a.pk}/submissions",
            json.dumps({"data": data, "consent": True, "verification_token": tok}),
            content_type="application/json",
        ).status_code
        == 201
    )
    # a stranger signs up with the victim's e-mail but another (verified) mobile: no access to the victim's sign-up
    tok2 = sms_token(mobile="13900000002", purpose="event", ip="1.1.1.2", fresh_limits=True)
    r = c.post(
        f"/api/forms/{a.pk}/submissions",
        json.dumps({"data": {**data, "mobile": "13900000002"}, "consent": True, "verification_token": tok2}),
        content_type="application/json",
    )
    assert r.status_code == 201 and set(r.json()) == {"submission_id"}
    # a token for the victim's mobile is refused for another mobile
    tok3 = sms_token(mobile="13900000003", purpose="event", ip="1.1.1.3", fresh_limits=True)
    r = c.post(
        f"/api/forms/{b.pk}/submissions",
        json.dumps({"data": {**data, "mobile": "13800000001"}, "consent": True, "verification_token": tok3}),
        content_type="application/json",
    )
    assert r.status_code == 400 and "verification_token" in r.json()["errors"]
    # check-in code of campaign A typed at campaign B's door: unknown, nothing marked
    victim = Registration.objects.get(page_id=a.pk, submission__form_data__mobile="+8613800000001")
    door = make_user("door", ["Event staff"])
    s = Client()
    s.force_login(door)
    html = s.post(
        f"/admin/forms/campaigns/{b.pk}/check-in/", {"code": operations.checkin_code(victim)}
    ).content.decode()
    assert 'data-outcome="unknown"' in html and "甲" not in html
    victim.refresh_from_db()
    assert victim.checked_in_at is None
    # event staff alone cannot cancel or read sign-ups; a marketer not on the team neither
    for user in (door, marketer):
        s.force_login(user)
        r = s.post(
            f"/admin/forms/campaigns/{a.pk}/sign-ups/", {"action": "cancel", "registration": victim.pk}
        )
        assert r.status_code == 403 and "13800000001" not in r.content.decode()
    victim.refresh_from_db()
    assert victim.status == "confirmed"
    # a personal link for the victim cannot be derived from another's: forged -> 404, no data
    r = Client().get("/sign-ups/" + operations.manage_token(victim)[:-2] + "xx/")
    assert r.status_code == 404 and "甲" not in r.content.decode()
    # a hostile UTM value stays text in exports/HTML and is not personal data
    assert all("utm" not in k for s_ in CampaignSubmission.objects.all() for k in s_.form_data)
