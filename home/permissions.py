"""Who may change the privacy-policy pages.

Wagtail page permissions are granted on a page and inherited by everything below it;
nothing subtracts them. Marketers hold theirs on the tree root (they add campaign pages
directly under the home page), so on their own those grants would reach the policy too.
For the policy pages only grants made on a policy page count: Privacy officers hold
theirs on the policy index (``cms.roles``); a grant on the home page or the tree root
does not reach below the index.
"""

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from wagtail.models import PagePermissionTester
from wagtail.permission_policies.pages import PagePermissionPolicy
from wagtail.permissions import policy_registry, register_permission_policy


def policy_page_models():
    # By name: home.models imports this module for its permission tester.
    return (apps.get_model("home", "PrivacyPolicyIndexPage"), apps.get_model("home", "PrivacyPolicyPage"))


class PolicyPagePermissionPolicy(PagePermissionPolicy):
    """Page permissions that count only where they were granted on a policy page."""

    permission_cache_name = "_policy_page_permission_cache"

    def get_all_permissions_for_user(self, user):
        content_types = ContentType.objects.get_for_models(*policy_page_models()).values()
        return super().get_all_permissions_for_user(user).filter(page__content_type__in=content_types)


policy_page_permission_policy = PolicyPagePermissionPolicy()


class PolicyPagePermissionTester(PagePermissionTester):
    """The stock tester over the policy grants only; a workflow task opens no editor here."""

    def __init__(self, user, page):
        self.user = user
        self.permission_policy = policy_page_permission_policy
        self.page = page
        self.page_is_root = page.depth == 1
        self.permissions = set()
        if user.is_active and not user.is_superuser:
            self.permissions = {
                grant.permission.codename.rsplit("_", maxsplit=1)[0]
                for grant in self.permission_policy.get_cached_permissions_for_user(user)
                if page.path.startswith(grant.page.path)
            }

    def can_edit(self):
        if not self.user.is_active or self.page_is_root:
            return False
        if self.user.is_superuser or "change" in self.permissions:
            return True
        return "add" in self.permissions and self.page.owner_id == self.user.pk


def register_policy_page_permissions():
    """Make every lookup by model (admin links, editing sessions, actions) use the policy grants."""
    for model in policy_page_models():
        if policy_registry.get_by_type(model) is not policy_page_permission_policy:
            register_permission_policy(model, policy_page_permission_policy)
