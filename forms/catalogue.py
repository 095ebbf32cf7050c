"""The personal-field catalogue: every kind of personal information the policy names (§1).

A campaign page may only collect personal information through these keys; each key has
its labels, its form field and its validation here, once, for the page and the API.
Keys are controlled identifiers and never derived from labels.
"""

import datetime
import re
import unicodedata
from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils import timezone
from django.utils.translation import get_language, gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from core import crypto
from core.phone import mask_mobile, normalize_mobile

from .choices import Education, Gender

MIN_BIRTH_YEAR = 1900


def is_chinese() -> bool:
    return (get_language() or "").lower().startswith("zh")


def _text(value) -> str:
    """NFKC-normalized, trimmed text with runs of whitespace collapsed."""
    value = unicodedata.normalize("NFKC", str(value))
    return re.sub(r"\s+", " ", value).strip()


# Unicode category Cc (C0, DEL, C1) except tab and newline.
CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _refuse_control_characters(value: str) -> None:
    if CONTROL_RE.search(value):
        raise ValidationError(_("This value contains characters that are not allowed."), code="control")


# --- validators -----------------------------------------------------------------------------

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
ID_PROVINCES = frozenset(
    {
        "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
        "65", "71", "81", "82", "83", "91",
    }
)  # fmt: skip


def id_check_char(first17: str) -> str:
    """The GB 11643 check character (ISO 7064 MOD 11-2) for 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


def normalize_id_card_number(value) -> str:
    """Return an 18-character resident ID number (upper-case ``X``) or raise ``ValidationError``."""
    raw = unicodedata.normalize("NFKC", str(value or "")).strip().replace(" ", "").upper()
    if not raw:
        raise ValidationError(_("Enter an ID card number."), code="required")
    if len(raw) != 18 or not raw[:17].isdigit() or not (raw[17].isdigit() or raw[17] == "X"):
        raise ValidationError(
            _("An ID card number has 18 characters: 17 digits and a final digit or X."), code="format"
        )
    if raw[:2] not in ID_PROVINCES:
        raise ValidationError(_("This ID card number has an unknown region code."), code="region")
    try:
        birth = datetime.date(int(raw[6:10]), int(raw[10:12]), int(raw[12:14]))
    except ValueError as exc:
        raise ValidationError(
            _("This ID card number contains an impossible birth date."), code="birth"
        ) from exc
    if birth.year < MIN_BIRTH_YEAR or birth > timezone.localdate():
        raise ValidationError(_("This ID card number contains an impossible birth date."), code="birth")
    if id_check_char(raw[:17]) != raw[17]:
        raise ValidationError(_("The check digit of this ID card number is wrong."), code="checksum")
    return raw


PINYIN_RE = re.compile(r"^[A-Za-z]+(?: [A-Za-z]+)*$")
QQ_RE = re.compile(r"^[1-9][0-9]{4,10}$")
WECHAT_RE = re.compile(r"^[A-Za-z][-_A-Za-z0-9]{5,19}$")


def validate_name_pinyin(value: str) -> None:
    if not PINYIN_RE.match(value):
        raise ValidationError(_("Use Latin letters and spaces only, e.g. Zhang San."), code="pinyin")


def validate_qq_wechat(value: str) -> None:
    if not (QQ_RE.match(value) or WECHAT_RE.match(value)):
        raise ValidationError(
            _(
                "Enter a QQ number (5–11 digits) or a WeChat ID (6–20 letters, digits, - or _, "
                "starting with a letter)."
            ),
            code="qq_wechat",
        )


def validate_birth_date(value: datetime.date) -> None:
    if value >= timezone.localdate():
        raise ValidationError(_("The birth date must be in the past."), code="future")
    if value.year < MIN_BIRTH_YEAR:
        raise ValidationError(_("Enter a real birth date."), code="too_old")


# --- form fields ----------------------------------------------------------------------------


class TextField(forms.CharField):
    """Text normalized (NFKC, trimmed, whitespace collapsed); control characters refused."""

    def __init__(self, *, multiline=False, **kwargs):
        self.multiline = multiline
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return value
        if self.multiline:
            value = unicodedata.normalize("NFKC", str(value)).replace("\r\n", "\n").strip()
        else:
            value = _text(value)
        return value

    def validate(self, value):
        super().validate(value)
        if value:
            _refuse_control_characters(value)


class MobileField(forms.CharField):
    """A mainland mobile number, cleaned to E.164 (``+8613812345678``)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 32)
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return value
        return normalize_mobile(value)


class IDCardNumberField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 24)
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return value
        return normalize_id_card_number(value)


class LowerEmailField(forms.EmailField):
    default_validators = [EmailValidator()]

    def to_python(self, value):
        value = super().to_python(value)
        return crypto.normalize_email(value) if value else value


class CatalogueDateField(forms.DateField):
    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            value = unicodedata.normalize("NFKC", value).strip()
            if len(value) > 32:
                raise ValidationError(self.error_messages["invalid"], code="invalid")
        elif value is not None and not isinstance(value, datetime.date):
            # A list, number or object (e.g. from a JSON body) is not a date.
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


# --- the catalogue ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldDefinition:
    """One kind of personal information the policy names, with how it is collected."""

    key: str
    label_zh: str
    label_en: str  # an English msgid, translated when shown
    kind: str  # text, textarea, email, mobile, id_card, date, choice, pinyin, qq_wechat
    max_length: int = 100
    sensitive: bool = False
    choices: tuple = ()
    validators: tuple = field(default=())
    autocomplete: str = ""

    @property
    def label(self) -> str:
        """The label in the active language (the Chinese term is the policy's own)."""
        return self.label_zh if is_chinese() else gettext(self.label_en)

    @property
    def input_type(self) -> str:
        """A type name for API clients: text, textarea, email, tel, date, choice."""
        return {"mobile": "tel", "id_card": "text", "pinyin": "text", "qq_wechat": "text"}.get(
            self.kind, self.kind
        )

    def get_choices(self, choices=None) -> list[tuple[str, str]]:
        if choices is not None:
            return [(c, c) for c in choices]
        return [(value, str(label)) for value, label in self.choices]

    def formfield(self, *, label=None, required=True, help_text="", choices=None) -> forms.Field:
        """A Django form field that validates and normalizes this kind of value."""
        options = {
            "label": label or self.label,
            "required": required,
            "help_text": help_text,
            "validators": list(self.validators),
        }
        attrs = {"autocomplete": self.autocomplete} if self.autocomplete else {}
        if self.kind == "mobile":
            attrs.update({"type": "tel", "inputmode": "tel"})
            return MobileField(widget=forms.TextInput(attrs=attrs), **options)
        if self.kind == "email":
            return LowerEmailField(
                max_length=self.max_length, widget=forms.EmailInput(attrs=attrs), **options
            )
        if self.kind == "id_card":
            attrs["autocomplete"] = "off"
            return IDCardNumberField(widget=forms.TextInput(attrs=attrs), **options)
        if self.kind == "date":
            return CatalogueDateField(**options)
        if self.kind == "choice":
            return forms.ChoiceField(choices=[("", "---------"), *self.get_choices(choices)], **options)
        multiline = self.kind == "textarea"
        widget = forms.Textarea(attrs={"rows": 3, **attrs}) if multiline else forms.TextInput(attrs=attrs)
        return TextField(multiline=multiline, max_length=self.max_length, widget=widget, **options)

    def display(self, value) -> str:
        """How the value is shown in listings and exports (masked when sensitive)."""
        if value in (None, ""):
            return ""
        if self.sensitive:
            return crypto.mask(str(value))
        return str(value)

    def mask(self, value) -> str:
        """The value as shown to someone without the right to see it in full."""
        if value in (None, ""):
            return ""
        if self.kind == "mobile":
            return mask_mobile(str(value))
        if self.kind == "email":
            return crypto.mask_email(str(value))
        return crypto.mask(str(value))


def _def(key, zh, en, kind="text", **kwargs) -> FieldDefinition:
    return FieldDefinition(key=key, label_zh=zh, label_en=en, kind=kind, **kwargs)


_DEFINITIONS = [
    _def("name", "姓名", gettext_noop("Name"), max_length=50, autocomplete="name"),
    _def(
        "name_pinyin",
        "姓名拼音",
        gettext_noop("Name in pinyin"),
        kind="pinyin",
        max_length=60,
        validators=(validate_name_pinyin,),
    ),
    _def("company", "公司名称", gettext_noop("Company"), max_length=100, autocomplete="organization"),
    _def("position", "职位", gettext_noop("Position"), max_length=50, autocomplete="organization-title"),
    _def(
        "email",
        "电子邮件地址",
        gettext_noop("E-mail address"),
        kind="email",
        max_length=254,
        autocomplete="email",
    ),
    _def("mobile", "手机号", gettext_noop("Mobile number"), kind="mobile", max_length=32, autocomplete="tel"),
    _def("contact_name", "联系人姓名或名称", gettext_noop("Contact name"), max_length=50),
    _def(
        "intended_city",
        "意向参会城市",
        gettext_noop("City you plan to attend in"),
        kind="choice",
        max_length=50,
    ),
    _def("city", "城市", gettext_noop("City"), max_length=50, autocomplete="address-level2"),
    _def(
        "cooperation_intention",
        "合作意向",
        gettext_noop("Cooperation intention"),
        kind="textarea",
        max_length=500,
    ),
    _def(
        "mailing_address",
        "证书邮寄地址",
        gettext_noop("Mailing address for the certificate"),
        kind="textarea",
        max_length=200,
        autocomplete="street-address",
    ),
    _def(
        "gender", "性别", gettext_noop("Gender"), kind="choice", max_length=10, choices=tuple(Gender.choices)
    ),
    _def(
        "birth_date",
        "出生日期",
        gettext_noop("Date of birth"),
        kind="date",
        validators=(validate_birth_date,),
    ),
    _def(
        "education",
        "学历学位信息",
        gettext_noop("Education and degree"),
        kind="choice",
        max_length=20,
        choices=tuple(Education.choices),
    ),
    _def("residence", "现居住地", gettext_noop("Current residence"), max_length=100),
    _def(
        "other_info",
        "其他您可选择提供的信息",
        gettext_noop("Other information (optional)"),
        kind="textarea",
        max_length=1000,
    ),
    _def(
        "qq_wechat",
        "QQ 号码/微信",
        gettext_noop("QQ number or WeChat ID"),
        kind="qq_wechat",
        max_length=20,
        validators=(validate_qq_wechat,),
    ),
    _def(
        "id_card_number",
        "身份证号码",
        gettext_noop("ID card number"),
        kind="id_card",
        max_length=18,
        sensitive=True,
    ),
    _def("referrer", "推荐人", gettext_noop("Referred by"), max_length=50),
    _def("referral_source", "如何知道我司", gettext_noop("How did you hear about us"), max_length=200),
]

FIELDS: dict[str, FieldDefinition] = {d.key: d for d in _DEFINITIONS}
SENSITIVE_KEYS = frozenset(k for k, d in FIELDS.items() if d.sensitive)
# Fields that are optional by definition: no purpose or page can make them required.
ALWAYS_OPTIONAL_KEYS = frozenset({"other_info"})


def get(key: str) -> FieldDefinition:
    """The definition for ``key``; ``KeyError`` for a key the catalogue does not know."""
    return FIELDS[key]


def choices() -> list[tuple[str, str]]:
    """(key, "key — label") pairs for admin select boxes."""
    return [(d.key, f"{d.key} — {d.label_zh} / {d.label_en}") for d in _DEFINITIONS]


def labels(keys) -> list[str]:
    """Labels in the active language for ``keys``, in catalogue order."""
    keys = set(keys)
    return [d.label for d in _DEFINITIONS if d.key in keys]
