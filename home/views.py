from django.db import connection
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from . import cookies


@never_cache
def healthz(request):
    """Liveness and database reachability for load balancers."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # noqa: BLE001 (any database failure means unhealthy)
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


@require_http_methods(["GET", "POST"])
def cookie_preferences(request):
    """Show and change the visitor's cookie choice (policy §3)."""
    error = None
    if request.method == "POST":
        choice = request.POST.get("choice")
        if choice in cookies.CHOICES:
            target = request.POST.get("next") or "/"
            if not url_has_allowed_host_and_scheme(
                target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            ):
                target = "/"
            response = HttpResponseRedirect(target)
            cookies.remember_choice(response, choice, secure=request.is_secure())
            return response
        error = _("Please choose one of the options.")
    return render(
        request,
        "home/cookie_preferences.html",
        {"error": error, "choice": cookies.cookie_choice(request), "next": request.GET.get("next", "")},
        status=400 if error else 200,
    )


def favicon(request):
    """The site's icon for browsers that ask for /favicon.ico."""
    return redirect(static("favicon.svg"), permanent=True)
