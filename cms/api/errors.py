"""One error shape for the whole JSON API.

Every failure answers ``{"errors": {"<field or __all__>": ["message", ...]}}``, with
messages translated into the language negotiated from ``Accept-Language`` (zh-hans by
default). Some answers carry one extra top-level key next to ``errors``
(``attempts_left`` on a wrong SMS code, ``reason`` on a spent challenge).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.utils.translation import gettext as _

NON_FIELD = "__all__"
LOCATION_PREFIXES = {"body", "path", "query", "header", "cookie", "form", "file"}


class ApiError(Exception):
    """An expected failure that becomes a JSON error response.

    ``errors`` maps a field name (or ``__all__``) to messages; ``extra`` adds top-level keys;
    ``headers`` adds response headers (``Retry-After``).
    """

    def __init__(
        self,
        status: int,
        errors: Mapping[str, Iterable[str]],
        *,
        extra: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
    ):
        self.status = status
        self.errors = {key: [str(m) for m in messages] for key, messages in errors.items()}
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})
        super().__init__(status, self.errors)

    @classmethod
    def general(cls, status: int, message: str, **kwargs) -> ApiError:
        return cls(status, {NON_FIELD: [message]}, **kwargs)

    def payload(self) -> dict:
        return {"errors": self.errors, **self.extra}


def error_response(status: int, errors: Mapping[str, Iterable[str]], **kwargs) -> HttpResponse:
    return render_error(ApiError(status, errors, **kwargs))


def render_error(exc: ApiError) -> HttpResponse:
    response = HttpResponse(
        json.dumps(exc.payload(), cls=DjangoJSONEncoder, ensure_ascii=False),
        status=exc.status,
        content_type="application/json; charset=utf-8",
    )
    for name, value in exc.headers.items():
        response[name] = value
    return response


def retry_after_header(seconds: float | None) -> dict[str, str]:
    """``Retry-After`` as RFC 9110 delta-seconds: a whole number, at least one."""
    return {"Retry-After": str(max(1, math.ceil(seconds or 1)))}


def rate_limited(seconds: float | None, message: str | None = None) -> ApiError:
    return ApiError.general(
        429,
        message or _("Too many requests. Please try again later."),
        headers=retry_after_header(seconds),
    )


def errors_from_django(exc: DjangoValidationError) -> dict[str, list[str]]:
    """A Django ``ValidationError`` (field dict or plain list) as the API's error mapping."""
    if hasattr(exc, "error_dict"):
        return {
            (NON_FIELD if key in (None, "__all__") else key): [str(m) for m in messages]
            for key, messages in exc.message_dict.items()
        }
    return {NON_FIELD: [str(m) for m in exc.messages]}


def _field_key(loc: Iterable, body_param: str | None) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in LOCATION_PREFIXES:
        parts = parts[1:]
    if parts and body_param and parts[0] == body_param:
        parts = parts[1:]
    return ".".join(parts) if parts else NON_FIELD


def _message(error: Mapping, key: str) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        if key == NON_FIELD:
            return _("A JSON object is required as the request body.")
        return _("This field is required.")
    if kind == "extra_forbidden":
        return _("Unknown field “%(name)s”: it is not accepted here.") % {"name": key.rsplit(".", 1)[-1]}
    if kind in {"dict_type", "model_type", "model_attributes_type"}:
        if key == NON_FIELD:
            return _("A JSON object is required as the request body.")
        return _("Enter a JSON object.")
    if kind in {"string_type", "string_unicode"}:
        return _("Enter a string.")
    if kind in {"bool_type", "bool_parsing"}:
        return _("Enter true or false.")
    if kind in {"int_type", "int_parsing", "int_from_float", "int_parsing_size"}:
        return _("Enter a whole number.")
    if kind == "string_too_long":
        return _("Ensure this value has at most %(max)s characters.") % {"max": ctx.get("max_length", "?")}
    if kind == "string_too_short":
        return _("Ensure this value has at least %(min)s characters.") % {"min": ctx.get("min_length", "?")}
    if kind in {"greater_than_equal", "greater_than", "less_than_equal", "less_than"}:
        return _("Ensure this value is within the allowed range.")
    if kind in {"literal_error", "enum"}:
        expected = ctx.get("expected")
        if expected:
            return _("Select a valid choice. Allowed: %(choices)s.") % {"choices": expected}
        return _("Select a valid choice.")
    return _("Enter a valid value.")


def errors_from_pydantic(
    errors: Iterable[Mapping], body_param: str | None = "payload"
) -> dict[str, list[str]]:
    """Ninja/pydantic validation errors as the API's error mapping, in the active language.

    Pydantic's own messages are English-only, so each error type is mapped to a message of
    ours; an unknown key is reported under its own name.
    """
    result: dict[str, list[str]] = {}
    for error in errors:
        key = _field_key(error.get("loc", ()), body_param)
        message = _message(error, key)
        bucket = result.setdefault(key, [])
        if message not in bucket:
            bucket.append(message)
    return result
