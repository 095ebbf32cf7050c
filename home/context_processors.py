"""Values every public template needs: the policy and rights links and the cookie choice."""

from django.utils.functional import SimpleLazyObject

from .cookies import cookie_choice
from .links import policy_link, rights_page_link


def site_chrome(request):
    return {
        "current_policy": policy_link(),
        "cookie_choice": cookie_choice(request),
        # Looked up only when a template shows the link.
        "rights_page": SimpleLazyObject(rights_page_link),
    }
