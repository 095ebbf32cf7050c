"""Values every public template needs: the current policy and the cookie choice."""

from django.utils.functional import SimpleLazyObject

from .cookies import cookie_choice


def _rights_page():
    from rights_requests.models import RightsRequestPage

    return RightsRequestPage.objects.live().public().first()


def site_chrome(request):
    from .models import PrivacyPolicyPage

    return {
        "current_policy": PrivacyPolicyPage.current(),
        "cookie_choice": cookie_choice(request),
        # Looked up only when a template shows the link.
        "rights_page": SimpleLazyObject(_rights_page),
    }
