"""The staff roles and the permissions each needs.

Groups are created by a data migration (``home.0002_roles``) or, for roles added later,
by ``sync_roles``; permissions are kept in
step after every ``migrate`` (a ``post_migrate`` handler), so an app that adds a
permission later only needs to list it here. ``tests/home/test_roles.py`` checks that
every permission named here exists.
"""

from django.apps import apps as global_apps
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from wagtail.models import Collection

from .collections import DOWNLOADS_COLLECTION, private_collection

MARKETERS = "Marketers"
MARKETING_LEADS = "Marketing leads"
PRIVACY_STAFF = "Privacy staff"
PRIVACY_OFFICERS = "Privacy officers"
EVENT_STAFF = "Event staff"
ROLE_NAMES = (MARKETERS, MARKETING_LEADS, PRIVACY_STAFF, PRIVACY_OFFICERS, EVENT_STAFF)

_ADMIN = ["wagtailadmin.access_admin"]
_RIGHTS_STAFF = [
    "rights_requests.view_rightsrequest",
    "rights_requests.add_rightsrequest",
    "rights_requests.change_rightsrequest",
    "rights_requests.verify_rightsrequest",
    "rights_requests.answer_rightsrequest",
    "rights_requests.close_rightsrequest",
    "fulfilment.fulfil_rightsrequest",
]

# Django model permissions per role, as "app_label.codename".
ROLE_PERMISSIONS: dict[str, list[str]] = {
    MARKETERS: [
        *_ADMIN,
        "forms.view_purpose",
        "forms.view_documentdownload",
        "datatools.export_campaignsubmission",
        "datatools.import_campaignsubmission",
    ],
    # Marketers see their own campaigns' submissions; leads see every campaign's, except
    # those of purposes that collect sensitive data (Privacy officers only).
    MARKETING_LEADS: [
        *_ADMIN,
        "forms.view_purpose",
        "forms.view_all_campaign_submissions",
        "forms.view_documentdownload",
        "datatools.export_campaignsubmission",
        "datatools.import_campaignsubmission",
    ],
    # At the door of an event: check-in only (names and masked mobiles of the sign-ups). A
    # marketer who also works the door is added to this group as well.
    EVENT_STAFF: [*_ADMIN, "forms.check_in_registration"],
    PRIVACY_STAFF: [*_ADMIN, *_RIGHTS_STAFF, "forms.view_purpose", "datatools.export_rightsrequest"],
    PRIVACY_OFFICERS: [
        *_ADMIN,
        *_RIGHTS_STAFF,
        "forms.view_documentdownload",
        "rights_requests.refuse_rightsrequest",
        "forms.view_purpose",
        "forms.change_purpose",
        # The whitelist screen: its terms, and the rows it sends to a person.
        "forms.view_screenterm",
        "forms.add_screenterm",
        "forms.change_screenterm",
        "forms.delete_screenterm",
        "forms.approve_screened_rows",
        # Only they widen or narrow the mail domains notifications may carry data to.
        "home.change_notificationdomains",
        "forms.view_unmasked_personal_data",
        "forms.view_sensitive_submissions",
        "datatools.export_campaignsubmission",
        "datatools.import_campaignsubmission",
        "datatools.export_rightsrequest",
        # The second person an unmasked export needs; never the officer who asked for it.
        "datatools.approve_unmasked_export",
        "datatools.view_exportrecord",
        "datatools.view_importrecord",
        "incidents.view_incident",
        "incidents.add_incident",
        "incidents.change_incident",
        "fulfilment.approve_transfer",
        "fulfilment.approve_clear_package",
        "fulfilment.view_disclosurerecord",
        "fulfilment.view_restricted_submissions",
        "fulfilment.view_ledgerentry",
    ],
}

# Wagtail page permissions granted on the tree root: every page except the privacy-policy
# pages, which count only grants made on a policy page (home.permissions). Marketers keep
# the root because campaign pages may sit directly under the home page: any grant that
# lets them add one there would cover the policy index as well, and the root, unlike the
# home page, exists before the first migrate. They do not publish: a campaign page goes
# live through the "Privacy review" workflow (forms.workflow), which publishes what it passes.
# A page permission a role held on the root and no longer lists here is withdrawn.
ROLE_PAGE_PERMISSIONS: dict[str, list[str]] = {
    MARKETERS: ["add_page", "change_page"],
}

# Page permissions on the privacy-policy index: its versions are written and published only
# by these roles. A role not named here loses any grant it holds on a policy page.
ROLE_POLICY_PAGE_PERMISSIONS: dict[str, list[str]] = {
    PRIVACY_OFFICERS: ["add_page", "change_page", "publish_page"],
}

# Wagtail collection permissions (documents and images) on the root collection.
ROLE_COLLECTION_PERMISSIONS: dict[str, list[str]] = {
    MARKETERS: [
        "wagtaildocs.add_document",
        "wagtaildocs.change_document",
        "wagtaildocs.choose_document",
        "wagtailimages.add_image",
        "wagtailimages.change_image",
        "wagtailimages.choose_image",
    ],
}

# Groups that may open the documents of the private "Campaign downloads" collection at
# /documents/ (its view restriction); visitors get them only through their signed links.
DOWNLOADS_COLLECTION_GROUPS = [MARKETERS, PRIVACY_OFFICERS]


def _permission(Permission, dotted: str):
    app_label, codename = dotted.split(".", 1)
    return Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()


def missing_permissions(Permission) -> list[str]:
    """Declared permissions that do not exist in the database."""
    declared = set()
    for table in (ROLE_PERMISSIONS, ROLE_COLLECTION_PERMISSIONS):
        for perms in table.values():
            declared.update(perms)
    return sorted(p for p in declared if _permission(Permission, p) is None)


def sync_roles(apps=None) -> None:
    """Create the groups and grant what is declared above.

    It removes one thing only: a grant that gives a role other than those of
    ``ROLE_POLICY_PAGE_PERMISSIONS`` rights on a privacy-policy page, since the rule
    that only Privacy officers write the policy must hold after every migrate.

    ``apps`` is the migration app registry when called from a migration.
    """
    if apps is None:
        apps = global_apps
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    with transaction.atomic():
        groups = {name: Group.objects.get_or_create(name=name)[0] for name in ROLE_NAMES}
        for name, perms in ROLE_PERMISSIONS.items():
            found = [p for p in (_permission(Permission, d) for d in perms) if p is not None]
            groups[name].permissions.add(*found)
        _sync_page_permissions(apps, groups, Permission)
        _sync_policy_page_permissions(apps, groups, Permission)
        _sync_collection_permissions(apps, groups, Permission)
        _sync_downloads_collection(apps, groups)


def _sync_page_permissions(apps, groups, Permission) -> None:
    try:
        Page = apps.get_model("wagtailcore", "Page")
        GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")
    except LookupError:
        return
    root = Page.objects.filter(depth=1).first()
    if root is None:
        return
    for name, codenames in ROLE_PAGE_PERMISSIONS.items():
        GroupPagePermission.objects.filter(
            group=groups[name], page=root, permission__content_type__app_label="wagtailcore"
        ).exclude(permission__codename__in=codenames).delete()
        for codename in codenames:
            perm = Permission.objects.filter(content_type__app_label="wagtailcore", codename=codename).first()
            if perm is not None:
                GroupPagePermission.objects.get_or_create(group=groups[name], page=root, permission=perm)


def sync_policy_page_permissions() -> None:
    """Grant the policy roles on a policy index created after the last migrate."""
    groups = {group.name: group for group in Group.objects.filter(name__in=ROLE_NAMES)}
    if len(groups) == len(ROLE_NAMES):
        with transaction.atomic():
            _sync_policy_page_permissions(global_apps, groups, Permission)


def _sync_policy_page_permissions(apps, groups, Permission) -> None:
    try:
        ContentType = apps.get_model("contenttypes", "ContentType")
        Page = apps.get_model("wagtailcore", "Page")
        GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")
    except LookupError:
        return
    kinds = ContentType.objects.filter(app_label="home")
    index_pages = Page.objects.filter(content_type__in=kinds.filter(model="privacypolicyindexpage"))
    policy_pages = Page.objects.filter(
        content_type__in=kinds.filter(model__in=["privacypolicyindexpage", "privacypolicypage"])
    )
    others = [groups[name] for name in ROLE_NAMES if name not in ROLE_POLICY_PAGE_PERMISSIONS]
    GroupPagePermission.objects.filter(group__in=others, page__in=policy_pages).delete()
    for name, codenames in ROLE_POLICY_PAGE_PERMISSIONS.items():
        perms = Permission.objects.filter(content_type__app_label="wagtailcore", codename__in=codenames)
        for page in index_pages:
            for perm in perms:
                GroupPagePermission.objects.get_or_create(group=groups[name], page=page, permission=perm)


def _sync_collection_permissions(apps, groups, Permission) -> None:
    try:
        Collection = apps.get_model("wagtailcore", "Collection")
        GroupCollectionPermission = apps.get_model("wagtailcore", "GroupCollectionPermission")
    except LookupError:
        return
    root = Collection.objects.filter(depth=1).first()
    if root is None:
        return
    for name, perms in ROLE_COLLECTION_PERMISSIONS.items():
        for dotted in perms:
            perm = _permission(Permission, dotted)
            if perm is not None:
                GroupCollectionPermission.objects.get_or_create(
                    group=groups[name], collection=root, permission=perm
                )


def _sync_downloads_collection(apps, groups) -> None:
    if apps is not global_apps:
        return  # collections are tree nodes: only the real model can add one
    if Collection.get_first_root_node() is None:
        return  # a flushed test database: no collection tree to hang it on
    for restriction in private_collection(DOWNLOADS_COLLECTION).view_restrictions.filter(
        restriction_type="groups"
    ):
        restriction.groups.add(*(groups[name] for name in DOWNLOADS_COLLECTION_GROUPS))
