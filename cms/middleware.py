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
