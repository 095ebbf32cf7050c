from django.apps import apps
from django.db.models.signals import post_migrate, post_save

from core.roles import sync_policy_page_permissions, sync_roles

from . import policy  # noqa: F401  (its receivers keep the current-policy cache fresh)
from .models import PrivacyPolicyIndexPage
from .permissions import register_policy_page_permissions


def sync_roles_after_migrate(sender, **kwargs):
    """Grant role permissions once every app has created its own (see cms.roles).

    post_migrate is sent once per app in INSTALLED_APPS order; permissions of an app
    exist only after its turn, so the grant runs on the last app's signal.
    """
    if "plan" not in kwargs:
        # A flush (test teardown), not a migrate: the rows it removed come back from the
        # test database's serialized copy where a test asks for that.
        return
    with_models = [c for c in apps.get_app_configs() if c.models_module is not None]
    if sender.name != with_models[-1].name:
        return
    sync_roles()


def grant_policy_roles_on_new_index(sender, instance, created=False, raw=False, **kwargs):
    """A policy index made after the last migrate gets the Privacy officers' grants at once."""
    if created and not raw:
        sync_policy_page_permissions()


def connect() -> None:
    """Wire the app's receivers (called once, from ``HomeConfig.ready``)."""
    # Runs once per migrate, after the last app (see the handler).
    post_migrate.connect(sync_roles_after_migrate, dispatch_uid="home.sync_roles")
    post_save.connect(
        grant_policy_roles_on_new_index, sender=PrivacyPolicyIndexPage, dispatch_uid="home.policy_roles"
    )
    register_policy_page_permissions()
