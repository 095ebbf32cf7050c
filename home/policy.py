"""The policy version in force, cached briefly: every form, consent and page footer cites it."""

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from wagtail.signals import page_published, page_unpublished, post_page_move

from .models import PrivacyPolicyPage

POLICY_CACHE_KEY = "forms:current-policy"  # the key it had before it moved here
POLICY_TIMEOUT = 60


def policy_changed() -> None:
    cache.delete(POLICY_CACHE_KEY)


def current_policy() -> dict | None:
    """The policy version in force as ``{"id", "version", "url", "title"}``, cached briefly."""
    cached = cache.get(POLICY_CACHE_KEY)
    if cached is not None:
        return cached or None
    page = PrivacyPolicyPage.current()
    value = (
        {
            "id": page.pk,
            "version": page.version_label,
            "url": page.get_url() or page.url_path,
            "title": page.title,
        }
        if page
        else {}
    )
    cache.set(POLICY_CACHE_KEY, value, POLICY_TIMEOUT)
    return value or None


@receiver(page_published, sender=PrivacyPolicyPage)
@receiver(page_unpublished, sender=PrivacyPolicyPage)
@receiver(post_page_move, sender=PrivacyPolicyPage)
@receiver(post_save, sender=PrivacyPolicyPage)
@receiver(post_delete, sender=PrivacyPolicyPage)
def _policy_changed(sender, **kwargs):
    policy_changed()
