"""Login lockout (django-axes), client IP resolution and production start-up checks."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import RequestFactory, override_settings

from core.net import client_ip

ROOT = Path(__file__).resolve().parents[2]


def _login(client, username, password, ip="10.0.0.1"):
    return client.post("/admin/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


@pytest.fixture
def boss(db):
    return get_user_model().objects.create_superuser("boss", "boss@example.com", "right-password-123")


def test_five_failures_lock_the_login_for_that_user_and_ip(client, boss):
    for _ in range(4):
        response = _login(client, "boss", "wrong")
        assert response.status_code == 200  # the ordinary form with an error
    response = _login(client, "boss", "wrong")
    assert response.status_code == 429
    body = response.content.decode()
    assert "登录已被暂时锁定" in body and "Login temporarily locked" in body
    assert "30" in body
    # The right password is refused too while locked.
    assert _login(client, "boss", "right-password-123").status_code == 429
    # Another IP is not locked out by this one (no username-only lockout).
    response = _login(client, "boss", "right-password-123", ip="10.0.0.2")
    assert response.status_code == 302


def test_success_resets_the_failure_count(client, boss):
    for _ in range(4):
        _login(client, "boss", "wrong")
    assert _login(client, "boss", "right-password-123").status_code == 302
    client.logout()
    for _ in range(4):
        assert _login(client, "boss", "wrong").status_code == 200


def test_unknown_and_known_users_get_the_same_answer(client, boss):
    known = _login(client, "boss", "wrong", ip="10.0.0.3")
    unknown = _login(client, "nobody", "wrong", ip="10.0.0.4")
    assert known.status_code == unknown.status_code == 200
    assert known.context["form"].errors == unknown.context["form"].errors


def test_cooloff_is_thirty_minutes_not_thirty_hours(settings):

    assert settings.AXES_COOLOFF_TIME == timedelta(minutes=30)
    assert settings.AXES_ONLY_ADMIN_SITE is False
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


def test_shared_password_private_pages_are_off(settings):
    assert settings.WAGTAIL_PRIVATE_PAGE_OPTIONS == {"SHARED_PASSWORD": False}


@pytest.mark.parametrize(
    ("count", "remote", "forwarded", "expected"),
    [
        (0, "198.51.100.7", "1.2.3.4", "198.51.100.7"),  # header ignored without trusted proxies
        (1, "10.0.0.1", "1.2.3.4, 203.0.113.9", "203.0.113.9"),  # client spoofed the first entry
        (2, "10.0.0.1", "1.2.3.4, 203.0.113.9, 10.0.0.5", "203.0.113.9"),
        (1, "10.0.0.1", "", "10.0.0.1"),
    ],
)
def test_client_ip_trusts_only_configured_proxies(count, remote, forwarded, expected):
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    with override_settings(TRUSTED_PROXY_COUNT=count):
        assert client_ip(request) == expected


def _check_production(env_overrides):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "cms.settings.production",
            "DJANGO_SECRET_KEY": "k3Y-" + "abcdefghijklmnopqrstuvwxyz0123456789" * 2,
            "ALLOWED_HOSTS": "forms.example.com",
            "FIELD_ENCRYPTION_KEYS": "dGVzdC1rZXktMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA=",
            "SUBJECT_HASH_KEY": "k" * 32,
            "REDIS_URL": "redis://127.0.0.1:6379/1",
            "SMS_BACKEND": "messaging.backends.gateway.SMSBackend",
            "SMS_GATEWAY_URL": "https://sms-gateway.example.com/send",
            "SMS_GATEWAY_SECRET": "gateway-secret-" + "x" * 16,
        }
    )
    for key, value in env_overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "missing",
    [
        "DJANGO_SECRET_KEY",
        "ALLOWED_HOSTS",
        "FIELD_ENCRYPTION_KEYS",
        "SUBJECT_HASH_KEY",
        "REDIS_URL",
        "SMS_GATEWAY_URL",
        "SMS_GATEWAY_SECRET",
    ],
)
def test_production_refuses_to_start_without(missing):
    result = _check_production({missing: None})
    assert result.returncode != 0
    assert missing in result.stderr


def test_production_names_a_malformed_variable():
    result = _check_production({"FIELD_ENCRYPTION_KEYS": "not-a-key"})
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS" in result.stderr
    result = _check_production({"DATABASE_URL": "nonsense://"})
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr
    result = _check_production({"SMS_GATEWAY_URL": "http://sms-gateway.example.com/send"})
    assert result.returncode != 0
    assert "SMS_GATEWAY_URL must be an https:// URL" in result.stderr
    result = _check_production({"SMS_GATEWAY_SECRET": "short"})
    assert result.returncode != 0
    assert "SMS_GATEWAY_SECRET" in result.stderr
    # A clear-text backend is refused outright.
    result = _check_production({"SMS_BACKEND": "messaging.backends.console.SMSBackend"})
    assert result.returncode != 0
    assert "SMS_BACKEND" in result.stderr


def test_production_check_deploy_is_clean():
    result = _check_production({})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stdout + result.stderr
