"""The headless JSON API (django-ninja), mounted at ``/api/``.

The endpoints are thin: each one parses the JSON body, calls the same service function
the server-rendered pages use, and turns the service's exceptions into the uniform error
shape of ``cms.api.errors``. No business rule lives here.

CSRF: django-ninja exempts its views from Django's CSRF middleware and enforces CSRF only
for cookie-based authentication. That is safe here because no endpoint authenticates by
session or cookie (``request.user`` is never consulted; every call is anonymous and
proves what it must with a token in the body or in the ``Authorization`` header, which a
browser never adds on its own), and every body must be sent as
``application/json`` (``ApiRequestGuardMiddleware``), a content type a cross-site HTML
form cannot send and a cross-site script can only send after a CORS preflight that only
``CORS_ALLOWED_ORIGINS`` pass.
"""

import threading

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

from . import forms, rights_requests, sms
from .errors import ApiError, errors_from_django, errors_from_pydantic, rate_limited, render_error

API_DESCRIPTION = """
Campaign forms, SMS verification and privacy-rights requests for front ends other than
this site's own pages (mini-programs, single-page apps, partner portals).

* Request bodies are JSON (`Content-Type: application/json`), at most 64 KB; unknown keys
  are refused.
* Errors always look like `{"errors": {"<field or __all__>": ["message", ...]}}`; messages
  follow `Accept-Language` (`zh-hans` by default, or `en`).
* Rate limits answer 429 with a `Retry-After` header (seconds).
* Only live, public pages are reachable.
"""


class PolicyFormsAPI(NinjaAPI):
    """The OpenAPI document depends only on the code: build it once per prefix and language.

    django-ninja rebuilds it on every request to ``/api/openapi.json`` and ``/api/docs``,
    which costs over 100 ms each time.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._schema_cache: dict[tuple[str, str | None], dict] = {}
        self._schema_lock = threading.Lock()

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        key = (path_prefix, get_language())
        schema = self._schema_cache.get(key)
        if schema is None:
            with self._schema_lock:
                schema = self._schema_cache.get(key)
                if schema is None:
                    schema = super().get_openapi_schema(path_prefix=path_prefix)
                    self._schema_cache[key] = schema
        return schema


api = PolicyFormsAPI(
    title="Policy Forms API",
    version="1.0.0",
    description=API_DESCRIPTION,
    urls_namespace="pfapi",
    openapi_url="/openapi.json",
    docs_url="/docs",
)


@api.exception_handler(ApiError)
def _api_error(request, exc: ApiError):
    return render_error(exc)


@api.exception_handler(NinjaValidationError)
def _validation_error(request, exc: NinjaValidationError):
    return render_error(ApiError(400, errors_from_pydantic(exc.errors)))


@api.exception_handler(DjangoValidationError)
def _django_validation_error(request, exc: DjangoValidationError):
    return render_error(ApiError(400, errors_from_django(exc)))


@api.exception_handler(Http404)
def _not_found(request, exc):
    return render_error(ApiError.general(404, _("Not found.")))


@api.exception_handler(Throttled)
def _throttled(request, exc: Throttled):
    return render_error(rate_limited(exc.wait))


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    if exc.status_code == 400:
        message = _("The request body is not valid JSON.")
    elif exc.status_code == 404:
        message = _("Not found.")
    else:
        message = _("The request could not be processed.")
    return render_error(ApiError.general(exc.status_code, message))


def _mount_routers() -> None:
    api.add_router("/forms", forms.router, tags=["forms"])
    api.add_router("/sms", sms.router, tags=["sms"])
    api.add_router("/rights-requests", rights_requests.router, tags=["rights requests"])


_mount_routers()
