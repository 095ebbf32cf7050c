"""Due dates in calendar days in Asia/Shanghai, the repeat rule, references."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from rights_requests import services
from rights_requests.models import RightsRequest, due_date_for, local_date, new_reference

from .conftest import file_request

UTC = datetime.UTC
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("received_utc", "due"),
    [
        # 31 Jan 20:00 UTC is already 1 Feb 04:00 in Shanghai.
        (datetime.datetime(2026, 1, 31, 20, 0, tzinfo=UTC), datetime.date(2026, 2, 16)),
        # 31 Jan 15:59 UTC is still 31 Jan 23:59 in Shanghai.
        (datetime.datetime(2026, 1, 31, 15, 59, tzinfo=UTC), datetime.date(2026, 2, 15)),
        # Across the end of February (not a leap year) and of a leap year.
        (datetime.datetime(2026, 2, 20, 3, 0, tzinfo=UTC), datetime.date(2026, 3, 7)),
        (datetime.datetime(2028, 2, 20, 3, 0, tzinfo=UTC), datetime.date(2028, 3, 6)),
        # Across the year end: 31 Dec 16:30 UTC is 1 Jan 00:30 in Shanghai.
        (datetime.datetime(2026, 12, 31, 16, 30, tzinfo=UTC), datetime.date(2027, 1, 16)),
        (datetime.datetime(2026, 12, 17, 1, 0, tzinfo=UTC), datetime.date(2027, 1, 1)),
        # From a 30-day month.
        (datetime.datetime(2026, 4, 30, 10, 0, tzinfo=UTC), datetime.date(2026, 5, 15)),
    ],
)
def test_due_date_is_fifteen_calendar_days_in_shanghai(received_utc, due):
    assert due_date_for(received_utc) == due


def test_due_days_come_from_settings(settings):
    settings.RIGHTS_REQUEST_DUE_DAYS = 10
    assert due_date_for(datetime.datetime(2026, 1, 31, 20, 0, tzinfo=UTC)) == datetime.date(2026, 2, 11)


def test_due_date_ignores_the_server_time_zone(settings):
    settings.TIME_ZONE = "UTC"
    assert due_date_for(datetime.datetime(2026, 1, 31, 20, 0, tzinfo=UTC)) == datetime.date(2026, 2, 16)


@pytest.mark.django_db
def test_filed_request_gets_its_due_date_and_days_left():
    rr = file_request()
    today = timezone.now().astimezone(SHANGHAI).date()
    assert rr.due_date == today + datetime.timedelta(days=15)
    assert rr.days_left() == 15
    assert rr.days_left(rr.due_date + datetime.timedelta(days=1)) == -1
    assert rr.is_overdue(rr.due_date + datetime.timedelta(days=1))
    assert not rr.is_overdue(rr.due_date)


def test_reference_format():
    ref = new_reference(datetime.datetime(2026, 12, 31, 16, 30, tzinfo=UTC))
    assert re.fullmatch(r"RR-2027-[23456789A-HJ-NP-Z]{6}", ref)
    assert local_date(datetime.datetime(2026, 12, 31, 16, 30, tzinfo=UTC)).year == 2027


# --- the repeat rule --------------------------------------------------------------------------------


def backdate(rr, days):
    RightsRequest.objects.filter(pk=rr.pk).update(received_at=timezone.now() - datetime.timedelta(days=days))


@pytest.mark.django_db
def test_first_request_is_not_a_repeat():
    assert file_request().repeat_count == 0


@pytest.mark.django_db
def test_same_person_same_type_within_twelve_months_is_counted():
    backdate(file_request(), 300)
    backdate(file_request(email=""), 30)
    rr = file_request()
    assert rr.repeat_count == 2
    assert rr.is_repeat


@pytest.mark.django_db
def test_requests_older_than_twelve_months_do_not_count():
    backdate(file_request(), 367)
    assert file_request().repeat_count == 0


@pytest.mark.django_db
def test_other_types_and_other_people_do_not_count():
    file_request(request_type="access")
    file_request(mobile="13900139000", email="someone.else@example.com")
    assert file_request().repeat_count == 0


@pytest.mark.django_db
def test_same_email_with_another_mobile_counts():
    file_request(mobile="13900139000", email="LI.Lei@Example.com")
    assert file_request().repeat_count == 1


@pytest.mark.django_db
def test_expired_unverified_requests_do_not_count():
    old = file_request()
    backdate(old, 8)
    old.refresh_from_db()
    assert services.rights_request_expire_unverified(rights_request=old)
    assert file_request().repeat_count == 0


def test_year_earlier_handles_the_leap_day():
    moment = datetime.datetime(2028, 2, 29, 12, 0, tzinfo=UTC)
    assert services._year_earlier(moment, 12) == datetime.datetime(2027, 2, 28, 12, 0, tzinfo=UTC)
