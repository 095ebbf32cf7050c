"""Security headers on the public site, CSP scope, and the production security settings."""

import base64
import hashlib
import json
import os
import re
import subprocess
import sys

import pytest
from django.conf import settings

from rights_requests.models import RightsRequestPage

pytestmark = pytest.mark.django_db

INLINE_HANDLER = re.compile(rb"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
SCRIPT_TAG = re.compile(rb"<script\b([^>]*)>", re.IGNORECASE)
STYLE_ATTR = re.compile(rb"""\sstyle\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
STYLE_ELEMENT = re.compile(rb"<style\b", re.IGNORECASE)


def csp_directives(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy", "")
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


@pytest.fixture
def public_urls(home_page, policy, campaign, sms_campaign):
    rights = RightsRequestPage(title="Your privacy rights", slug="privacy-rights")
    home_page.add_child(instance=rights)
    rights.save_revision().publish()
    return ["/", policy.url, campaign.url, sms_campaign.url, rights.url, "/cookies/"]


def test_public_pages_send_a_strict_policy(client, public_urls):
    for url in public_urls:
        response = client.get(url)
        assert response.status_code == 200, url
        csp = csp_directives(response)
        assert csp["default-src"] == ["'self'"], url
        assert csp["script-src"] == ["'self'"], url
        assert csp["object-src"] == ["'none'"]
        assert csp["frame-ancestors"] == ["'none'"]
        assert csp["base-uri"] == ["'self'"]
        assert csp["form-action"] == ["'self'"]
        assert "'unsafe-inline'" not in csp["style-src"]
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"


def test_public_pages_work_under_their_policy(client, public_urls):
    """No markup the policy would block: inline scripts, handlers, unlisted inline styles."""
    for url in public_urls:
        response = client.get(url)
        allowed_styles = set(csp_directives(response)["style-src"])
        html = response.content
        assert not INLINE_HANDLER.search(html), f"inline event handler on {url}"
        assert not STYLE_ELEMENT.search(html), f"<style> element on {url}"
        for attributes in SCRIPT_TAG.findall(html):
            assert b"src=" in attributes or b"application/json" in attributes, f"inline script on {url}"
        for double, single in STYLE_ATTR.findall(html):
            value = double or single
            digest = base64.b64encode(hashlib.sha256(value).digest()).decode()
            assert f"'sha256-{digest}'" in allowed_styles, f"style={value!r} on {url} is blocked"


def test_sms_page_script_and_language_switcher_are_same_origin_files(client, sms_campaign):
    html = client.get(sms_campaign.url).content.decode()
    sources = re.findall(r'<script[^>]*\ssrc="([^"]+)"', html)
    assert any(src.endswith("forms/sms.js") for src in sources)
    assert any(src.endswith("js/lang-select.js") for src in sources)
    assert all(src.startswith("/") and not src.startswith("//") for src in sources)
    assert "data-autosubmit" in html


def test_status_page_inline_style_is_admitted():
    digest = base64.b64encode(hashlib.sha256(b"white-space:pre-wrap").digest()).decode()
    assert f"'sha256-{digest}'" in settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["style-src"]


def test_admin_is_outside_the_policy_and_still_works(client, superuser):
    login = client.get("/admin/login/")
    assert login.status_code == 200
    assert "Content-Security-Policy" not in login.headers
    assert login.headers["X-Frame-Options"] == "DENY"
    client.force_login(superuser)
    dashboard = client.get("/admin/")
    assert dashboard.status_code == 200
    assert "Content-Security-Policy" not in dashboard.headers


def test_api_answers_carry_the_policy_and_nosniff(client, campaign):
    response = client.get(f"/api/forms/{campaign.pk}")
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert csp_directives(response)["default-src"] == ["'self'"]


def test_production_settings_turn_on_transport_security():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cms.settings.production",
        "DJANGO_SECRET_KEY": "k" * 64,
        "ALLOWED_HOSTS": "forms.example.com",
        "FIELD_ENCRYPTION_KEYS": "V2hhdCBhIGxvdmVseSBkYXkgZm9yIGEgdGVzdCBrZXk=",
        "SUBJECT_HASH_KEY": "subject-hash-key-for-tests",
        "REDIS_URL": "redis://127.0.0.1:6379/9",
        "SMS_BACKEND": "messaging.backends.gateway.SMSBackend",
        "SMS_GATEWAY_URL": "https://sms-gateway.example.com/send",
        "SMS_GATEWAY_SECRET": "gateway-secret-for-tests",
    }
    for name in ("SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "DATABASE_URL"):
        env.pop(name, None)
    script = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({k: getattr(s, k) for k in ('SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS', "
        "'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_CONTENT_TYPE_NOSNIFF', 'X_FRAME_OPTIONS', "
        "'MIDDLEWARE')}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert values["X_FRAME_OPTIONS"] == "DENY"
    middleware = values["MIDDLEWARE"]
    assert middleware.index("csp.middleware.CSPMiddleware") < middleware.index(
        "django.middleware.common.CommonMiddleware"
    )
