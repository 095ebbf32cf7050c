"""Browser tests: Playwright for Python driving Debian's Chromium.

`playwright install` cannot download a browser on our machines, so the tests use the
system Chromium at /usr/bin/chromium (or $CHROMIUM_PATH). Without it they skip with a
loud reason; CI sets REQUIRE_E2E=1 so a missing browser fails the run instead.
Screenshots go to test-artifacts/e2e/.
"""

import asyncio
import os
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.cache import caches
from django.db import connections

from home.demo import ensure_policy

# Playwright's sync API runs an event loop in this thread; the live server and the ORM
# calls of the tests themselves are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


def chromium_path() -> str | None:
    candidate = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"
    if Path(candidate).exists():
        return candidate
    return shutil.which("chromium")


def _unavailable(reason: str):
    if os.environ.get("REQUIRE_E2E") == "1":
        pytest.fail(f"E2E REQUIRED BUT UNAVAILABLE: {reason}", pytrace=False)
    pytest.skip(f"E2E SKIPPED: {reason}")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if path is None:
        _unavailable("Chromium not found at /usr/bin/chromium (apt-get install chromium fonts-noto-cjk)")
    try:
        from playwright.sync_api import sync_playwright  # noqa: PLC0415 - optional: skipped or refused below without it
    except ImportError:
        _unavailable("the playwright package is not installed")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def _no_editor_autosave(settings):
    """The editor's autosave posts in the background while a test clicks "Save draft" or
    "Publish"; the live server and the test share one database connection, so two requests at
    once can break each other's savepoints. No browser test here is about autosave."""
    settings.WAGTAIL_AUTOSAVE_INTERVAL = 0


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def shot(page, request):
    """Save a screenshot: ``shot("name")`` → test-artifacts/e2e/<test>-<name>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(name: str, full_page: bool = True) -> Path:
        path = ARTIFACTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


@pytest.fixture
def demo_policy(home_page):
    """A home page with a published current policy (no demo fixture is loaded)."""
    return ensure_policy(home_page)


@pytest.fixture
def new_page(browser, live_server):
    """Open more browser pages, each in its own zh-CN context (one per actor): ``new_page()``."""
    contexts = []

    def make():
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        contexts.append(context)
        extra = context.new_page()
        extra.set_default_timeout(15_000)
        return extra

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def shot_of(request):
    """Screenshot any page: ``shot_of(other_page, "name")`` → test-artifacts/e2e/<test>-<name>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(target, name: str, full_page: bool = True) -> Path:
        path = ARTIFACTS / f"{request.node.name}-{name}.png"
        target.screenshot(path=str(path), full_page=full_page)
        return path

    return take


@pytest.fixture
def sms_files(settings, tmp_path):
    """The file SMS backend writing into a fresh directory, and a clean cache for rate limits."""
    directory = tmp_path / "sms"
    settings.SMS_BACKEND = "messaging.backends.file.SMSBackend"
    settings.SMS_FILE_PATH = str(directory)
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    caches["default"].clear()
    yield directory
    caches["default"].clear()


@pytest.fixture
def kit(live_server, new_page, shot_of, sms_files):
    """What a multi-actor browser test needs: ``url``, ``new_page()``, ``shot(page, name)``, ``sms_dir``."""
    return SimpleNamespace(url=live_server.url, new_page=new_page, shot=shot_of, sms_dir=sms_files)


@pytest.fixture(scope="session", autouse=True)
def _orm_keeps_one_connection(browser):
    """Keep the ORM of this thread on one connection once Playwright runs.

    Between its calls, Playwright's sync API leaves its event loop marked as running in
    this thread, so Django would look connections up per async context instead of per
    thread and open a second one: without the serialized copy of the migrated data, which
    ``serialized_rollback`` then cannot restore for the next test. Session-scoped, so it
    runs before the test database is set up or restored.
    """
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    asyncio._set_running_loop(None)
    try:
        per_thread = {alias: connections[alias] for alias in connections}
    finally:
        asyncio._set_running_loop(loop)
    for alias, connection in per_thread.items():
        connections[alias] = connection
