"""The site's HTTP APIs.

``api_router`` is Wagtail's read-only API v2 (pages, mounted at ``/api/v2/``).
"""

from .v2 import api_router

__all__ = ["api_router"]
