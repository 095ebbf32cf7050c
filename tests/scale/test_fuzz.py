"""Fuzzing the personal-field catalogue and the submission service with hypothesis.

Whatever a client sends, the only outcomes are a stored submission (for valid input)
or the documented refusal (``ValidationError`` from a validator, ``SubmissionRejected``
from the service) with nothing stored.
"""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.phone import normalize_mobile
from forms import catalogue, services
from forms.models import CampaignSubmission, SubjectHash
from tests.scale.utils import VALID, valid_data

pytestmark = pytest.mark.django_db

FUZZ = settings(
    derandomize=True,  # the same cases on every run: a failure in CI reproduces locally
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

text_like = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=40),
    st.text(alphabet="\x00\x01\x1f\u200b\u202e\ufeff０１２３４５６７８９Xx -+", max_size=30),
    st.builds(lambda s, n: s * n, st.text(min_size=1, max_size=4), st.integers(1000, 20_000)),
    st.just("\x00"),
    st.from_regex(r"1[3-9]\d{9}", fullmatch=True),
    st.from_regex(r"[1-6]\d{16}[\dX]", fullmatch=True),
)
json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    text_like,
    st.decimals(allow_nan=False),
)
json_value = st.recursive(
    json_leaf,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)

CASES = {"validators": 0, "formfields": 0, "submissions": 0}


@FUZZ
@given(value=st.one_of(text_like, json_value))
def test_catalogue_validators_raise_only_validation_errors(value):
    CASES["validators"] += 1
    checks = [catalogue.normalize_id_card_number, normalize_mobile]
    if isinstance(value, str):
        # Field validators run on the text their field has already cleaned.
        checks += [catalogue.validate_name_pinyin, catalogue.validate_qq_wechat]
    for check in checks:
        try:
            result = check(value)
        except ValidationError as exc:
            assert exc.messages, f"{check.__name__} refused {value!r} without a message"
        else:
            if check is catalogue.normalize_id_card_number:
                assert len(result) == 18
                assert result[17] == catalogue.id_check_char(result[:17])
            if check is normalize_mobile:
                assert result.startswith("+861")
                assert len(result) == 14


@FUZZ
@given(key=st.sampled_from(sorted(catalogue.FIELDS)), value=st.one_of(text_like, json_value))
def test_every_catalogue_field_cleans_or_refuses(key, value):
    CASES["formfields"] += 1
    field = catalogue.get(key).formfield(required=False, choices=["北京", "上海"])
    try:
        cleaned = field.clean(value)
    except ValidationError as exc:
        assert exc.messages
        return
    if isinstance(cleaned, str):
        assert "\x00" not in cleaned
        limit = catalogue.get(key).max_length
        if catalogue.get(key).kind not in ("date", "choice", "mobile"):
            assert len(cleaned) <= limit


def _counts():
    return CampaignSubmission.objects.count(), SubjectHash.objects.count()


field_names = st.sampled_from(
    ["name", "company", "mobile", "mailing_address", "product_category", "modules_used", "rack_units",
     "comments", "planned_start", "id_card_number", "email", "__all__", "", "\x00", "名字"]
)  # fmt: skip


@FUZZ
@given(
    data=st.one_of(
        st.dictionaries(field_names, json_value, max_size=8),
        st.builds(lambda base, extra: {**base, **extra}, st.just(VALID),
                  st.dictionaries(field_names, json_value, max_size=3)),
        json_value,
    ),
    consent=st.one_of(st.booleans(), st.none(), st.just("true"), st.just(1)),
)  # fmt: skip
def test_submission_service_stores_valid_input_only(campaign, data, consent):
    CASES["submissions"] += 1
    before = _counts()
    try:
        submission = services.submission_create(
            page=campaign, data=data, consent=consent, verification_token=None, ip="203.0.113.9"
        )
    except services.SubmissionRejected as exc:
        assert exc.errors, "a refusal must say why"
        assert all(isinstance(m, str) and m for messages in exc.errors.values() for m in messages)
        assert _counts() == before, "a refused submission stored something"
        return
    assert consent is True
    assert isinstance(data, dict)
    assert set(submission.form_data) <= set(services.form_definition(campaign) and _names(campaign))
    assert "\x00" not in str(submission.form_data)
    assert _counts()[0] == before[0] + 1


def _names(page):
    return {spec["name"] for spec in services.form_definition(page)["fields"]}


@FUZZ
@given(token=st.one_of(st.none(), text_like), mobile=text_like)
def test_sms_purpose_refuses_any_forged_token(sms_campaign, token, mobile):
    CASES["submissions"] += 1
    data = {
        "name": "韩梅梅",
        "company": "示例科技",
        "email": "han@example.com",
        "mobile": mobile,
        "intended_city": "上海",
    }
    before = _counts()
    with pytest.raises(services.SubmissionRejected):
        services.submission_create(
            page=sms_campaign, data=data, consent=True, verification_token=token, ip="203.0.113.9"
        )
    assert _counts() == before


def test_valid_submission_is_stored_once(campaign):
    """The fuzzed service does accept good input (the property tests are not vacuous)."""
    submission = services.submission_create(
        page=campaign, data=valid_data(campaign), consent=True, verification_token=None, ip="203.0.113.9"
    )
    assert CampaignSubmission.objects.filter(pk=submission.pk).count() == 1
    assert SubjectHash.objects.filter(submission=submission).count() == 1


def test_fuzz_case_count_is_reported(request):
    """Runs last in this module; reports how many generated cases the fuzz tests ran."""
    total = sum(CASES.values())
    request.node.user_properties.append(("fuzz_cases", dict(CASES)))
    print(f"fuzz cases run: {CASES} total {total}")
    if CASES["validators"]:
        assert total >= 100
