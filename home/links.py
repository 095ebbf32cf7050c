"""Links every public page shows (current policy, rights requests), read from the cache.

Each page view would otherwise spend three queries on them. The cached values are dropped
when a policy or rights page is saved, published, unpublished, moved or deleted, and expire
after ``LINK_TIMEOUT`` seconds in any case (a view restriction added later, say).
"""

from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from wagtail.models import Site

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


def site_root_url(site=None) -> str:
    """Where visitors reach the site, for links sent by SMS and e-mail.

    ``SITE_URL`` when it is set (the address behind a proxy or a load balancer), else the
    root URL of ``site`` or of the default Wagtail site (its hostname and port), else the
    admin's base URL.
    """
    configured = getattr(settings, "SITE_URL", "")
    if configured:
        return configured.rstrip("/")
    if site is None:
        site = Site.objects.filter(is_default_site=True).first()
    if site is not None:
        return site.root_url.rstrip("/")
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/")


def absolute_url(path: str, site=None) -> str:
    """``path`` (from ``reverse`` or a page's relative URL) as an absolute link to the site."""
    if path.startswith(("http://", "https://")):
        return path
    return site_root_url(site) + "/" + path.lstrip("/")
