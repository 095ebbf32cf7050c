"""Values every public template needs: the current policy and the cookie choice."""

from .cookies import cookie_choice


def site_chrome(request):
    from .models import PrivacyPolicyPage

    return {
        "current_policy": PrivacyPolicyPage.current(),
        "cookie_choice": cookie_choice(request),
    }
