"""Keep personal values out of error reports and logs.

Every view that takes a mobile, an SMS code, an ID number or a token also carries
``sensitive_post_parameters``; this middleware marks the same names on every request
as a second layer, so a view added later cannot leak them into a 500 report by
forgetting the decorator.
"""

from django.conf import settings


def sensitive_parameters() -> list[str]:
    return list(settings.SENSITIVE_POST_PARAMETERS)


class SensitivePostParametersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        marked = getattr(request, "sensitive_post_parameters", None)
        if marked != "__ALL__":
            names = set(marked or ()) | set(sensitive_parameters())
            request.sensitive_post_parameters = sorted(names)
        return self.get_response(request)


class PreviewFramingMiddleware:
    """Let the admin's preview panel frame the page it previews, and nothing else.

    Wagtail renders a preview by running the page's own request through the whole
    middleware chain, so the public site's ``frame-ancestors 'none'`` and
    ``X-Frame-Options: DENY`` would blank the panel. Only those preview responses
    (``request.is_preview``, set by Wagtail on its dummy request, which the admin's
    permission checks have already let through) may be framed, by the site itself.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, "is_preview", False):
            replace = dict(getattr(response, "_csp_replace", None) or {})
            replace["frame-ancestors"] = ["'self'"]
            response._csp_replace = replace
            response["X-Frame-Options"] = "SAMEORIGIN"
        return response
