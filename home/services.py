"""Rules on the privacy-policy pages that span more than one page."""

from collections.abc import Iterable

from django.conf import settings
from wagtail.models import Page, Site

from .models import PrivacyPolicyIndexPage, PrivacyPolicyPage, SiteSettings


def cited_policy_versions(*, pages: Iterable[Page], descendants: bool = False) -> list[PrivacyPolicyPage]:
    """The policy versions among ``pages`` (and below them, with ``descendants``) that consents cite.

    Such a version can be neither deleted nor unpublished: a consent must always be
    readable as it was given.
    """
    found: dict[int, PrivacyPolicyPage] = {}
    for page in pages:
        if descendants:
            versions = PrivacyPolicyPage.objects.descendant_of(page, inclusive=True)
        else:
            versions = PrivacyPolicyPage.objects.filter(pk=page.pk)
        for version in versions:
            if version.pk not in found and version.is_cited():
                found[version.pk] = version
    return list(found.values())


def cited_versions_hidden_by_unpublishing(
    *, page: Page, include_descendants: bool
) -> list[PrivacyPolicyPage]:
    """Cited versions an unpublish of ``page`` would take offline; the policy index counts as
    taking them all, since it is their stable address."""
    descendants = include_descendants or issubclass(page.specific_class or Page, PrivacyPolicyIndexPage)
    return cited_policy_versions(pages=[page], descendants=descendants)


def site_name() -> str:
    """The company name from the site settings, else the Wagtail site name."""
    site = Site.objects.filter(is_default_site=True).first()
    if site is not None:
        name = SiteSettings.for_site(site).company_name
        if name:
            return name
    return settings.WAGTAIL_SITE_NAME
