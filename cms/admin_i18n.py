"""The Wagtail admin's JavaScript catalogue, completed by the project's.

Wagtail serves the admin's script strings (the rich-text editor's placeholder, for one)
from its own catalogue only; where its Simplified Chinese is behind, the project's
``djangojs`` catalogues (``LOCALE_PATHS``) fill the gaps. Served at Wagtail's own address,
so every admin page loads it without a template change.
"""

from django.conf import settings
from django.views.i18n import JavaScriptCatalog
from wagtail.admin.localization import get_localized_response


class AdminJavaScriptCatalog(JavaScriptCatalog):
    def get_paths(self, packages):
        return [*super().get_paths(packages), *(str(path) for path in settings.LOCALE_PATHS)]


_catalog = AdminJavaScriptCatalog.as_view(packages=["wagtail.admin"])


def admin_js_catalog(request, *args, **kwargs):
    """In the signed-in user's preferred language, as Wagtail's own view does."""
    return get_localized_response(_catalog, request, *args, **kwargs)
