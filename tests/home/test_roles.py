"""The role groups exist with exactly the permissions cms/roles.py declares."""

import pytest
from django.contrib.auth.models import Group, Permission
from wagtail.models import GroupPagePermission

from core import roles


@pytest.mark.django_db
def test_groups_exist():
    assert set(Group.objects.values_list("name", flat=True)) >= set(roles.ROLE_NAMES)


@pytest.mark.django_db
def test_every_declared_permission_exists_and_is_granted():
    assert roles.missing_permissions(Permission) == []
    for name, perms in roles.ROLE_PERMISSIONS.items():
        granted = {
            f"{app}.{code}"
            for app, code in Group.objects.get(name=name).permissions.values_list(
                "content_type__app_label", "codename"
            )
        }
        assert set(perms) <= granted, name


@pytest.mark.django_db
def test_marketers_may_edit_pages_but_not_publish_or_handle_privacy():
    marketers = Group.objects.get(name=roles.MARKETERS)
    page_perms = set(
        GroupPagePermission.objects.filter(group=marketers).values_list("permission__codename", flat=True)
    )
    assert {"add_page", "change_page"} <= page_perms
    assert "publish_page" not in page_perms  # they publish through the Privacy review workflow
    codenames = set(marketers.permissions.values_list("codename", flat=True))
    assert "change_purpose" not in codenames
    assert not any(c.endswith("rightsrequest") for c in codenames)


@pytest.mark.django_db
def test_only_officers_edit_the_whitelist():
    for name, allowed in [(roles.PRIVACY_STAFF, False), (roles.PRIVACY_OFFICERS, True)]:
        codenames = set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))
        assert ("change_purpose" in codenames) is allowed


@pytest.mark.django_db
def test_sync_is_idempotent():
    before = Group.objects.get(name=roles.PRIVACY_OFFICERS).permissions.count()
    roles.sync_roles()
    roles.sync_roles()
    assert Group.objects.get(name=roles.PRIVACY_OFFICERS).permissions.count() == before
