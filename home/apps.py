from django.apps import AppConfig
from django.db.models.signals import post_migrate, post_save
from django.utils.translation import gettext_lazy as _


class HomeConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "home"
    verbose_name = _("Site")

    def ready(self):
        from . import policy  # noqa: F401  (connects the policy cache's receivers)
        from .models import PrivacyPolicyIndexPage
        from .permissions import register_policy_page_permissions
        from .signals import grant_policy_roles_on_new_index, sync_roles_after_migrate

        # Runs once per migrate, after the last app (see the handler).
        post_migrate.connect(sync_roles_after_migrate, dispatch_uid="home.sync_roles")
        post_save.connect(
            grant_policy_roles_on_new_index, sender=PrivacyPolicyIndexPage, dispatch_uid="home.policy_roles"
        )
        register_policy_page_permissions()
