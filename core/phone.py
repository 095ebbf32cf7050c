"""Mobile numbers: parsed and validated with ``phonenumbers``, stored as E.164.

Mainland China (CN) is the default region; full-width digits are accepted as the
visitor typed them and normalized. Landlines, toll-free and foreign numbers in a
region that is not allowed are refused with a message that says why.
"""

import unicodedata

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

DEFAULT_REGION = "CN"
MAX_INPUT_LENGTH = 32
MOBILE_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}


def allowed_regions() -> set[str]:
    return set(settings.MOBILE_ALLOWED_REGIONS)


def normalize_mobile(value: str, *, region: str = DEFAULT_REGION) -> str:
    """Return the E.164 form of a mobile number or raise ``ValidationError``."""
    if value is None:
        raise ValidationError(_("Enter a mobile number."), code="required")
    raw = unicodedata.normalize("NFKC", str(value)).strip()
    if not raw:
        raise ValidationError(_("Enter a mobile number."), code="required")
    if len(raw) > MAX_INPUT_LENGTH or "\x00" in raw:
        raise ValidationError(_("Enter a valid mobile number."), code="invalid")
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(_("Enter a valid mobile number."), code="invalid") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(_("Enter a valid mobile number."), code="invalid")
    if phonenumbers.region_code_for_number(number) not in allowed_regions():
        raise ValidationError(_("Only mainland China mobile numbers are accepted."), code="region")
    if phonenumbers.number_type(number) not in MOBILE_TYPES:
        raise ValidationError(
            _("This is not a mobile number (landline or service numbers cannot receive SMS)."),
            code="not_mobile",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask_mobile(e164: str | None) -> str:
    """``+86 138****5678``-style display that keeps the country code and last four digits."""
    if not e164:
        return ""
    if e164.startswith("+86") and len(e164) == 14:
        return f"+86 {e164[3:6]}****{e164[-4:]}"
    return f"{e164[:3]}****{e164[-4:]}"
