"""Admin wiring for fulfilment: the per-request page, registers, minors, and the listing filter."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem

from . import admin_views
from .services import FULFIL_PERMISSION


@hooks.register("register_admin_urls")
def register_fulfilment_urls():
    return [
        path(
            "fulfilment/requests/<int:pk>/",
            admin_views.RequestFulfilmentView.as_view(),
            name="fulfilment_request",
        ),
        path("fulfilment/minors/", admin_views.MinorsView.as_view(), name="fulfilment_minors"),
        path("fulfilment/restricted/", admin_views.RestrictedView.as_view(), name="fulfilment_restricted"),
        path(
            "fulfilment/disclosures/",
            admin_views.DisclosureRegisterView.as_view(),
            name="fulfilment_disclosures",
        ),
        path("fulfilment/ledger/", admin_views.LedgerView.as_view(), name="fulfilment_ledger"),
        path(
            "fulfilment/arrangements/new/",
            admin_views.ArrangementView.as_view(),
            name="fulfilment_arrangement",
        ),
    ]


class PermissionMenuItem(MenuItem):
    def __init__(self, *args, permission: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.permission = permission

    def is_shown(self, request):
        return request.user.has_perm(self.permission)


def _items():
    return [
        PermissionMenuItem(
            _("Minors without guardian consent"),
            reverse("fulfilment_minors"),
            name="fulfilment-minors",
            icon_name="warning",
            order=1,
            permission=FULFIL_PERMISSION,
        ),
        PermissionMenuItem(
            _("Posthumous arrangements"),
            reverse("fulfilment_arrangement"),
            name="fulfilment-arrangement",
            icon_name="doc-full",
            order=2,
            permission=FULFIL_PERMISSION,
        ),
        PermissionMenuItem(
            _("Restricted records"),
            reverse("fulfilment_restricted"),
            name="fulfilment-restricted",
            icon_name="lock",
            order=3,
            permission=admin_views.OFFICER_PERMISSIONS["restricted"],
        ),
        PermissionMenuItem(
            _("Disclosure register"),
            reverse("fulfilment_disclosures"),
            name="fulfilment-disclosures",
            icon_name="list-ul",
            order=4,
            permission=admin_views.OFFICER_PERMISSIONS["disclosures"],
        ),
        PermissionMenuItem(
            _("Erasure ledger"),
            reverse("fulfilment_ledger"),
            name="fulfilment-ledger",
            icon_name="history",
            order=5,
            permission=admin_views.OFFICER_PERMISSIONS["ledger"],
        ),
    ]


@hooks.register("register_admin_menu_item")
def register_fulfilment_menu():
    return SubmenuMenuItem(
        _("Fulfilment"), Menu(items=_items()), name="fulfilment", icon_name="tasks", order=251
    )


@hooks.register("filter_campaign_submissions")
def leave_out_restricted_withdrawn_and_erased(queryset):
    """Campaign listings and exports only show submissions that may still be processed:
    restricted (§6.5), erased, and those whose consent was withdrawn (§6.4) are left out."""
    return (
        queryset.exclude(fulfilment_status__restricted_at__isnull=False)
        .exclude(fulfilment_status__erased_at__isnull=False)
        .exclude(fulfilment_status__consent_withdrawn_at__isnull=False)
    )
