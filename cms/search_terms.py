"""Bounds on what a search box accepts, for every search on the site.

A search string becomes one node per term in the search backend's query tree, and the
database backend compiles that tree recursively: about 800 words exhaust Python's
recursion limit and answer a 500 (with DEBUG, a traceback hundreds of kilobytes long). The
bounds are checked in two places:

- ``SearchBoundsMiddleware`` refuses, before any view runs, a search parameter (``q``,
  ``search``, ``query``, ``term``) on the admin and the APIs that is longer than
  ``SEARCH_MAX_LENGTH`` characters, has more than ``SEARCH_MAX_TERMS`` terms or carries
  control characters: a 400 naming the bound, as JSON on the APIs and as a page elsewhere.
  That covers Wagtail's admin search boxes (pages, images, documents, snippets, users,
  choosers, reports, tag autocomplete, its admin API), the project's modeladmin and custom
  listings, and Wagtail's API v2 at ``/api/v2/``.
- ``cms.search_backend`` bounds the query itself (``bound_query``), so a search reached by a
  path the middleware does not watch is shortened, never a crash.
"""

from __future__ import annotations

import re
import unicodedata

from django.conf import settings
from django.shortcuts import render
from django.utils.translation import gettext as _

from core.admin_listing import listing_refused

from .api.errors import ApiError, render_error

ALLOWED_CONTROL_CHARACTERS = frozenset("\t\n\r")
# How the database backends split a query into terms (PostgreSQL also splits on hyphens;
# quotes delimit phrases).
TERM_SEPARATORS = re.compile(r"[\s\-\"']+")
WAGTAIL_API_PREFIX = "/api/v2/"
API_PREFIX = "/api/"


def max_length() -> int:
    return settings.SEARCH_MAX_LENGTH


def max_terms() -> int:
    return settings.SEARCH_MAX_TERMS


def search_terms(value: str) -> list[str]:
    return [term for term in TERM_SEPARATORS.split(value) if term]


def is_control_character(character: str) -> bool:
    return character not in ALLOWED_CONTROL_CHARACTERS and unicodedata.category(character) in ("Cc", "Cs")


def search_problem(value: str) -> str | None:
    """Why ``value`` cannot be searched for (a translated sentence), or ``None`` if it can."""
    if any(is_control_character(character) for character in value):
        return _("The search contains control characters. Type only letters, digits and punctuation.")
    if len(value) > max_length() or len(search_terms(value)) > max_terms():
        return _("The search is too long: use at most %(length)d characters and %(terms)d words.") % {
            "length": max_length(),
            "terms": max_terms(),
        }
    return None


def bound_search_text(value: str) -> str:
    """``value`` without control characters, cut to the first ``SEARCH_MAX_TERMS`` words and
    ``SEARCH_MAX_LENGTH`` characters."""
    cleaned = "".join(" " if is_control_character(character) else character for character in value)
    if len(cleaned) <= max_length() and len(search_terms(cleaned)) <= max_terms():
        return cleaned
    words = cleaned.split()
    kept: list[str] = []
    for word in words:
        if len(search_terms(" ".join([*kept, word]))) > max_terms():
            break
        kept.append(word)
    return " ".join(kept)[: max_length()]


def guarded(path: str) -> bool:
    prefixes = tuple(settings.SEARCH_GUARDED_PATH_PREFIXES)
    return path.startswith(prefixes)


def refused_response(request, parameter: str, message: str):
    """The 400 for a refused search: JSON on the APIs, the admin's own page for staff, the
    site's page otherwise."""
    path = request.path_info
    if path.startswith(WAGTAIL_API_PREFIX):
        # Wagtail API v2's own error shape.
        return render_error(ApiError(400, {parameter: [message]}, extra={"message": message}))
    if path.startswith(API_PREFIX):
        return render_error(ApiError(400, {parameter: [message]}))
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.has_perm("wagtailadmin.access_admin"):
        # A TemplateResponse: rendered here, since no view returns it.
        return listing_refused(request, message).render()
    return render(request, "search_refused.html", {"message": message}, status=400)


class SearchBoundsMiddleware:
    """Refuse an unbounded search before a view (and the search backend) sees it.

    After ``AuthenticationMiddleware`` and ``MessageMiddleware``, so the refusal can be shown
    inside the admin; nothing before it reads the query string.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if guarded(request.path_info):
            names = settings.SEARCH_PARAMETERS
            for name in names:
                for value in request.GET.getlist(name):
                    message = search_problem(value)
                    if message is not None:
                        return refused_response(request, name, message)
        return self.get_response(request)
