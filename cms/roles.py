"""The three staff roles and the permissions each needs.

Groups are created by a data migration (``home.0002_roles``); permissions are kept in
step after every ``migrate`` (a ``post_migrate`` handler), so an app that adds a
permission later only needs to list it here. ``tests/home/test_roles.py`` checks that
every permission named here exists.
"""

from django.db import transaction

MARKETERS = "Marketers"
PRIVACY_STAFF = "Privacy staff"
PRIVACY_OFFICERS = "Privacy officers"
ROLE_NAMES = (MARKETERS, PRIVACY_STAFF, PRIVACY_OFFICERS)

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
        "sms.view_documentdownload",
        "datatools.export_campaignsubmission",
        "datatools.import_campaignsubmission",
    ],
    PRIVACY_STAFF: [*_ADMIN, *_RIGHTS_STAFF, "forms.view_purpose", "datatools.export_rightsrequest"],
    PRIVACY_OFFICERS: [
        *_ADMIN,
        *_RIGHTS_STAFF,
        "sms.view_documentdownload",
        "rights_requests.refuse_rightsrequest",
        "forms.view_purpose",
        "forms.change_purpose",
        "forms.view_unmasked_personal_data",
        "forms.view_sensitive_submissions",
        "datatools.export_campaignsubmission",
        "datatools.import_campaignsubmission",
        "datatools.export_rightsrequest",
        "datatools.view_exportrecord",
        "datatools.view_importrecord",
        "datatools.view_incident",
        "datatools.add_incident",
        "datatools.change_incident",
        "fulfilment.approve_transfer",
        "fulfilment.view_disclosurerecord",
        "fulfilment.view_restricted_submissions",
        "fulfilment.view_ledgerentry",
    ],
}

# Wagtail page permissions granted on the tree root (so they cover every page).
ROLE_PAGE_PERMISSIONS: dict[str, list[str]] = {
    MARKETERS: ["add_page", "change_page", "publish_page"],
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
    """Create the groups and grant what is declared above; never removes anything.

    ``apps`` is the migration app registry when called from a migration.
    """
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    with transaction.atomic():
        groups = {name: Group.objects.get_or_create(name=name)[0] for name in ROLE_NAMES}
        for name, perms in ROLE_PERMISSIONS.items():
            found = [p for p in (_permission(Permission, d) for d in perms) if p is not None]
            groups[name].permissions.add(*found)
        _sync_page_permissions(apps, groups, Permission)
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
        for codename in codenames:
            perm = Permission.objects.filter(content_type__app_label="wagtailcore", codename=codename).first()
            if perm is not None:
                GroupPagePermission.objects.get_or_create(group=groups[name], page=root, permission=perm)


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
    from django.apps import apps as global_apps

    if apps is not global_apps:
        return  # collections are tree nodes: only the real model can add one
    from forms.downloads import downloads_collection

    for restriction in downloads_collection().view_restrictions.filter(restriction_type="groups"):
        restriction.groups.add(*(groups[name] for name in DOWNLOADS_COLLECTION_GROUPS))
