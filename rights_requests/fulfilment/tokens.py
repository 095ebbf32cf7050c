"""Signed links to access packages: valid ``ACCESS_PACKAGE_TTL_DAYS`` days, for one package only."""

from django.core import signing
from django.utils.crypto import constant_time_compare

from core.exceptions import ServiceError

from .models import AccessPackage

SALT = "fulfilment.package-link.v1"
MAX_TOKEN_LENGTH = 512


class LinkError(ServiceError):
    """``reason`` is ``expired`` (410) or ``invalid`` (404); it is also the error's code and text."""

    def __init__(self, reason: str):
        super().__init__(reason, code=reason)
        self.reason = reason


def package_token(package) -> str:
    return signing.dumps({"p": package.pk, "n": package.nonce}, salt=SALT)


def read_package_token(token: str, *, max_age: int) -> tuple[int, str]:
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        raise LinkError("invalid")
    try:
        payload = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise LinkError("expired") from None
    except (signing.BadSignature, ValueError, TypeError):
        raise LinkError("invalid") from None
    if (
        not isinstance(payload, dict)
        or not isinstance(payload.get("p"), int)
        or not isinstance(payload.get("n"), str)
    ):
        raise LinkError("invalid")
    return payload["p"], payload["n"]


def package_for_token(token: str, *, max_age: int):
    """The package a valid link names; ``LinkError`` for a forged, foreign or expired link."""
    pk, nonce = read_package_token(token, max_age=max_age)
    package = AccessPackage.objects.select_related("rights_request").filter(pk=pk).first()
    if package is None or not constant_time_compare(package.nonce, nonce):
        raise LinkError("invalid")
    if package.released_at is None:
        # Held for a Privacy officer's approval, or discarded in favour of a masked copy.
        raise LinkError("invalid")
    if package.is_expired or not package.has_content:
        raise LinkError("expired")
    return package
