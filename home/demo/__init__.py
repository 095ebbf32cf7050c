"""Demo site content: loaded by ``manage.py load_demo_site`` (idempotent)."""

import datetime
import html
import re
from pathlib import Path
from urllib.parse import urlsplit

from django.db import transaction
from wagtail.models import Page, Site

from home.models import HomePage, PrivacyPolicyIndexPage, PrivacyPolicyPage, SiteSettings

POLICY_FILE = Path(__file__).with_name("privacy_policy_2023-03-07.txt")
POLICY_DATE = datetime.date(2023, 3, 7)
HOME_SLUG = "home"
POLICY_INDEX_SLUG = "privacy"
POLICY_VERSION_SLUG = "2023-03-07"

_HEADING = re.compile(r"^[一二三四五六七八九十]+、")
_SUBHEADING = re.compile(r"^\([一二三四五六七八九十]+\)")
_NUMBERED_TOPIC = re.compile(r"^\d+、[^，。；]{1,20}$")
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def _inline(text: str) -> str:
    return _BOLD.sub(r"<b>\1</b>", html.escape(text, quote=False))


def policy_text_to_html(text: str) -> tuple[str, str]:
    """Turn the policy's plain text into Wagtail rich text; returns (title, body).

    Section headings (一、…) become <h2>, sub-sections ((一) …) <h3>, short numbered
    topics (1、查阅您的个人信息) <h4>, "- " lines list items, the rest paragraphs.
    The first line is the title; the update/effective lines are kept as paragraphs.
    """
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    title = lines[0]
    parts: list[str] = []
    in_list = False
    for line in lines[1:]:
        if line.startswith("- "):
            if not in_list:
                parts.append("<ul>")
                in_list = True
            parts.append(f"<li>{_inline(line[2:])}</li>")
            continue
        if in_list:
            parts.append("</ul>")
            in_list = False
        if _HEADING.match(line):
            parts.append(f"<h2>{_inline(line)}</h2>")
        elif _SUBHEADING.match(line):
            parts.append(f"<h3>{_inline(line)}</h3>")
        elif _NUMBERED_TOPIC.match(line):
            parts.append(f"<h4>{_inline(line)}</h4>")
        else:
            parts.append(f"<p>{_inline(line)}</p>")
    if in_list:
        parts.append("</ul>")
    return title, "".join(parts)


def _publish(page: Page) -> None:
    page.save_revision().publish()


def ensure_home_page() -> HomePage:
    """The HomePage as the default site's root, replacing Wagtail's welcome page."""
    home = HomePage.objects.first()
    root = Page.get_first_root_node()
    if home is None:
        home = HomePage(
            title="欢迎访问",
            slug=HOME_SLUG,
            intro=(
                "<p>在这里报名我们的巡展、培训和试用，下载产品资料。每个表单只收集《隐私政策》"
                "为该用途列明的个人信息；您可以随时查阅、复制、更正或删除您的个人信息。</p>"
            ),
        )
        # Wagtail's default welcome page takes the "home" slug; move it aside first. An update,
        # not save(): the page is deleted below, and a save would queue search and reference
        # index tasks that then fail on a page that is gone.
        welcome = root.get_children().filter(slug=HOME_SLUG).exclude(content_type__model="homepage")
        welcome.update(slug="wagtail-welcome")
        root.add_child(instance=home)
        _publish(home)
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(
            hostname="localhost", port=80, root_page=home, is_default_site=True, site_name="Policy Forms"
        )
    elif site.root_page_id != home.pk:
        site.root_page = home
        site.site_name = site.site_name or "Policy Forms"
        site.save()
    # Remove Wagtail's placeholder welcome page: the demo site has its own home.
    for welcome in root.get_children().exclude(pk=home.pk).filter(content_type__model="page"):
        welcome.delete()
    return home


def ensure_policy(home: HomePage) -> PrivacyPolicyPage:
    index = PrivacyPolicyIndexPage.objects.first()
    if index is None:
        index = PrivacyPolicyIndexPage(title="隐私政策", slug=POLICY_INDEX_SLUG)
        home.add_child(instance=index)
        _publish(index)
    policy = PrivacyPolicyPage.objects.filter(version_label=POLICY_VERSION_SLUG).first()
    if policy is None:
        title, body = policy_text_to_html(POLICY_FILE.read_text(encoding="utf-8"))
        policy = PrivacyPolicyPage(
            title=title,
            slug=POLICY_VERSION_SLUG,
            version_label=POLICY_VERSION_SLUG,
            updated_date=POLICY_DATE,
            effective_date=POLICY_DATE,
            body=body,
        )
        index.add_child(instance=policy)
        _publish(policy)
    return policy


def ensure_site_settings(site: Site) -> SiteSettings:
    settings_obj = SiteSettings.for_site(site)
    settings_obj.company_name = "示例云科技有限公司"
    settings_obj.privacy_officer_email = "privacy@example.com"
    settings_obj.privacy_hotline = "021-00000000"
    settings_obj.save()
    return settings_obj


@transaction.atomic
def load_home_demo() -> tuple[HomePage, list[str]]:
    """Create or complete the home page, the policy and the site settings (idempotent)."""
    home = ensure_home_page()
    policy = ensure_policy(home)
    site = Site.objects.get(is_default_site=True)
    ensure_site_settings(site)
    return home, [f"home page: {home.url_path}", f"privacy policy {policy.version_label}"]


def point_site_at(base_url: str) -> Site:
    """Give the default Site the host and port the site is served on, so that the links SMS and
    e-mails carry open it (``http://127.0.0.1:8000`` for ``make run``)."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) address: {base_url!r}")
    site = Site.objects.get(is_default_site=True)
    site.hostname = parts.hostname
    site.port = parts.port or (443 if parts.scheme == "https" else 80)
    site.save(update_fields=["hostname", "port"])
    return site
