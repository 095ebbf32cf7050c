from pathlib import Path

from django.conf import settings
from django.urls import include, path
from django.views.i18n import set_language
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from datatools import reports as escaped_reports
from forms import downloads, registration_views
from home import views as home_views

from .admin_i18n import admin_js_catalog
from .api import api, api_router
from .password_reset import RateLimitedPasswordResetView

urlpatterns = [
    path("healthz", home_views.healthz, name="healthz"),
    # Browsers ask for /favicon.ico whatever the page links; the site's icon is an SVG.
    path("favicon.ico", home_views.favicon, name="favicon"),
    path("i18n/setlang/", set_language, name="set_language"),
    # Wagtail's reports with CSV/XLSX exports, at their own paths, cells escaped against formulas.
    path("admin/", include((escaped_reports.urlpatterns, escaped_reports.app_name))),
    # Wagtail's password reset within the message limits (cms.password_reset), before its own.
    path(
        "admin/password_reset/",
        RateLimitedPasswordResetView.as_view(),
        name="wagtailadmin_password_reset",
    ),
    # The admin's script strings, with the project's translations filling Wagtail's gaps.
    path("admin/jsi18n/", admin_js_catalog, name="wagtailadmin_javascript_catalog"),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("api/v2/", api_router.urls),
    path("api/", api.urls),
    path("cookies/", home_views.cookie_preferences, name="cookie_preferences"),
    path("rights-requests/", include("rights_requests.urls")),
    path("my-data/", include("rights_requests.fulfilment.urls")),
    path("downloads/<str:token>/", downloads.download_view, name="campaign_download"),
    path("sign-ups/<str:token>/", registration_views.registration_page, name="campaign_registration"),
    path(
        "sign-ups/<str:token>/invite.ics",
        registration_views.registration_invite,
        name="campaign_registration_ics",
    ),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    # Only images are public media; documents are served by /documents/ (view restrictions).
    for folder in ("images", "original_images"):
        urlpatterns += static(
            f"{settings.MEDIA_URL}{folder}/", document_root=Path(settings.MEDIA_ROOT) / folder
        )

urlpatterns += [path("", include(wagtail_urls))]

# A body over one of Django's upload limits is a 413 with the site's page (cms.request_size).
handler400 = "cms.request_size.bad_request"
