"""Running a campaign: the opening window, seats per city with a waiting list, one sign-up per
verified mobile, confirmations with a calendar invite and a check-in code, the visitor's own
link, check-in at the door, source tags and the funnel counts."""

import datetime
import json
import re
import threading

import pytest
from django.core import mail
from django.db import close_old_connections, connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar
from wagtail.models import PageLogEntry
from wagtail.test.utils.form_data import querydict_from_html

from forms import operations, services
from forms.choices import RepeatPolicy
from forms.models import CampaignSession, CampaignSubmission, FunnelCount, Registration
from forms.registrations import CancelledBy, FunnelStep, RegistrationStatus
from messaging.backends import locmem
from rights_requests.fulfilment.models import LedgerEntry, SubmissionStatus
from rights_requests.fulfilment.services.erasure import erase_submissions
from tests.conftest import make_user
from tests.sms_codes import last_sms_code, sms_token

pytestmark = pytest.mark.django_db

IP = "10.1.2.3"


def person(n: int, city: str = "上海") -> dict:
    return {
        "name": f"访客{n}",
        "company": "示例科技",
        "email": f"guest{n}@example.com",
        "mobile": f"1380013{n:04d}",
        "intended_city": city,
    }


@pytest.fixture
def roadshow(page_factory):
    page = page_factory("event", title="巡展", slug="roadshow")
    starts = timezone.make_aware(datetime.datetime(2027, 3, 1, 14, 0))
    CampaignSession.objects.create(page=page, city="上海", capacity=2, starts_at=starts, venue="国际会议中心")
    CampaignSession.objects.create(page=page, city="北京", capacity=2, starts_at=starts)
    return page


def sign_up(page, n, city="上海", **kwargs):
    data = person(n, city)
    token = sms_token(mobile=data["mobile"], purpose=page.purpose.code, ip=IP, fresh_limits=True)
    return services.submission_create(
        page=page, data=data, consent=True, verification_token=token, ip=IP, **kwargs
    )


def api_sign_up(client, page, n, city="上海", **extra):
    data = person(n, city)
    token = sms_token(mobile=data["mobile"], purpose=page.purpose.code, ip=IP, fresh_limits=True)
    return client.post(
        f"/api/forms/{page.pk}/submissions",
        json.dumps({"data": data, "consent": True, "verification_token": token, **extra}),
        content_type="application/json",
    )


def places(page):
    return {
        r.submission.form_data["name"]: r.status
        for r in Registration.objects.filter(page_id=page.pk).select_related("submission")
    }


# --- seats and the waiting list ----------------------------------------------------------------


def test_third_sign_up_for_a_city_waits_and_is_told_its_position(
    roadshow, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for n in (1, 2, 3):
            sign_up(roadshow, n)
        sign_up(roadshow, 4, city="北京")
    assert places(roadshow) == {
        "访客1": "confirmed",
        "访客2": "confirmed",
        "访客3": "waitlisted",
        "访客4": "confirmed",
    }
    third = Registration.objects.get(submission__form_data__name="访客3")
    assert operations.waitlist_position(third) == 1
    waiting_mail = [m for m in mail.outbox if "guest3@" in m.to[0]][-1]
    assert "第 1 位" in waiting_mail.body and "候补" in waiting_mail.subject
    assert not waiting_mail.attachments  # no invite and no check-in code while waiting


def test_cancelling_promotes_the_first_waiting_and_tells_them(roadshow, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for n in (1, 2, 3, 5):
            sign_up(roadshow, n)
    first = Registration.objects.get(submission__form_data__name="访客1")
    mail.outbox.clear()
    locmem.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        promoted = operations.registration_cancel(registration=first, by=CancelledBy.STAFF)
    assert [r.submission.form_data["name"] for r in promoted] == ["访客3"]
    assert places(roadshow) == {
        "访客1": "cancelled",
        "访客2": "confirmed",
        "访客3": "confirmed",
        "访客5": "waitlisted",
    }
    fifth = Registration.objects.get(submission__form_data__name="访客5")
    assert operations.waitlist_position(fifth) == 1
    to_third = [m for m in mail.outbox if m.to == ["guest3@example.com"]]
    assert len(to_third) == 1
    names = [a[0] for a in to_third[0].attachments]
    assert names == ["invite.ics", "check-in.png"]
    assert any(s.to.endswith("00030003") or "13800130003" in s.to for s in locmem.outbox)


def test_erasure_and_withdrawal_free_the_seat(roadshow, privacy_staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for n in (1, 2, 3, 4):
            sign_up(roadshow, n)
        first = Registration.objects.get(submission__form_data__name="访客1")
        erase_submissions(submission_ids=[first.submission_id], reason="request", user=privacy_staff)
    first.refresh_from_db()
    assert first.status == RegistrationStatus.CANCELLED and first.cancelled_by == CancelledBy.ERASURE
    assert first.subject_hash == ""
    assert places(roadshow)["访客3"] == "confirmed"
    assert places(roadshow)["访客4"] == "waitlisted"


def test_raising_the_seats_and_publishing_promotes_the_waiting(roadshow, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for n in (1, 2, 3, 4):
            sign_up(roadshow, n)
    page = roadshow.specific
    sessions = list(page.sessions.all())
    for session in sessions:
        if session.city == "上海":
            session.capacity = 3
    page.sessions = sessions
    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision().publish()
    assert places(roadshow)["访客3"] == "confirmed"
    assert places(roadshow)["访客4"] == "waitlisted"


def test_moving_city_takes_a_seat_there_and_frees_one_here(roadshow, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for n in (1, 2, 3):
            sign_up(roadshow, n)
    first = Registration.objects.get(submission__form_data__name="访客1")
    beijing = CampaignSession.objects.get(page=roadshow, city="北京")
    with django_capture_on_commit_callbacks(execute=True):
        operations.registration_move(registration=first, session=beijing)
    first.refresh_from_db()
    assert first.session == beijing and first.status == RegistrationStatus.CONFIRMED
    assert first.submission.form_data["intended_city"] == "北京"
    assert places(roadshow)["访客3"] == "confirmed"


# --- one sign-up per person ----------------------------------------------------------------------


def test_second_sign_up_from_the_same_mobile_is_refused_and_nothing_stored(client, roadshow):
    assert api_sign_up(client, roadshow, 1).status_code == 201
    again = api_sign_up(client, roadshow, 1, city="北京")
    assert again.status_code == 409
    body = again.json()
    assert body["reason"] == "duplicate"
    assert "已经用此手机号报名" in body["errors"]["__all__"][0]
    assert CampaignSubmission.objects.count() == 1
    assert Registration.objects.get().session.city == "上海"


def test_second_sign_up_updates_the_first_when_the_page_says_so(client, roadshow):
    page = roadshow.specific
    page.repeat_policy = RepeatPolicy.UPDATE
    page.save_revision().publish()
    assert api_sign_up(client, page, 1).status_code == 201
    response = api_sign_up(client, page, 1, city="北京")
    assert response.status_code == 201
    submission = CampaignSubmission.objects.get()
    assert str(submission.pk) == response.json()["submission_id"]
    assert submission.form_data["intended_city"] == "北京"
    assert Registration.objects.get().session.city == "北京"


def test_a_cancelled_sign_up_may_sign_up_again(roadshow):
    sign_up(roadshow, 1)
    operations.registration_cancel(registration=Registration.objects.get(), by=CancelledBy.STAFF)
    sign_up(roadshow, 1)
    assert sorted(Registration.objects.values_list("status", flat=True)) == ["cancelled", "confirmed"]


# --- the opening window ---------------------------------------------------------------------


WINDOWS = {"not_open": (1, None, "尚未开始"), "closed": (None, -1, "已于")}


@pytest.mark.parametrize("reason", sorted(WINDOWS))
def test_outside_the_window_page_api_and_sms_refuse(client, roadshow, reason):
    opens, closes, words = WINDOWS[reason]
    now = timezone.now()
    page = roadshow.specific
    page.opens_at = now + datetime.timedelta(days=opens) if opens else None
    page.closes_at = now + datetime.timedelta(days=closes) if closes else None
    page.save_revision().publish()

    html = client.get(page.url).content.decode()
    assert f'data-state="{reason}"' in html and words in html
    assert 'data-testid="campaign-form"' not in html

    sent_before = len(locmem.outbox)
    code = client.post(page.url, {**person(1), "action": "send_code"})
    assert code.status_code == 409 and words in code.content.decode()
    api_code = client.post(
        "/api/sms/challenges",
        json.dumps({"mobile": "13800130001", "purpose": "event", "page_id": page.pk}),
        content_type="application/json",
    )
    assert api_code.status_code == 409 and api_code.json()["reason"] == reason
    assert len(locmem.outbox) == sent_before

    api = client.post(
        f"/api/forms/{page.pk}/submissions",
        json.dumps({"data": person(1), "consent": True, "verification_token": "x"}),
        content_type="application/json",
    )
    assert api.status_code == 409 and api.json()["reason"] == reason
    posted = client.post(page.url, {**person(1), "consent": "on", "sms_code": "123456", "challenge_id": "x"})
    assert posted.status_code == 409
    assert CampaignSubmission.objects.count() == 0


# --- the visitor's link, the invite, check-in ----------------------------------------------------


def _manage_link(email: str) -> str:
    message = [m for m in mail.outbox if m.to == [email]][-1]
    return re.search(r"http://[^\s]+/sign-ups/[^\s/]+/", message.body).group(0)


def test_visitor_link_shows_place_qr_and_invite_and_cancel_withdraws_consent(
    roadshow, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for n in (1, 2, 3):
            sign_up(roadshow, n)
    link = _manage_link("guest1@example.com")
    path = link.split("localhost", 1)[1]
    client = Client()
    page = client.get(path)
    html = page.content.decode()
    assert page["Cache-Control"].startswith("private") and 'data-status="confirmed"' in html
    first = Registration.objects.get(submission__form_data__name="访客1")
    code = operations.checkin_code(first)
    assert code in html and "<svg" in html
    invite = client.get(path + "invite.ics")
    assert invite["Content-Type"].startswith("text/calendar")
    event = Calendar.from_ical(invite.content).walk("VEVENT")[0]
    assert str(event["summary"]) == "巡展"
    assert event.decoded("dtstart") == timezone.make_aware(datetime.datetime(2027, 3, 1, 14, 0))
    assert "国际会议中心" in str(event["location"])

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(path, {"action": "cancel"})
    assert done.status_code == 302
    (cancelled_mail,) = [m for m in mail.outbox if m.to == ["guest1@example.com"]]
    ((name, content, _mimetype),) = cancelled_mail.attachments
    cancelled_invite = Calendar.from_ical(content)
    assert name == "cancel.ics" and str(cancelled_invite["method"]) == "CANCEL"
    assert cancelled_invite.walk("VEVENT")[0]["uid"] == event["uid"]
    assert str(cancelled_invite.walk("VEVENT")[0]["status"]) == "CANCELLED"
    assert client.get(path + "invite.ics").status_code == 404
    first.refresh_from_db()
    assert first.status == RegistrationStatus.CANCELLED and first.cancelled_by == CancelledBy.VISITOR
    status = SubmissionStatus.objects.get(submission_id=first.submission_id)
    assert status.consent_withdrawn_at is not None
    assert LedgerEntry.objects.filter(reason="sign_up", targets__0__0=first.submission_id).exists()
    assert places(roadshow)["访客3"] == "confirmed"
    assert client.post(path, {"action": "cancel"}).status_code == 400  # nothing left to cancel


def test_a_forged_or_rotated_link_opens_nothing(roadshow):
    sign_up(roadshow, 1)
    registration = Registration.objects.get()
    token = operations.manage_token(registration)
    assert Client().get(f"/sign-ups/{token}x/").status_code == 404
    registration.nonce = "0" * 32
    registration.save()
    assert Client().get(f"/sign-ups/{token}/").status_code == 404


def test_check_in_once_by_code_or_scanned_link(roadshow, superuser):
    for n in (1, 2, 3):
        sign_up(roadshow, n)
    staff = make_user("door", ["Event staff"])
    client = Client()
    client.force_login(staff)
    first, third = (Registration.objects.get(submission__form_data__name=n) for n in ("访客1", "访客3"))
    url = f"/admin/forms/campaigns/{roadshow.pk}/check-in/"
    assert client.get(url).status_code == 200
    code = operations.checkin_code(first)
    done = client.post(url, {"code": code[:4].lower() + "-" + code[4:]})
    assert done.status_code == 200 and 'data-outcome="checked_in"' in done.content.decode()
    first.refresh_from_db()
    assert first.checked_in_at is not None and first.checked_in_by == staff
    again = client.post(url, {"code": code})
    assert 'data-outcome="already"' in again.content.decode()
    waiting = client.post(url, {"code": operations.checkin_code(third)})
    assert waiting.status_code == 400 and 'data-outcome="waitlisted"' in waiting.content.decode()
    assert 'data-outcome="unknown"' in client.post(url, {"code": "NOPE"}).content.decode()
    assert FunnelCount.objects.get(page_id=roadshow.pk, step=FunnelStep.CHECKED_IN).count == 1


def test_check_in_and_sign_ups_need_their_permission(roadshow, marketer):
    sign_up(roadshow, 1)
    client = Client()
    client.force_login(marketer)
    assert client.get(f"/admin/forms/campaigns/{roadshow.pk}/check-in/").status_code == 403
    assert client.get(f"/admin/forms/campaigns/{roadshow.pk}/sign-ups/").status_code == 403
    assert client.get(f"/admin/forms/campaigns/{roadshow.pk}/report/").status_code == 403
    door = make_user("door", ["Event staff"])
    client.force_login(door)
    assert client.get(f"/admin/forms/campaigns/{roadshow.pk}/sign-ups/").status_code == 403
    assert client.get(f"/admin/forms/campaigns/{roadshow.pk}/report/").status_code == 403


def test_staff_cancel_from_the_sign_ups_list_is_logged(
    roadshow, superuser, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for n in (1, 2, 3):
            sign_up(roadshow, n)
    client = Client()
    client.force_login(superuser)
    first = Registration.objects.get(submission__form_data__name="访客1")
    url = f"/admin/forms/campaigns/{roadshow.pk}/sign-ups/"
    listing = client.get(url).content.decode()
    assert "138****0001" in listing and "13800130001" not in listing
    assert client.post(url, {"action": "cancel", "registration": first.pk}).status_code == 302
    assert places(roadshow)["访客3"] == "confirmed"
    assert PageLogEntry.objects.filter(page=roadshow, action="forms.registration_cancelled").exists()


# --- sources and the funnel ------------------------------------------------------------------


def test_source_tags_are_kept_apart_from_personal_data(client, roadshow):
    response = api_sign_up(
        client, roadshow, 1, source={"utm_source": "wechat", "utm_medium": "social", "utm_campaign": "spring"}
    )
    assert response.status_code == 201
    submission = CampaignSubmission.objects.get()
    assert (submission.utm_source, submission.utm_medium, submission.utm_campaign) == (
        "wechat",
        "social",
        "spring",
    )
    assert "utm_source" not in submission.form_data


def test_the_page_carries_utm_tags_and_referrer_into_the_submission(client, roadshow):
    html = client.get(
        roadshow.url + "?utm_source=weibo&utm_campaign=%3Cb%3E", HTTP_REFERER="https://news.example.org/a?b=c"
    ).content.decode()
    assert 'name="utm_source" value="weibo"' in html
    assert 'name="utm_campaign" value="&lt;b&gt;"' in html
    assert 'name="referrer" value="news.example.org"' in html


def test_funnel_counts_steps_per_day_and_city_and_the_report_shows_them(
    client, roadshow, superuser, django_capture_on_commit_callbacks
):
    for _i in range(3):
        client.get(roadshow.url)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(roadshow.url, {**person(1), "action": "send_code"})
    code = last_sms_code()
    challenge = re.search(
        r'name="challenge_id" value="([^"]+)"',
        client.post(roadshow.url, {**person(9), "action": "send_code"}).content.decode(),
    )
    assert challenge
    for n in (2, 3, 4):
        sign_up(roadshow, n)
    totals = {row.step: row.count for row in FunnelCount.objects.filter(page_id=roadshow.pk, city="")}
    assert totals[FunnelStep.VIEW] == 3
    assert totals[FunnelStep.CODE_SENT] == 2
    assert totals[FunnelStep.VERIFIED] == 3
    by_city = {row.step: row.count for row in FunnelCount.objects.filter(page_id=roadshow.pk, city="上海")}
    assert by_city == {"submitted": 3, "confirmed": 2, "waitlisted": 1}
    assert code  # the code step really sent a code

    admin = Client()
    admin.force_login(superuser)
    report = admin.get(f"/admin/forms/campaigns/{roadshow.pk}/report/")
    html = report.content.decode()
    assert report.status_code == 200
    assert 'data-step="view" data-value="3"' in html and 'data-step="waitlisted" data-value="1"' in html
    csv_text = admin.get(f"/admin/forms/campaigns/{roadshow.pk}/report/?format=csv").content.decode(
        "utf-8-sig"
    )
    lines = csv_text.splitlines()
    assert lines[0].startswith("日期,城市,页面浏览")
    assert lines[1].split(",")[2:6] == ["3", "2", "3", "3"]
    assert any(line.startswith("全部日期,上海,0,0,0,3,2,1") for line in lines)


def test_funnel_stores_no_identifier():
    columns = {f.name for f in FunnelCount._meta.get_fields()}
    assert columns == {"id", "page", "day", "step", "city", "count"}


# --- concurrency on PostgreSQL ----------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_fifty_simultaneous_sign_ups_for_the_last_seat(page_factory, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serializes writers, so connections never race here")
    page = page_factory("event", slug="last-seat")
    session = CampaignSession.objects.create(page=page, city="上海", capacity=1)
    monkeypatch.setattr(services, "_consume_token", lambda **kwargs: None)
    barrier = threading.Barrier(50)
    errors = []

    def run(n):
        try:
            barrier.wait()
            services.submission_create(
                page=page, data=person(100 + n), consent=True, verification_token="t", ip=IP
            )
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    statuses = list(Registration.objects.filter(session=session).values_list("status", flat=True))
    assert statuses.count("confirmed") == 1 and statuses.count("waitlisted") == 49
    positions = sorted(
        operations.waitlist_position(r)
        for r in Registration.objects.filter(session=session, status="waitlisted")
    )
    assert positions == list(range(1, 50))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_same_mobile_twice_at_once_stores_one(page_factory, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serializes writers, so connections never race here")
    page = page_factory("event", slug="same-mobile")
    monkeypatch.setattr(services, "_consume_token", lambda **kwargs: None)
    barrier = threading.Barrier(10)
    outcomes = []

    def run():
        try:
            barrier.wait()
            services.submission_create(page=page, data=person(7), consent=True, verification_token="t", ip=IP)
            outcomes.append("stored")
        except services.SubmissionConflict as exc:
            outcomes.append(exc.reason)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["duplicate"] * 9 + ["stored"]
    assert Registration.objects.filter(page_id=page.pk).count() == 1


# --- the editor refuses running settings that cannot work --------------------------------------


def _edit_data(client, page):
    edit_url = reverse("wagtailadmin_pages:edit", args=(page.pk,))
    data = querydict_from_html(client.get(edit_url).content.decode(), form_id="page-edit-form")
    for name in [k for k, v in data.items() if k.endswith("-required") and v == ""]:
        data[name] = "on"
    data["action-save"] = "1"
    return edit_url, data


def _add_session(data, city, **values):
    index = int(data["sessions-TOTAL_FORMS"])
    data["sessions-TOTAL_FORMS"] = str(index + 1)
    data[f"sessions-{index}-city"] = city
    data[f"sessions-{index}-ORDER"] = str(index + 1)
    for name, value in values.items():
        data[f"sessions-{index}-{name}"] = value


def test_the_editor_refuses_running_settings_that_cannot_work(client, superuser, roadshow):
    client.force_login(superuser)
    edit_url, data = _edit_data(client, roadshow)
    data["opens_at"] = "2027-03-02 10:00"
    data["closes_at"] = "2027-03-01 10:00"
    _add_session(data, "广州", capacity="5", starts_at="2027-03-01 14:00", ends_at="2027-03-01 12:00")
    refused = client.post(edit_url, data)
    html = refused.content.decode()
    assert refused.status_code == 200
    assert "活动截止时间必须晚于开始报名时间" in html
    assert "“广州”不是本页面的城市之一" in html
    assert "场次的结束时间必须晚于开始时间" in html
    assert CampaignSession.objects.filter(page=roadshow).count() == 2  # nothing of it stored


def test_sessions_belong_to_events_and_courses_only(client, superuser, page_factory):
    page = page_factory("compatibility")
    client.force_login(superuser)
    edit_url, data = _edit_data(client, page)
    _add_session(data, "", capacity="5")
    refused = client.post(edit_url, data)
    assert refused.status_code == 200
    assert "只有活动和课程才有场次和名额" in refused.content.decode()
    assert not CampaignSession.objects.filter(page=page).exists()
