"""Links every public page shows (current policy, rights requests), read from the cache.

Each page view would otherwise spend three queries on them. The cached values are dropped
when a policy or rights page is saved, published, unpublished, moved or deleted, and expire
after ``LINK_TIMEOUT`` seconds in any case (a view restriction added later, say).
"""

from dataclasses import dataclass

from django.apps import apps
from django.core.cache import cache

from .policy import current_policy

RIGHTS_PAGE_CACHE_KEY = "home:rights-page-link"
LINK_TIMEOUT = 60


@dataclass(frozen=True)
class PageLink:
    pk: int
    url: str
    title: str
    version_label: str = ""


def policy_link() -> PageLink | None:
    """The policy version in force today."""
    value = current_policy()
    if not value:
        return None
    return PageLink(pk=value["id"], url=value["url"], title=value["title"], version_label=value["version"])


def rights_page_link() -> PageLink | None:
    """The first live, public rights-request page."""
    value = cache.get(RIGHTS_PAGE_CACHE_KEY)
    if value is None:
        # By name: the rights-request app sits above this one.
        RightsRequestPage = apps.get_model("rights_requests", "RightsRequestPage")
        page = RightsRequestPage.objects.live().public().order_by("path").first()
        value = {"pk": page.pk, "url": page.get_url() or page.url_path, "title": page.title} if page else {}
        cache.set(RIGHTS_PAGE_CACHE_KEY, value, LINK_TIMEOUT)
    return PageLink(**value) if value else None


def rights_page_changed() -> None:
    cache.delete(RIGHTS_PAGE_CACHE_KEY)
