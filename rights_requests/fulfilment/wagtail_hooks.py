"""Admin wiring for fulfilment: the per-request page, registers, minors, and the listing filter."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import Menu, SubmenuMenuItem
from wagtail.log_actions import LogFormatter

from core.admin import PermissionMenuItem

from . import admin_views
from .choices import DisclosureGround
from .models import DisclosureRecord
from .services import (
    APPROVE_CLEAR_PERMISSION,
    ERASE_LISTED_ACTION,
    FULFIL_PERMISSION,
    may_erase_listed_submissions,
    status_package_for,
    withdraw_for_cancelled_sign_up,
)


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
            "fulfilment/packages/pending/",
            admin_views.PendingPackagesView.as_view(),
            name="fulfilment_pending_packages",
        ),
        path(
            "fulfilment/arrangements/new/",
            admin_views.ArrangementView.as_view(),
            name="fulfilment_arrangement",
        ),
    ]


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
        PermissionMenuItem(
            _("Packages awaiting approval"),
            reverse("fulfilment_pending_packages"),
            name="fulfilment-pending-packages",
            icon_name="lock-open",
            order=6,
            permission=APPROVE_CLEAR_PERMISSION,
        ),
    ]


@hooks.register("register_log_actions")
def register_fulfilment_log_actions(actions):
    """Labels for the history screens: who held, approved, released or downloaded a copy, and
    who viewed sensitive values in clear and why."""
    actions.register_action(
        "fulfilment.package_held", _("Copy held for approval"), _("Copy held for approval")
    )
    actions.register_action("fulfilment.package_released", _("Copy released"), _("Copy released"))
    actions.register_action(
        "fulfilment.package_downloaded",
        _("Copy downloaded by the requester"),
        _("Copy downloaded by the requester"),
    )

    @actions.register_action("fulfilment.package_approved")
    class PackageApproved(LogFormatter):
        label = _("Release in clear approved")

        def format_message(self, log_entry):
            return _("Release in clear approved: %(note)s") % {"note": (log_entry.data or {}).get("note", "")}

    @actions.register_action("fulfilment.unmasked_view")
    class UnmaskedView(LogFormatter):
        label = _("Sensitive values viewed in clear")

        def format_message(self, log_entry):
            data = log_entry.data or {}
            return _("Sensitive values of %(count)s records viewed in clear (%(what)s): %(reason)s") % {
                "count": data.get("count", 0),
                "what": data.get("what", ""),
                "reason": data.get("reason", ""),
            }


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


@hooks.register("register_admin_urls", order=-2)
def erase_instead_of_deleting_submissions():
    """Wagtail's submission delete address (``wagtailforms:delete_submissions``) erases instead;
    registered before Wagtail's own view and the closed one of the forms app."""
    return [
        path(
            "forms/submissions/<int:page_id>/delete/",
            admin_views.SubmissionErasureView.as_view(),
            name="fulfilment_erase_submissions",
        )
    ]


@hooks.register("may_erase_campaign_submissions")
def privacy_staff_erase_campaign_submissions(user):
    return may_erase_listed_submissions(user)


@hooks.register("register_log_actions")
def register_listing_erasure_log_action(actions):
    @actions.register_action(ERASE_LISTED_ACTION)
    class ListedSubmissionsErased(LogFormatter):
        label = _("Submissions erased")

        def format_message(self, log_entry):
            return _("%(count)s submissions erased from the listing") % {
                "count": (log_entry.data or {}).get("count", 0)
            }


@hooks.register("record_disclosure")
def register_notification_disclosure(*, recipients, field_keys, record_count, reason, **kwargs):
    """A form notification that carried personal data enters the §2 register, one row per
    address it went to. Runs in the sender's transaction: no row, no mail."""
    if reason != "internal_notification":
        raise ValueError(f"unknown disclosure reason {reason!r}")
    DisclosureRecord.objects.bulk_create(
        [
            DisclosureRecord(
                recipient=recipient[:200],
                ground=DisclosureGround.INTERNAL_NOTIFICATION,
                field_keys=sorted(field_keys),
                record_count=record_count,
            )
            for recipient in recipients
        ]
    )


@hooks.register("rights_request_status_package")
def released_copy_for_the_status_page(rights_request):
    """The requester's released copy (links, size, checksum, expiry) for their status page and API."""
    return status_package_for(rights_request)


@hooks.register("campaign_registration_cancelled")
def _withdraw_on_cancelled_sign_up(registration, user=None):
    withdraw_for_cancelled_sign_up(registration=registration, user=user)
