"""Query budgets: each page runs a fixed number of queries however many rows it lists."""

import re
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from forms import services as form_services
from rights_requests import services as rr_services
from tests.scale.utils import valid_data

pytestmark = pytest.mark.django_db

HOME_BUDGET = 9
CAMPAIGN_BUDGET = 10
REQUEST_LIST_BUDGET = 30
SUBMISSION_LIST_BUDGET = 35


class Queries(list):
    """The SQL one request ran; compares by count, reports the statements that repeat."""

    def __le__(self, other):
        return len(self) <= len(other)

    def __repr__(self):
        shapes = Counter(re.sub(r"\d+", "N", sql)[:160] for sql in self)
        repeated = [f"{n}x {sql}" for sql, n in shapes.most_common(3) if n > 1]
        return f"{len(self)} queries; repeated: {repeated}"


def queries_for(client, url) -> Queries:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return Queries(q["sql"] for q in captured.captured_queries)


def add_submissions(page, count, start=0):
    for n in range(start, start + count):
        form_services.submission_create(
            page=page,
            data=valid_data(page, name=f"访客{n}", mobile=f"139{n:08d}"),
            consent=True,
            verification_token=None,
            ip="203.0.113.9",
        )


def add_rights_requests(count, start=0):
    for n in range(start, start + count):
        rr_services.rights_request_create(
            request_type="access",
            mobile=f"137{n:08d}",
            email=f"requester{n}@example.com",
            details="Please tell me what you hold about me.",
            ip="203.0.113.9",
        )


def test_home_page_budget(client, home_page, policy, django_assert_max_num_queries):
    client.get("/")
    with django_assert_max_num_queries(HOME_BUDGET):
        assert client.get("/").status_code == 200


def test_campaign_page_budget(client, campaign, sms_campaign, django_assert_max_num_queries):
    for page in (campaign, sms_campaign):
        client.get(page.url)
        with django_assert_max_num_queries(CAMPAIGN_BUDGET):
            response = client.get(page.url)
        assert response.status_code == 200
        assert b'name="mobile"' in response.content


def test_submissions_list_does_not_grow_with_rows(client, superuser, campaign, django_assert_max_num_queries):
    client.force_login(superuser)
    url = f"/admin/forms/submissions/{campaign.pk}/"
    add_submissions(campaign, 2)
    client.get(url)
    few = queries_for(client, url)
    add_submissions(campaign, 98, start=2)
    many = queries_for(client, url)
    assert many <= few, f"with 2 rows: {few!r}; with 100 rows: {many!r}"
    with django_assert_max_num_queries(SUBMISSION_LIST_BUDGET):
        response = client.get(url)
    assert response.context["page_obj"].paginator.count == 100


def test_rights_request_list_does_not_grow_with_rows(
    client, privacy_staff, home_page, django_assert_max_num_queries
):
    client.force_login(privacy_staff)
    url = "/admin/rights_requests/rightsrequest/"
    add_rights_requests(2)
    client.get(url)
    few = queries_for(client, url)
    add_rights_requests(98, start=2)
    many = queries_for(client, url)
    assert many <= few, f"with 2 rows: {few!r}; with 100 rows: {many!r}"
    with django_assert_max_num_queries(REQUEST_LIST_BUDGET):
        response = client.get(url)
    assert response.context["result_count"] == 100
