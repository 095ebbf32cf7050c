import datetime
import json

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from forms import services, whitelist
from forms.models import CampaignSubmission, Purpose, PurposeField, SubjectHash
from forms.selectors import submissions_for_subject
from forms.services import SubmissionRejected, form_definition, submission_create

from .test_catalogue import VALID_ID
from .utils import make_campaign_page

pytestmark = pytest.mark.django_db

GOOD = {
    "name": "张三",
    "company": "示例科技",
    "mobile": "138 0013 8000",
    "mailing_address": "上海市浦东新区 1 号",
}


def create(page, data, **kwargs):
    kwargs.setdefault("consent", True)
    kwargs.setdefault("verification_token", None)
    kwargs.setdefault("ip", "203.0.113.5")
    return submission_create(page=page, data=data, **kwargs)


def counts():
    return CampaignSubmission.objects.count(), SubjectHash.objects.count()


def test_submission_records_purpose_policy_consent_and_hashes(page_factory, policy):
    page = page_factory("compatibility")
    before = timezone.now()
    submission = create(page, GOOD)
    submission.refresh_from_db()
    assert submission.purpose.code == "compatibility"
    assert submission.policy_version_id == policy.pk
    assert submission.consent_at >= before
    assert submission.form_data["mobile"] == "+8613800138000"
    assert submission.form_data["name"] == "张三"
    kinds = set(submission.subject_hashes.values_list("kind", flat=True))
    assert kinds == {"mobile"}
    assert "+8613800138000" not in submission.subject_hashes.get().value_hash


def test_extra_key_is_refused_and_nothing_is_stored(page_factory):
    page = page_factory("compatibility")
    before = counts()
    with pytest.raises(SubmissionRejected) as exc:
        create(page, {**GOOD, "wechat": "wxid_abcdef"})
    assert "wechat" in exc.value.errors
    assert "wechat" in " ".join(exc.value.errors["__all__"])
    assert counts() == before


def test_field_allowed_by_purpose_but_not_on_page_is_refused(page_factory):
    page = page_factory("event", keys=["name", "mobile"])
    with pytest.raises(SubmissionRejected) as exc:
        create(
            page, {"name": "李四", "mobile": "13800138000", "email": "li@example.com"}, verification_token="x"
        )
    assert "email" in exc.value.errors
    assert counts() == (0, 0)


def test_missing_consent_refused(page_factory):
    page = page_factory("compatibility")
    with pytest.raises(SubmissionRejected) as exc:
        create(page, GOOD, consent=False)
    assert "consent" in exc.value.errors
    assert counts() == (0, 0)


def test_invalid_values_name_the_field(page_factory):
    page = page_factory("compatibility")
    with pytest.raises(SubmissionRejected) as exc:
        create(page, {**GOOD, "mobile": "010-62345678", "name": "x" * 51})
    assert set(exc.value.errors) == {"mobile", "name"}
    assert counts() == (0, 0)


@pytest.mark.parametrize("value", [{"a": 1}, ["13800138000", "13900139000"]])
def test_non_scalar_values_refused(page_factory, value):
    page = page_factory("compatibility")
    with pytest.raises(SubmissionRejected) as exc:
        create(page, {**GOOD, "mobile": value})
    assert "mobile" in exc.value.errors


def test_id_number_is_encrypted_at_rest_and_masked(page_factory):
    page = page_factory("partner_upgrade")
    data = {"name": "王五", "mobile": "13900139000", "email": "Wang@Example.com", "id_card_number": VALID_ID,
            "company": "示例科技"}  # fmt: skip
    submission = create(page, data)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT form_data, sensitive_data FROM {CampaignSubmission._meta.db_table} WHERE id = %s",  # noqa: S608
            [submission.pk],
        )
        form_data, sensitive = cursor.fetchone()
    assert VALID_ID not in form_data
    assert VALID_ID not in sensitive
    assert VALID_ID[:-1] not in form_data + sensitive
    assert json.loads(form_data)["id_card_number"] == "***002X"
    submission.refresh_from_db()
    assert submission.sensitive_values() == {"id_card_number": VALID_ID}
    assert submission.get_data()["id_card_number"] == "***002X"
    assert set(submission.subject_hashes.values_list("kind", flat=True)) == {"mobile", "email"}


def test_subject_lookup_by_mobile_or_email(page_factory):
    page = page_factory("partner_upgrade")
    base = {"name": "王五", "company": "示例科技", "id_card_number": VALID_ID}
    one = create(page, {**base, "mobile": "13900139000", "email": "wang@example.com"})
    two = create(page, {**base, "mobile": "+86 139 0013 9000", "email": "other@example.com"})
    create(page, {**base, "mobile": "13700137000", "email": "third@example.com"})
    assert set(submissions_for_subject(mobile="１３９００１３９０００")) == {one, two}
    assert list(submissions_for_subject(email="WANG@example.com")) == [one]
    assert set(submissions_for_subject(mobile="13900139000", email="third@example.com")) == {one, two} | set(
        submissions_for_subject(email="third@example.com")
    )
    assert list(submissions_for_subject(mobile="13600136000")) == []


def years_ago(years, days=0):
    today = timezone.localdate()
    return (today.replace(year=today.year - years) - datetime.timedelta(days=days)).isoformat()


def job_data(birth, mobile="13800138000"):
    return {"name": "赵六", "gender": "male", "birth_date": birth, "email": "zhao@example.com",
            "mobile": mobile, "education": "bachelor", "residence": "杭州"}  # fmt: skip


@pytest.fixture
def job_page(page_factory, monkeypatch):
    # The SMS step is covered in test_page_sms; here only the minors rules matter.
    monkeypatch.setattr(services, "_consume_token", lambda **kwargs: None)
    return page_factory("job_application")


def test_child_under_14_refused(job_page):
    with pytest.raises(SubmissionRejected) as exc:
        create(job_page, job_data(years_ago(13, days=300)), guardian_consent=True)
    assert "birth_date" in exc.value.errors
    assert "14" in exc.value.errors["birth_date"][0]
    assert counts() == (0, 0)


def test_minor_needs_guardian_consent(job_page):
    with pytest.raises(SubmissionRejected) as exc:
        create(job_page, job_data(years_ago(15)))
    assert "guardian_consent" in exc.value.errors
    assert counts() == (0, 0)
    submission = create(job_page, job_data(years_ago(15)), guardian_consent=True)
    assert submission.is_minor and submission.guardian_consent


def test_fourteenth_birthday_and_adult(job_page):
    fourteen = create(job_page, job_data(years_ago(14)), guardian_consent=True)
    assert fourteen.is_minor
    adult = create(job_page, job_data(years_ago(18), mobile="13800138001"), guardian_consent=True)
    assert not adult.is_minor and not adult.guardian_consent


def test_no_policy_published_refuses(home_page):

    page = make_campaign_page(parent=home_page, purpose="compatibility")
    with pytest.raises(SubmissionRejected) as exc:
        create(page, GOOD)
    assert "consent" in exc.value.errors
    assert counts() == (0, 0)


def test_form_definition_is_cached_per_revision(page_factory, django_assert_num_queries):
    page = page_factory("event")
    definition = form_definition(page)
    assert definition["purpose"] == {
        "code": "event", "name": "全国渠道巡展等活动报名", "clause": "§1.5", "retention_days": 365,
    }  # fmt: skip
    assert definition["sms_required"] is True
    assert [f["name"] for f in definition["fields"]] == [
        "name",
        "company",
        "email",
        "mobile",
        "intended_city",
    ]
    city = definition["fields"][-1]
    assert city["choices"] == [["北京", "北京"], ["上海", "上海"], ["深圳", "深圳"]]
    assert definition["policy"]["version"] == "2023-03-07"
    with django_assert_num_queries(0):
        form_definition(page)
        services.form_class(page)


def test_shrunk_whitelist_stops_accepting_the_field_and_blocks_publishing(page_factory):
    page = page_factory("event")
    PurposeField.objects.filter(purpose__code="event", field_key="intended_city").delete()
    names = [f["name"] for f in form_definition(page)["fields"]]
    assert "intended_city" not in names
    with pytest.raises(SubmissionRejected) as exc:
        create(page, {"name": "张三", "intended_city": "北京"}, verification_token="t")
    assert "intended_city" in exc.value.errors

    reported = whitelist.pages_breaking_whitelist()
    assert [p.pk for p, _problems in reported] == [page.pk]
    assert "意向参会城市" in reported[0][1][0].message

    with pytest.raises(ValidationError):
        page.save_revision().publish()
    assert Purpose.objects.get(code="event").allowed_field_keys() == {"name", "company", "email", "mobile"}
