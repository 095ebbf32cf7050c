import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from forms import catalogue
from forms.catalogue import id_check_char, normalize_id_card_number

POLICY_MAP_KEYS = {
    "name", "name_pinyin", "company", "position", "email", "mobile", "contact_name", "intended_city",
    "city", "cooperation_intention", "mailing_address", "gender", "birth_date", "education", "residence",
    "other_info", "qq_wechat", "id_card_number", "referrer", "referral_source",
}  # fmt: skip


def make_id(prefix17: str) -> str:
    return prefix17 + id_check_char(prefix17)


VALID_ID = make_id("11010519491231002")


def clean(key, value, **kwargs):
    return catalogue.get(key).formfield(**kwargs).clean(value)


def test_catalogue_has_exactly_the_policy_map_keys():
    assert set(catalogue.FIELDS) == POLICY_MAP_KEYS
    assert catalogue.SENSITIVE_KEYS == {"id_card_number"}


def test_labels_follow_the_language():
    with translation.override("zh-hans"):
        assert catalogue.get("id_card_number").label == "身份证号码"
    with translation.override("en"):
        assert catalogue.get("id_card_number").label == "ID card number"


def test_known_good_id_number_and_lowercase_x():
    assert VALID_ID == "11010519491231002X"
    assert normalize_id_card_number("11010519491231002x") == VALID_ID
    # full-width digits as typed on a Chinese keyboard
    full_width = VALID_ID[:17].translate(str.maketrans("0123456789", "０１２３４５６７８９")) + "Ｘ"
    assert clean("id_card_number", full_width) == VALID_ID


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("110105194912310021", "checksum"),  # wrong check digit
        (make_id("11010519490230002")[:-1] + "0", "birth"),  # 30 February
        (make_id("11010519491331002"), "birth"),  # month 13
        (make_id("11010530001231002"), "birth"),  # born in the future
        (make_id("11010518001231002"), "birth"),  # before 1900
        (make_id("99010519491231002"), "region"),
        ("1101051949123100", "format"),  # too short
        ("11010519491231002XX", "format"),  # too long
        ("A1010519491231002X", "format"),
        ("110105194912\x0031002X", "format"),  # NUL byte
    ],
)
def test_bad_id_numbers_are_refused(value, code):
    with pytest.raises(ValidationError) as exc:
        normalize_id_card_number(value)
    assert exc.value.code == code


@pytest.mark.parametrize(
    "value", ["13800138000", "+86 138 0013 8000", "１３８００１３８０００", "138-0013-8000"]
)
def test_mobile_accepted_and_stored_e164(value):
    assert clean("mobile", value) == "+8613800138000"


@pytest.mark.parametrize("value", ["010-62345678", "12345", "+1 202 555 0143", "1380013800\x000", "1" * 40])
def test_mobile_refused(value):
    with pytest.raises(ValidationError):
        clean("mobile", value)


def test_name_pinyin():
    assert clean("name_pinyin", "  Zhang   San ") == "Zhang San"
    for bad in ["张三", "Zhang3", "Zhang-San", "Zhang\x00San"]:
        with pytest.raises(ValidationError):
            clean("name_pinyin", bad)


@pytest.mark.parametrize("value", ["12345", "10001234567", "wxid_abc123", "Zhang-san_88"])
def test_qq_wechat_accepted(value):
    assert clean("qq_wechat", value) == value


@pytest.mark.parametrize(
    "value", ["0123456", "1234", "123456789012", "abc", "1abcdefg", "微信号码", "a" * 21]
)
def test_qq_wechat_refused(value):
    with pytest.raises(ValidationError):
        clean("qq_wechat", value)


def test_birth_date_must_be_past_and_real():
    assert clean("birth_date", "1990-05-17") == datetime.date(1990, 5, 17)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    for bad in [
        tomorrow.isoformat(),
        timezone.localdate().isoformat(),
        "1850-01-01",
        "2001-02-30",
        "x" * 100,
    ]:
        with pytest.raises(ValidationError):
            clean("birth_date", bad)


def test_choices_gender_education_and_cities():
    assert clean("gender", "female") == "female"
    assert clean("education", "master") == "master"
    with pytest.raises(ValidationError):
        clean("gender", "robot")
    assert clean("intended_city", "上海", choices=["北京", "上海"]) == "上海"
    with pytest.raises(ValidationError):
        clean("intended_city", "广州", choices=["北京", "上海"])


def test_text_fields_refuse_overlong_and_nul_and_normalize():
    assert clean("company", "  示例　科技  ") == "示例 科技"
    with pytest.raises(ValidationError):
        clean("company", "公" * 101)
    with pytest.raises(ValidationError):
        clean("company", "示例\x00科技")
    with pytest.raises(ValidationError):
        clean("name", "张\x07三")


def test_email_is_lowercased_and_validated():
    assert clean("email", " Zhang.San@Example.COM ") == "zhang.san@example.com"
    for bad in ["zhang", "a@b", "a" * 250 + "@example.com", "zh\x00@example.com"]:
        with pytest.raises(ValidationError):
            clean("email", bad)


def test_required_and_optional():
    with pytest.raises(ValidationError):
        clean("name", "")
    assert clean("other_info", "", required=False) == ""


def test_sensitive_display_is_masked():
    assert catalogue.get("id_card_number").display(VALID_ID) == "***002X"
    assert catalogue.get("name").display("张三") == "张三"


@pytest.mark.parametrize("value", [[None], ["2000-01-01"], {"y": 2000}, 20000101, 1.5])
def test_birth_date_refuses_values_that_are_not_text(value):
    with pytest.raises(ValidationError):
        catalogue.get("birth_date").formfield().clean(value)
