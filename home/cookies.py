"""Cookie consent (policy §3).

Before the visitor decides, only strictly necessary cookies exist (session for the
forms' CSRF protection and the language choice the visitor makes). The choice is
stored in a necessary cookie of its own so it is remembered and can be changed.
"""

from django.conf import settings

NECESSARY = "necessary"
ALL = "all"
CHOICES = (NECESSARY, ALL)
MAX_AGE = 180 * 24 * 3600  # ask again after about six months


def cookie_choice(request) -> str | None:
    """The visitor's decision, or None while they have not decided."""
    value = request.COOKIES.get(settings.SITE_COOKIE_CONSENT_NAME)
    return value if value in CHOICES else None


def allows_optional(request) -> bool:
    """Whether non-essential cookies (preferences, analytics) may be set."""
    return cookie_choice(request) == ALL


def remember_choice(response, choice: str, *, secure: bool) -> None:
    response.set_cookie(
        settings.SITE_COOKIE_CONSENT_NAME,
        choice,
        max_age=MAX_AGE,
        samesite="Lax",
        secure=secure,
        httponly=True,
    )
