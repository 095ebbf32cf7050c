"""Only Privacy officers write the privacy policy; a published version's text never changes,
and a version consents cite stays online."""

import datetime

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from wagtail.models import GroupPagePermission, Page, PageViewRestriction
from wagtail.permissions import policy_registry
from wagtail.test.utils.form_data import querydict_from_html, rich_text

from core import roles
from forms.models import CampaignFormPage, CampaignSubmission
from home.models import PrivacyPolicyIndexPage, PrivacyPolicyPage

pytestmark = pytest.mark.django_db

REWRITTEN = "<p>我们可以随意出售您的个人信息。</p>"
FROZEN_MESSAGE = ("its text cannot change", "文本不能再修改")
CITED_MESSAGE = ("a cited policy version can be neither unpublished nor deleted", "不能取消发布，也不能删除")


@pytest.fixture
def index(policy):
    return policy.get_parent().specific


@pytest.fixture
def admin_client(superuser):
    client = Client()
    client.force_login(superuser)
    return client


@pytest.fixture
def cited(policy, page_factory):
    """The published version, cited by a consent given on a campaign page."""
    campaign = page_factory("compatibility")
    CampaignSubmission.objects.create(
        page=campaign,
        purpose=campaign.purpose,
        form_data={},
        consent_at=timezone.now(),
        policy_version=policy,
    )
    return policy


def snapshot():
    """Everything an attack on the policy pages could change, as stored."""
    policy_pages = Page.objects.filter(
        pk__in=[*PrivacyPolicyIndexPage.objects.values_list("pk", flat=True)]
        + [*PrivacyPolicyPage.objects.values_list("pk", flat=True)]
    )
    return {
        "pages": sorted(
            policy_pages.values_list("pk", "path", "title", "slug", "live", "latest_revision_id")
        ),
        "versions": sorted(
            PrivacyPolicyPage.objects.values_list("pk", "body", "version_label", "effective_date")
        ),
        "intro": list(PrivacyPolicyIndexPage.objects.values_list("intro", flat=True)),
        "restrictions": PageViewRestriction.objects.filter(page__in=policy_pages).count(),
    }


def refused(response):
    """Wagtail answers a denied admin action with a redirect to the dashboard (or a 403)."""
    body = response.content.decode()
    assert response.status_code in (302, 403), (response.status_code, body[:500])
    if response.status_code == 302:
        assert response["Location"] == reverse("wagtailadmin_home")
    assert "page-edit-form" not in body and REWRITTEN not in body
    return True


def edit_form(admin_client, page, **changes):
    """The page's full edit form as the admin renders it, with ``changes`` applied."""
    response = admin_client.get(reverse("wagtailadmin_pages:edit", args=(page.pk,)))
    assert response.status_code == 200
    data = querydict_from_html(response.content.decode(), form_id="page-edit-form")
    for name, value in changes.items():
        data[name] = value
    return data


def add_form(admin_client, parent, **values):
    url = reverse("wagtailadmin_pages:add", args=("home", "privacypolicypage", parent.pk))
    response = admin_client.get(url)
    assert response.status_code == 200
    data = querydict_from_html(response.content.decode(), form_id="page-edit-form")
    for name, value in values.items():
        data[name] = value
    return url, data


def new_version_values(**overrides):
    values = {
        "title": "网页隐私政策",
        "slug": "2026-01-01",
        "version_label": "2026-01-01",
        "updated_date": "2026-01-01",
        "effective_date": "2026-01-01",
        "body": rich_text("<p>新的政策正文</p>"),
        "action-publish": "action-publish",
    }
    values.update(overrides)
    return values


def bulk_url(action, *pages):
    ids = "&".join(f"id={page.pk}" for page in pages)
    return reverse("wagtail_bulk_action", args=("wagtailcore", "page", action)) + "?" + ids


# --- marketers ------------------------------------------------------------------------


def attacks(admin_client, index, version):
    """(method, url, data) for every admin action on a policy page, with a complete form."""
    revision = version.latest_revision
    version_edit = edit_form(admin_client, version, body=rich_text(REWRITTEN), **{"action-publish": "1"})
    index_edit = edit_form(admin_client, index, intro=REWRITTEN, **{"action-publish": "1"})
    add_url, add_data = add_form(admin_client, index, **new_version_values(body=rich_text(REWRITTEN)))
    home = index.get_parent()
    out = []
    for page, edit_data in ((version, version_edit), (index, index_edit)):
        edit_url = reverse("wagtailadmin_pages:edit", args=(page.pk,))
        out += [
            ("get", edit_url, None),
            ("post", edit_url, edit_data),
            ("get", reverse("wagtailadmin_pages:unpublish", args=(page.pk,)), None),
            ("post", reverse("wagtailadmin_pages:unpublish", args=(page.pk,)), {"include_descendants": "on"}),
            ("get", reverse("wagtailadmin_pages:delete", args=(page.pk,)), None),
            ("post", reverse("wagtailadmin_pages:delete", args=(page.pk,)), {}),
            ("get", reverse("wagtailadmin_pages:move", args=(page.pk,)), None),
            ("post", reverse("wagtailadmin_pages:move_confirm", args=(page.pk, home.pk)), {}),
            ("get", reverse("wagtailadmin_pages:copy", args=(page.pk,)), None),
            (
                "post",
                reverse("wagtailadmin_pages:copy", args=(page.pk,)),
                {"new_title": "副本", "new_slug": "copy-of-policy", "new_parent_page": index.pk, "publish_copies": "on"},
            ),
            ("get", reverse("wagtailadmin_pages:set_privacy", args=(page.pk,)), None),
            ("post", reverse("wagtailadmin_pages:set_privacy", args=(page.pk,)), {"restriction_type": "password", "password": "x"}),
            ("post", reverse("wagtailadmin_pages:lock", args=(page.pk,)), {}),
            ("get", reverse("wagtailadmin_pages:history", args=(page.pk,)), None),
        ]  # fmt: skip
    revert_url = reverse("wagtailadmin_pages:revisions_revert", args=(version.pk, revision.pk))
    out += [
        ("get", revert_url, None),
        ("post", revert_url, version_edit),
        ("get", reverse("wagtailadmin_pages:add_subpage", args=(index.pk,)), None),
        ("get", add_url, None),
        ("post", add_url, add_data),
        ("post", reverse("wagtailadmin_pages:set_page_position", args=(version.pk,)) + "?position=0", {}),
    ]
    return out


def test_marketer_is_refused_every_admin_action_on_the_policy_pages(
    client, marketer, admin_client, index, policy
):
    before = snapshot()
    client.force_login(marketer)
    for method, url, data in attacks(admin_client, index, policy):
        response = getattr(client, method)(url, data) if method == "post" else client.get(url)
        assert refused(response), url
        assert snapshot() == before, (method, url)
    assert PrivacyPolicyPage.objects.get().body == "<p>政策正文</p>"
    assert client.get(policy.url).content.decode().count("政策正文") >= 1


def test_marketer_bulk_actions_leave_the_policy_pages_alone(client, marketer, index, policy):
    before = snapshot()
    client.force_login(marketer)
    for action in ("delete", "unpublish", "publish", "move"):
        url = bulk_url(action, index, policy)
        client.get(url)
        client.post(url, {"include_descendants": "on", "chooser": index.get_parent().pk})
        assert snapshot() == before, action
    assert PrivacyPolicyPage.objects.get().live and PrivacyPolicyIndexPage.objects.get().pk == index.pk


def test_marketer_has_no_policy_rights_whatever_the_lookup(marketer, index, policy):
    for page in (index, policy, Page.objects.get(pk=policy.pk), Page.objects.get(pk=index.pk)):
        perms = page.permissions_for_user(marketer)
        assert not any(
            [
                perms.can_edit(),
                perms.can_publish(),
                perms.can_unpublish(),
                perms.can_delete(),
                perms.can_move(),
                perms.can_copy(),
                perms.can_add_subpage(),
                perms.can_reorder_children(),
                perms.can_set_view_restrictions(),
                perms.can_lock(),
            ]
        ), page

    for page in (index, policy):
        policy_rules = policy_registry.get(page)
        assert not policy_rules.user_has_any_permission_for_instance(
            marketer, {"change", "publish", "add"}, page
        )


def test_moderation_workflow_does_not_reach_the_policy(index, policy, home_page):
    """Wagtail's default workflow sits on the tree root; its reviewers must not publish a policy."""
    assert home_page.get_workflow() is not None
    assert policy.get_workflow() is None and index.get_workflow() is None


def test_marketer_still_creates_edits_and_submits_campaign_pages(client, marketer, home_page, page_factory):
    campaign = page_factory("compatibility")
    perms = home_page.permissions_for_user(marketer)
    assert perms.can_add_subpage() and perms.can_edit() and not perms.can_publish_subpage()
    client.force_login(marketer)
    data = edit_form(client, campaign, title="兼容性认证 2026", **{"action-submit": "1"})
    response = client.post(reverse("wagtailadmin_pages:edit", args=(campaign.pk,)), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    # The Privacy review passes a page that collects nothing beyond its purpose, and publishes it.
    assert CampaignFormPage.objects.get(pk=campaign.pk).title == "兼容性认证 2026"


# --- Privacy officers -----------------------------------------------------------------


def test_officers_are_granted_on_the_policy_index(index):
    officers = Group.objects.get(name=roles.PRIVACY_OFFICERS)
    granted = set(
        GroupPagePermission.objects.filter(group=officers, page=index).values_list(
            "permission__codename", flat=True
        )
    )
    assert granted == {"add_page", "change_page", "publish_page"}


def test_officer_cannot_rewrite_a_published_version(client, privacy_officer, index, policy):
    before = snapshot()
    client.force_login(privacy_officer)
    url = reverse("wagtailadmin_pages:edit", args=(policy.pk,))
    shown = client.get(url).content.decode()
    assert "page-edit-form" in shown
    assert any(m in shown for m in ("can no longer change", "不能再修改"))
    for changes in (
        {"body": rich_text(REWRITTEN)},
        {"effective_date": "2020-01-01"},
        {"version_label": "2023-03-07b"},
        {"title": "改过的标题"},
    ):
        for action in ("action-publish", "action-save"):
            data = edit_form(client, policy, **changes, **{action: "1"})
            response = client.post(url, data)
            assert response.status_code == 200, (changes, action)
            assert any(m in response.content.decode() for m in FROZEN_MESSAGE), changes
            assert snapshot() == before, (changes, action)
    assert policy.revisions.count() == 1


def test_officer_may_still_change_what_readers_do_not_read(client, privacy_officer, index, policy):
    client.force_login(privacy_officer)
    data = edit_form(client, policy, search_description="隐私政策全文", **{"action-publish": "1"})
    response = client.post(reverse("wagtailadmin_pages:edit", args=(policy.pk,)), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    stored = PrivacyPolicyPage.objects.get(pk=policy.pk)
    assert stored.search_description == "隐私政策全文" and stored.body == "<p>政策正文</p>"


def test_revision_revert_and_publish_cannot_bring_in_other_text(client, privacy_officer, index, policy):
    """A revision holding other text (made before the rule, or written to the database)
    can be neither reverted to nor published."""
    old = policy.latest_revision
    old.content = {**old.content, "body": REWRITTEN}
    old.save(update_fields=["content"])
    client.force_login(privacy_officer)
    revert_url = reverse("wagtailadmin_pages:revisions_revert", args=(policy.pk, old.pk))
    data = querydict_from_html(client.get(revert_url).content.decode(), form_id="page-edit-form")
    data["action-publish"] = "1"
    response = client.post(revert_url, data)
    assert any(m in response.content.decode() for m in FROZEN_MESSAGE)
    with pytest.raises(ValidationError):
        old.publish()
    assert PrivacyPolicyPage.objects.get(pk=policy.pk).body == "<p>政策正文</p>"


def test_model_refuses_whatever_the_path(policy):
    version = PrivacyPolicyPage.objects.get(pk=policy.pk)
    version.body = REWRITTEN
    with pytest.raises(ValidationError):
        version.save_revision()
    with pytest.raises(ValidationError):
        version.save(clean=False)
    plain = Page.objects.get(pk=policy.pk)
    plain.title = "改过的标题"
    with pytest.raises(ValidationError):
        plain.save(clean=False)
    version = PrivacyPolicyPage.objects.get(pk=policy.pk)
    version.expire_at = timezone.now() + datetime.timedelta(days=1)
    with pytest.raises(ValidationError):
        version.full_clean()
    stored = PrivacyPolicyPage.objects.get(pk=policy.pk)
    assert (stored.title, stored.body, stored.expire_at) == ("网页隐私政策", "<p>政策正文</p>", None)


def test_officer_adds_and_publishes_a_new_version(client, privacy_officer, index, policy):
    client.force_login(privacy_officer)
    url, data = add_form(client, index, **new_version_values())
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    new = PrivacyPolicyPage.objects.get(version_label="2026-01-01")
    assert new.live and "新的政策正文" in new.body
    assert PrivacyPolicyPage.objects.get(pk=policy.pk).body == "<p>政策正文</p>"


def test_officer_may_unpublish_a_version_no_consent_cites(client, privacy_officer, index, policy):
    client.force_login(privacy_officer)
    response = client.post(reverse("wagtailadmin_pages:unpublish", args=(policy.pk,)))
    assert response.status_code == 302
    assert not PrivacyPolicyPage.objects.get(pk=policy.pk).live


# --- cited versions -------------------------------------------------------------------


def test_cited_version_is_neither_deleted_nor_unpublished_even_by_a_superuser(admin_client, index, cited):
    before = snapshot()
    for url, data in (
        (reverse("wagtailadmin_pages:delete", args=(cited.pk,)), {}),
        (reverse("wagtailadmin_pages:delete", args=(index.pk,)), {}),
        (reverse("wagtailadmin_pages:unpublish", args=(cited.pk,)), {}),
        (reverse("wagtailadmin_pages:unpublish", args=(index.pk,)), {}),
        (
            reverse("wagtailadmin_pages:unpublish", args=(index.get_parent().pk,)),
            {"include_descendants": "on"},
        ),
        (bulk_url("delete", cited), {}),
        (bulk_url("delete", index), {}),
        (bulk_url("unpublish", cited), {}),
        (bulk_url("unpublish", index.get_parent()), {"include_descendants": "on"}),
    ):
        response = admin_client.post(url, data, follow=True)
        assert any(m in response.content.decode() for m in CITED_MESSAGE), url
        assert snapshot() == before, url
    assert PrivacyPolicyPage.objects.get(pk=cited.pk).live
    with pytest.raises(ValidationError):
        Page.objects.get(pk=cited.pk).unpublish()
    assert PrivacyPolicyPage.objects.get(pk=cited.pk).live


# --- the role sync --------------------------------------------------------------------


def test_sync_takes_back_policy_grants_from_other_roles(index):
    marketers = Group.objects.get(name=roles.MARKETERS)
    officers = Group.objects.get(name=roles.PRIVACY_OFFICERS)

    publish = Permission.objects.get(content_type__app_label="wagtailcore", codename="publish_page")
    GroupPagePermission.objects.create(group=marketers, page=index, permission=publish)
    GroupPagePermission.objects.create(
        group=marketers, page=index.get_parent().get_parent(), permission=publish
    )
    GroupPagePermission.objects.filter(group=officers).delete()
    roles.sync_roles()
    assert not GroupPagePermission.objects.filter(group=marketers, page=index).exists()
    assert GroupPagePermission.objects.filter(group=officers, page=index).count() == 3
    # Marketers publish through the Privacy review only: a publish grant on the root is withdrawn.
    assert set(
        GroupPagePermission.objects.filter(group=marketers, page__depth=1).values_list(
            "permission__codename", flat=True
        )
    ) == {"add_page", "change_page"}
