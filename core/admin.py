"""The two pieces every app's admin screens share: a staff page that refuses with 403, and a
menu item shown only to the users who may open what it points to."""

from django.core.exceptions import PermissionDenied
from django.views.defaults import permission_denied
from django.views.generic import TemplateView
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin


def may(user, *, permission: str | None = None, check=None) -> bool:
    """Whether ``user`` holds ``permission`` or passes ``check(user)`` (one of the two)."""
    if check is not None:
        return bool(check(user))
    return permission is not None and user.has_perm(permission)


class StaffView(WagtailAdminTemplateMixin, TemplateView):
    """An admin page that refuses (403, never a redirect that looks like success) users
    without ``allowed(user)``.

    Set ``permission`` for a plain permission check, or override ``allowed`` for a rule; a view
    that names neither refuses everyone.
    """

    header_icon = "doc-full"
    permission: str | None = None

    def allowed(self, user) -> bool:
        return may(user, permission=self.permission)

    def dispatch(self, request, *args, **kwargs):
        try:
            if not self.allowed(request.user):
                raise PermissionDenied
            return super().dispatch(request, *args, **kwargs)
        except PermissionDenied as exc:
            return permission_denied(request, exc)

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.get_page_title()}]


class PermissionMenuItem(MenuItem):
    """A menu item shown to the holders of ``permission`` (or to users passing ``check``)."""

    def __init__(self, *args, permission: str | None = None, check=None, **kwargs):
        if permission is None and check is None:
            raise TypeError("PermissionMenuItem needs a permission or a check")
        self.permission = permission
        self.check = check
        super().__init__(*args, **kwargs)

    def is_shown(self, request):
        return may(request.user, permission=self.permission, check=self.check)
