"""Rules on the privacy-policy pages that span more than one page."""

from collections.abc import Iterable

from wagtail.models import Page

from .models import PrivacyPolicyIndexPage, PrivacyPolicyPage


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
