"""Project-level promises: the HTTP library is not shadowed, the admin speaks Chinese."""

import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from django.utils import translation

from cms.admin_strings import WAGTAIL_EDITOR_MESSAGES

ROOT = Path(__file__).resolve().parents[2]


def test_import_requests_reaches_the_http_library():
    result = subprocess.run(
        [sys.executable, "-c", "import requests; print(requests.__file__)"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "site-packages" in result.stdout


def test_no_unmaintained_django_fsm_installed_beside_fsm_2():

    names = {dist.metadata["Name"].lower() for dist in metadata.distributions()}
    assert "django-fsm-2" in names
    assert "django-fsm" not in names


@pytest.mark.django_db
def test_admin_speaks_chinese_by_default(client, superuser):
    client.force_login(superuser)
    response = client.get("/admin/")
    assert response.status_code == 200
    assert "控制面板" in response.content.decode()


@pytest.mark.django_db
def test_admin_login_page_is_chinese(client):
    html = client.get("/admin/login/").content.decode()
    assert "登录" in html


def test_wagtail_editor_messages_are_translated():

    with translation.override("zh-hans"):
        untranslated = [m for m in WAGTAIL_EDITOR_MESSAGES if translation.gettext(m) == m]
    assert untranslated == []
