"""The admin speaks Chinese: walk its main screens in zh-hans and find no English left.

A visible text node with English words and no Chinese fails the walk unless it is a code (one
lowercase token such as ``job_application``), a brand or format name, a number, or data
the site stores in English on purpose (user and group names, English purpose names,
screen terms, workflow names).
"""

import json
import re

import pytest
from bs4 import BeautifulSoup, Comment, Doctype
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import translation
from wagtail.models import Page, Task, Workflow

from forms.models import Purpose, ScreenTerm
from tests.forms.utils import make_campaign_page

pytestmark = pytest.mark.django_db

WORD = re.compile(r"[A-Za-z]{2,}")
CHINESE = re.compile(r"[\u3400-\u9fff]")
CODE = re.compile(r"^[a-z0-9_.\-@/:+]+$")
BRANDS = {"Wagtail", "ZStack", "Policy Forms", "QQ", "URL", "API", "JSON", "CSV", "XLSX", "SMS", "ID", "PDF"}
HIDDEN = ["script", "style", "template", "svg", "noscript", "code", "pre"]


def data_words() -> set[str]:
    words = set(Group.objects.values_list("name", flat=True))
    words |= set(Purpose.objects.values_list("name_en", flat=True))
    words |= set(ScreenTerm.objects.values_list("term", flat=True))
    words |= set(Workflow.objects.values_list("name", flat=True)) | set(
        Task.objects.values_list("name", flat=True)
    )
    words |= set(Page.objects.filter(depth=1).values_list("title", flat=True))
    return words


def english_left(html: str, allowed: set[str]) -> list[str]:
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(HIDDEN):
        tag.decompose()
    for tag in soup.select(".w-sr-only, [hidden]"):
        tag.decompose()
    texts = [
        str(node).strip() for node in soup.find_all(string=True) if not isinstance(node, (Doctype, Comment))
    ]
    texts += [tag["placeholder"].strip() for tag in soup.find_all(attrs={"placeholder": True})]
    left = []
    for text in texts:
        if not text or CHINESE.search(text) or not WORD.search(text):
            continue
        if text in allowed or text in BRANDS or CODE.match(text):
            continue
        left.append(text)
    return sorted(set(left))


@pytest.fixture
def screens(home_page, policy, superuser):
    page = make_campaign_page(parent=home_page, purpose="event")
    add = reverse("wagtailadmin_pages:add", args=("forms", "campaignformpage", home_page.pk))
    return [
        reverse("wagtailadmin_home"),
        reverse("wagtailadmin_explore", args=(home_page.pk,)),
        reverse("wagtailadmin_pages:edit", args=(page.pk,)),
        add,
        f"{add}?purpose={page.purpose_id}",
        reverse("wagtailadmin_pages:copy", args=(page.pk,)),
        reverse("wagtailadmin_pages:history", args=(page.pk,)),
        reverse("wagtailadmin_pages:search") + "?q=活动",
        "/admin/snippets/forms/purpose/",
        "/admin/snippets/forms/screenterm/",
        "/admin/forms/",
        reverse("wagtailforms:list_submissions", args=(page.pk,)),
        "/admin/rights_requests/rightsrequest/",
        reverse("forms_screen_reviews"),
        reverse("forms_whitelist_report"),
        reverse("wagtailadmin_workflows:index"),
        reverse("wagtailadmin_workflows:task_index"),
        reverse("wagtailadmin_reports:locked_pages"),
        reverse("wagtaildocs:index"),
        reverse("wagtailusers_users:index"),
        reverse("wagtailusers_groups:index"),
    ]


def test_the_main_admin_screens_show_no_english_in_the_chinese_ui(client, superuser, screens):
    client.force_login(superuser)
    allowed = data_words() | {superuser.username}
    found = {}
    with translation.override("zh-hans"):
        for url in screens:
            response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
            assert response.status_code == 200, url
            left = english_left(response.content.decode(), allowed)
            if left:
                found[url] = left
    assert found == {}


def test_a_marketers_morning_is_in_chinese_too(client, marketer, home_page, policy):
    make_campaign_page(parent=home_page, purpose="event", owner=marketer)
    client.force_login(marketer)
    allowed = data_words() | {marketer.username}
    add = reverse("wagtailadmin_pages:add", args=("forms", "campaignformpage", home_page.pk))
    for url in (reverse("wagtailadmin_home"), add):
        response = client.get(url)
        assert response.status_code == 200
        assert english_left(response.content.decode(), allowed) == [], url


def test_the_walk_would_see_english(client):
    """The check itself: an untranslated sentence is found, codes and brands are not."""
    html = "<p>Search all pages…</p><p>job_application</p><p>ZStack</p><span class='w-sr-only'>True</span>"
    assert english_left(html, set()) == ["Search all pages…"]


def test_the_editors_script_strings_come_in_chinese(client, superuser):
    client.force_login(superuser)
    catalogue = client.get(reverse("wagtailadmin_javascript_catalog")).content.decode()
    assert json.dumps("插入区块")[1:-1] in catalogue  # the rich-text editor's placeholder
