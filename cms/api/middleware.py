"""Request guard for the headless JSON API: body size and content type.

Runs before the view reads the body, so an oversized request is refused from its
``Content-Length`` without being read, and anything that is not JSON is refused before
it can reach a parser. Wagtail's read-only API v2 (``/api/v2/``) is left alone.
"""

from django.conf import settings
from django.utils.encoding import escape_uri_path
from django.utils.translation import gettext as _

from .errors import ApiError, render_error

BODY_METHODS = {"POST", "PUT", "PATCH"}
JSON_MEDIA_TYPES = {"application/json"}
API_PREFIX = "/api/"
WAGTAIL_API_PREFIX = "/api/v2/"


def is_json_api_path(path: str) -> bool:
    return path.startswith(API_PREFIX) and not path.startswith(WAGTAIL_API_PREFIX)


def _content_length(request) -> int | None:
    raw = request.META.get("CONTENT_LENGTH") or ""
    if not raw:
        return 0
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if value >= 0 else None


def check_request(request) -> ApiError | None:
    """The error a JSON API request must be refused with, or ``None`` when it may proceed."""
    if request.method not in BODY_METHODS or not is_json_api_path(request.path_info):
        return None
    limit = settings.API_MAX_BODY_BYTES
    length = _content_length(request)
    if length is None:
        return ApiError.general(400, _("The Content-Length header is malformed."))
    if length > limit:
        return ApiError.general(
            413,
            _("The request body is too large (limit: %(limit)s bytes).") % {"limit": limit},
        )
    media_type = request.META.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()
    if length == 0 and not media_type:
        return None  # no body at all: the view answers 400 naming what is missing
    if media_type not in JSON_MEDIA_TYPES:
        return ApiError.general(
            415,
            _("Send the request body as JSON with the header Content-Type: application/json."),
        )
    return None


class ApiRequestGuardMiddleware:
    """Refuse oversized (413) and non-JSON (415) bodies on the JSON API.

    Placed after ``LocaleMiddleware`` so its messages follow ``Accept-Language``, and after
    ``CorsMiddleware`` so cross-origin callers can read the refusal.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        error = check_request(request)
        if error is not None:
            return render_error(error)
        response = self.get_response(request)
        if is_json_api_path(request.path_info):
            return as_json_error(request, response)
        return response


def _is_append_slash_redirect(request, response) -> bool:
    # The Location is percent-encoded (a non-ASCII path such as /api/forms/é), as CommonMiddleware
    # builds it with escape_uri_path.
    return response.status_code == 301 and response.get("Location", "").split("?", 1)[0].endswith(
        escape_uri_path(request.path) + "/"
    )


def as_json_error(request, response):
    """Give a 404 or 405 answered outside the API's views (URL resolver, method dispatch)
    the API's JSON error shape instead of an HTML page. No API URL ends in a slash, so
    ``APPEND_SLASH``'s redirect towards a site page is a 404 here too."""
    if _is_append_slash_redirect(request, response):
        return render_error(ApiError.general(404, _("Not found.")))
    if response.status_code not in (404, 405) or response.get("Content-Type", "").startswith(
        "application/json"
    ):
        return response
    if response.status_code == 404:
        replacement = render_error(ApiError.general(404, _("Not found.")))
    else:
        replacement = render_error(ApiError.general(405, _("This HTTP method is not allowed here.")))
        if response.has_header("Allow"):
            replacement["Allow"] = response["Allow"]
    return replacement
