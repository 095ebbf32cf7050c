"""The site's HTTP APIs.

``api_router`` is Wagtail's read-only API v2 (pages, mounted at ``/api/v2/``); ``api`` is
the headless JSON API (forms, SMS verification, rights requests, mounted at ``/api/``).
"""

from .app import api
from .v2 import api_router

__all__ = ["api", "api_router"]
