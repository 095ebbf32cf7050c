"""Every CSV and XLSX the site hands out, fetched after planting text that starts a formula.

The export routes are discovered from the URL resolver:

* every view built on Wagtail's ``SpreadsheetExportMixin`` (its reports and listings, the form
  submissions listing behind its dispatcher, wagtail-modeladmin's index), classified as
  escaped (``EscapedSpreadsheetExportMixin``) or as exporting no columns at all;
* the views that hand over a spreadsheet of their own (``FILE_ROUTES``), which must exist.

The discovered sets must equal the expected ones below, so a new export route (or a listing that
gains export columns) fails here until it is escaped and given a case. A source scan adds that
only the known modules write CSV or XLSX, and that each of them uses the one escaping module.

Planted: page titles, a workflow and its task, a user's name, a redirect target, a document
title, submissions and one person's own records, each starting with a trigger (``=``, ``+``,
``-``, ``@``, tab, carriage return, a full-width sign, a space before ``=``). For every route and
format: no CSV cell may start a formula (a leading apostrophe escapes it), every XLSX cell is a
string cell with no formula in the sheet's XML and a trigger cell carries the quote prefix, and
the planted text must be found in the file, so that no case passes on an empty export.
"""

import csv
import io
import re
import shutil
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from django.apps import apps
from django.core import mail
from django.core.cache import caches
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import Client, TestCase
from django.test.utils import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone, translation
from wagtail.admin.views.mixins import SpreadsheetExportMixin
from wagtail.contrib.forms.models import FormMixin
from wagtail.contrib.forms.views import get_submissions_list_view
from wagtail.contrib.redirects.models import Redirect
from wagtail.documents import get_document_model
from wagtail.models import GroupApprovalTask, Page, Site, Workflow, WorkflowTask
from wagtail_modeladmin.options import ModelAdmin

from core import crypto
from core.escaping import TRIGGERS, EscapedSpreadsheetExportMixin, is_dangerous, unescape_csv_cell
from datatools import services as datatools
from datatools.choices import ExportKind
from forms.models import CampaignSubmission, DocumentDownload, SubjectHash
from home.models import HomePage, PrivacyPolicyIndexPage, PrivacyPolicyPage
from messaging.backends import locmem
from rights_requests.fulfilment import services as fulfilment
from rights_requests.fulfilment.tokens import package_token
from rights_requests.fulfilment.views import SESSION_KEY as MY_DATA_SESSION_KEY
from tests.conftest import make_user
from tests.forms.utils import make_campaign_page
from tests.fulfilment.conftest import verified_request

ROOT = Path(__file__).resolve().parents[2]

# --- what is planted ----------------------------------------------------------------------------

EQ = '=HYPERLINK("http://x","eq-canary")'  # page title of the campaign
PLUS = "+cmd|' /C calc'!A0 plus-canary"  # the acting user's name; a submission's company
AT = "@SUM(1) at-canary"  # workflow name; a submission's address
MINUS = "-2+3 minus-canary"  # task name; the person's own name
TAB = "\tX tab-canary"  # document title; a submission's name
CR = "\rX cr-canary"  # redirect target; a submission's company
WIDE = "＝1+1 wide-canary"  # a second page's title; the person's company
SPACE = " =1+1 space-canary"  # a submission's and the person's address
USERNAME = "@admin user-canary"  # the acting user's username (who locked, published, requested)

LEAD_MOBILE = "+8613800001111"
PERSON_MOBILE = "13912340000"
PERSON_E164 = "+86" + PERSON_MOBILE


@dataclass
class World:
    admin: object = None
    staff: object = None
    page: object = None
    wide_page: object = None
    rights_request: object = None
    package_token: str = ""


def _submission(page, form_data):
    submission = CampaignSubmission.objects.create(
        page=page, purpose=page.purpose, form_data=form_data, consent_at=timezone.now()
    )
    SubjectHash.objects.create(
        submission=submission, kind="mobile", value_hash=crypto.mobile_hash(form_data["mobile"])
    )
    return submission


def _publish(page, user):
    page.save_revision(user=user).publish(user=user)
    page.refresh_from_db()
    return page


def build_world() -> World:
    world = World()
    world.admin = make_user(USERNAME, is_staff=True, is_superuser=True, first_name=PLUS)
    world.staff = make_user("tabular-staff", ["Privacy staff"])

    root = Page.get_first_root_node()
    home = root.add_child(instance=HomePage(title="首页", slug="home-tabular"))
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={"hostname": "localhost", "port": 80, "root_page": home, "site_name": "Tabular"},
    )
    index = home.add_child(instance=PrivacyPolicyIndexPage(title="隐私政策", slug="privacy"))
    policy = index.add_child(
        instance=PrivacyPolicyPage(
            title="网页隐私政策",
            slug="2023-03-07",
            version_label="2023-03-07",
            updated_date=timezone.localdate(),
            effective_date=timezone.localdate(),
            body="<p>政策正文</p>",
        )
    )
    policy.save_revision().publish()

    # Pages whose titles start formulas: published, locked and in moderation by a user whose
    # name and username start formulas too.
    world.page = _publish(
        make_campaign_page(parent=home, purpose="compatibility", title=EQ, slug="hostile", publish=False),
        world.admin,
    )
    world.wide_page = _publish(
        make_campaign_page(parent=home, purpose="event", title=WIDE, slug="wide", publish=False), world.admin
    )
    workflow = Workflow.objects.create(name=AT)
    task = GroupApprovalTask.objects.create(name=MINUS)
    WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    workflow.start(world.page, world.admin)
    # Locked after the workflow started (a group approval task unlocks a page when it starts).
    Page.objects.filter(pk=world.page.pk).update(locked=True, locked_by=world.admin, locked_at=timezone.now())

    Redirect.objects.create(old_path="/hostile-redirect", redirect_link=CR)

    # Submissions to the hostile campaign, and one person's own records (the same campaign).
    lead = _submission(
        world.page, {"name": EQ, "company": PLUS, "mobile": LEAD_MOBILE, "mailing_address": AT}
    )
    _submission(world.page, {"name": TAB, "company": CR, "mobile": LEAD_MOBILE, "mailing_address": SPACE})
    _submission(world.page, {"name": MINUS, "company": WIDE, "mobile": PERSON_E164, "mailing_address": SPACE})

    document = get_document_model().objects.create(
        title=TAB, file=ContentFile(b"%PDF-1.4 tabular\n", name="tabular.pdf")
    )
    DocumentDownload.objects.create(document=document, submission_id=lead.pk)

    # The person asks for a copy; staff hand it over (no sensitive field: released at once).
    world.rights_request = verified_request("access", mobile=PERSON_MOBILE, email="", prove_email=False)
    with TestCase.captureOnCommitCallbacks(execute=True):
        package = fulfilment.package_deliver(rights_request=world.rights_request, user=world.staff)
    package.refresh_from_db()
    assert package.released_at is not None
    world.package_token = package_token(package)
    world.rights_request.refresh_from_db()
    return world


@pytest.fixture(scope="module")
def tabular_world(django_db_setup, django_db_blocker):
    """The planted data, built once for the module inside a transaction rolled back at its end."""
    tmp = Path(tempfile.mkdtemp(prefix="tabular-"))
    overrides = override_settings(
        CACHES={
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tabular"}
        },
        TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}},
        SMS_BACKEND="messaging.backends.locmem.SMSBackend",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        RIGHTS_REQUEST_LIMIT_PER_IP_HOUR=100000,
        SMS_LIMIT_PER_MOBILE_HOUR=1000,
        SMS_LIMIT_PER_MOBILE_DAY=1000,
        SMS_LIMIT_PER_IP_HOUR=100000,
        MEDIA_ROOT=tmp / "media",
        PRIVATE_MEDIA_ROOT=tmp / "private",
        ERASURE_LEDGER_PATH=tmp / "ledger.jsonl",
    )
    overrides.enable()
    caches["default"].clear()
    locmem.outbox.clear()
    mail.outbox = []
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            with translation.override("en"):
                world = build_world()
            yield world
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            overrides.disable()
            caches["default"].clear()
            locmem.outbox.clear()
            shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def world(tabular_world, db):
    caches["default"].clear()
    return tabular_world


@pytest.fixture
def admin_client(world):
    client = Client()
    client.force_login(world.admin)
    return client


# --- discovering the export routes ---------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str
    template: str
    kind: str  # "escaped", "no columns", "unescaped" (a listing with columns Wagtail writes as is)
    views: tuple


def _walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield (
                prefix + str(entry.pattern),
                f"{namespace}{entry.name}" if entry.name else "",
                entry.callback,
            )


def _unwrap(callback):
    """The view under decorators: a class-based view, a bound method or a plain function."""
    while not hasattr(callback, "view_class") and not hasattr(callback, "__self__"):
        inner = getattr(callback, "__wrapped__", None)
        if inner is None:
            break
        callback = inner
    return callback


def _form_page_listing_classes() -> tuple:
    """The submissions listing classes Wagtail's dispatcher hands each form page type to."""
    # A bare instance (no database access at import): the method only reads class attributes.
    return tuple(
        model.__new__(model).get_submissions_list_view_class()
        for model in apps.get_models()
        if issubclass(model, FormMixin) and issubclass(model, Page)
    )


def _classify(views, columns) -> str:
    if all(issubclass(view, EscapedSpreadsheetExportMixin) for view in views):
        return "escaped"
    return "unescaped" if columns else "no columns"


def discover() -> dict[str, Route]:
    """Every reachable route whose view can answer ``?export=csv`` / ``?export=xlsx``."""
    found, seen = {}, set()
    for template, name, callback in _walk(get_resolver().url_patterns):
        if template in seen:
            continue  # shadowed by an earlier pattern at the same path: never reached
        seen.add(template)
        view = _unwrap(callback)
        view_class = getattr(view, "view_class", None)
        owner = getattr(view, "__self__", None)
        if view_class is not None and issubclass(view_class, SpreadsheetExportMixin):
            columns = getattr(view, "view_initkwargs", {}).get("list_export", view_class.list_export)
            views = (view_class,)
        elif isinstance(owner, ModelAdmin) and view.__name__ == "index_view":
            columns, views = owner.list_export, (owner.index_view_class,)
        elif view is get_submissions_list_view:
            columns, views = ("every form field",), _form_page_listing_classes()
        else:
            continue
        found[name or template] = Route(name or template, template, _classify(views, columns), views)
    return found


# Our escaped report views and the Wagtail URL names whose paths they answer.
REPLACED = {
    "escaped_exports:wagtailadmin_reports_locked_pages": "wagtailadmin_reports:locked_pages",
    "escaped_exports:wagtailadmin_reports_workflow": "wagtailadmin_reports:workflow",
    "escaped_exports:wagtailadmin_reports_workflow_tasks": "wagtailadmin_reports:workflow_tasks",
    "escaped_exports:wagtailadmin_reports_site_history": "wagtailadmin_reports:site_history",
    "escaped_exports:wagtailadmin_reports_aging_pages": "wagtailadmin_reports:aging_pages",
    "escaped_exports:wagtailredirects_index": "wagtailredirects:index",
}
ESCAPED_REPORTS = [*REPLACED, "sms_downloads_report"]
EXPECTED_ESCAPED = {
    *ESCAPED_REPORTS,
    *(f"{name}_results" for name in ESCAPED_REPORTS),
    "wagtailforms:list_submissions",
    "wagtailforms:list_submissions_results",
    "rights_requests_rightsrequest_modeladmin_index",
}
# Wagtail listings whose export has no columns, so their files hold no cell at all (at least
# these; every such listing discovered is fetched by ``test_listings_without_export_columns``).
EXPECTED_NO_COLUMNS = {
    "wagtailadmin_collections:index",
    "wagtailadmin_workflows:index",
    "wagtailadmin_workflows:index_results",
    "wagtailadmin_workflows:task_index",
    "wagtailadmin_workflows:task_index_results",
    "wagtailadmin_reports:page_types_usage",
    "wagtailadmin_reports:page_types_usage_results",
    "wagtaildocs:index",
    "wagtaildocs:index_results",
    "wagtailimages:index",
    "wagtailimages:index_results",
    "wagtailsnippets_forms_purpose:list",
    "wagtailsnippets_forms_purpose:list_results",
    "wagtailsites:index",
    "wagtailsites:index_results",
    "wagtailusers_users:index",
    "wagtailusers_users:index_results",
    "wagtailusers_groups:index",
    "wagtailusers_groups:index_results",
}
# Views that hand over a CSV or XLSX file of their own.
FILE_ROUTES = {
    "datatools:export_submissions",
    "datatools:export_rights_requests",
    "datatools:export_download",
    "fulfilment:my_data_download",
    "fulfilment:package",
}

DISCOVERED = discover()


def test_every_export_route_is_known():
    by_kind = {}
    for route in DISCOVERED.values():
        by_kind.setdefault(route.kind, set()).add(route.name)
    assert by_kind.get("unescaped", set()) == set(), (
        "these routes export columns through Wagtail's writer without the escaping: put "
        "EscapedSpreadsheetExportMixin in front of their view (forms/datatools/reports.py)"
    )
    assert by_kind.get("escaped", set()) == EXPECTED_ESCAPED, "an escaped export route appeared or vanished"
    assert EXPECTED_NO_COLUMNS <= by_kind.get("no columns", set())


def test_file_routes_exist():
    names = {name for _template, name, _callback in _walk(get_resolver().url_patterns)}
    assert FILE_ROUTES <= names


@pytest.mark.parametrize(("ours", "wagtail_name"), sorted(REPLACED.items()))
def test_wagtail_report_urls_reach_the_escaped_views(wagtail_name, ours):
    for suffix in ("", "_results"):
        path = reverse(wagtail_name + suffix)
        assert path == reverse(ours + suffix)
        assert resolve(path).view_name == ours + suffix


# --- fetching each export ---------------------------------------------------------------------


def _get_export(name, *args):
    def fetch(world, client, fmt):
        return client.get(reverse(name, args=[a(world) for a in args]), {"export": fmt})

    return fetch


def _post_submission_export(world, client, fmt):
    data = {"purpose": world.page.purpose_id, "page": world.page.pk, "file_format": fmt}
    return client.post(reverse("datatools:export_submissions"), data)


def _post_rights_request_export(world, client, fmt):
    return client.post(reverse("datatools:export_rights_requests"), {"file_format": fmt})


def _background_export_download(world, client, fmt):
    with TestCase.captureOnCommitCallbacks(execute=True):
        record = datatools.export_start(
            user=world.admin,
            kind=ExportKind.SUBMISSIONS,
            file_format=fmt,
            purpose=world.page.purpose,
            page=world.page,
            force_background=True,
        )
    return client.get(reverse("datatools:export_download", args=(record.pk,)))


def _my_data(world, client, fmt):
    client.logout()
    session = client.session
    session[MY_DATA_SESSION_KEY] = {"m": crypto.encrypt(PERSON_E164), "exp": time.time() + 600}
    session.save()
    return client.get(reverse("fulfilment:my_data_download", args=(fmt,)))


def _package(world, client, fmt):
    client.logout()
    return client.get(reverse("fulfilment:package", args=(world.package_token,)), {"format": fmt})


def _page(world):
    return world.page.pk


BOTH = ("csv", "xlsx")
SUBMITTED = (EQ, PLUS, AT, TAB, CR, SPACE, MINUS, WIDE)
OWN_RECORDS = (MINUS, WIDE, SPACE, EQ)  # the person's name, company, address and the page title


def _reference(world):
    return world.rights_request.reference


# route name -> (fetch, formats, what the file must hold: texts, or a function of the world).
# Wagtail's reports are fetched by Wagtail's own URL names, which reach the escaped views.
REPORT_TEXTS = {
    "escaped_exports:wagtailadmin_reports_locked_pages": (EQ, USERNAME),  # title, locked by
    "escaped_exports:wagtailadmin_reports_workflow": (AT, EQ, USERNAME),  # workflow, page, requested by
    "escaped_exports:wagtailadmin_reports_workflow_tasks": (MINUS, EQ, USERNAME),  # task, page, requested by
    "escaped_exports:wagtailadmin_reports_site_history": (EQ, WIDE, PLUS),  # labels, the user's name
    "escaped_exports:wagtailadmin_reports_aging_pages": (EQ, WIDE, USERNAME),  # titles, last publisher
    "escaped_exports:wagtailredirects_index": (CR,),  # the redirect's target
    "sms_downloads_report": (TAB,),  # the document's title
}
CASES = {}
for _name, _texts in REPORT_TEXTS.items():
    _wagtail_name = REPLACED.get(_name, _name)
    CASES[_name] = (_get_export(_wagtail_name), BOTH, _texts)
    CASES[f"{_name}_results"] = (_get_export(f"{_wagtail_name}_results"), BOTH, _texts)
CASES.update(
    {
        "wagtailforms:list_submissions": (
            _get_export("wagtailforms:list_submissions", _page),
            BOTH,
            SUBMITTED,
        ),
        "wagtailforms:list_submissions_results": (
            _get_export("wagtailforms:list_submissions_results", _page),
            BOTH,
            SUBMITTED,
        ),
        # Rights-request exports hold no free text: the request's reference shows the row is there.
        "rights_requests_rightsrequest_modeladmin_index": (
            _get_export("rights_requests_rightsrequest_modeladmin_index"),
            BOTH,
            _reference,
        ),
        "datatools:export_submissions": (_post_submission_export, BOTH, SUBMITTED),
        "datatools:export_rights_requests": (_post_rights_request_export, BOTH, _reference),
        "datatools:export_download": (_background_export_download, BOTH, SUBMITTED),
        "fulfilment:my_data_download": (_my_data, ("csv",), OWN_RECORDS),
        "fulfilment:package": (_package, ("xlsx",), OWN_RECORDS),
    }
)


def test_every_export_route_has_a_case():
    assert set(CASES) == EXPECTED_ESCAPED | FILE_ROUTES


# --- reading the files -------------------------------------------------------------------------


def _body(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def _csv_cells(data: bytes) -> list[str]:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    return [cell for row in rows for cell in row]


def _xlsx_cells(data: bytes) -> list:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for member in archive.namelist():
            if member.startswith("xl/worksheets/") and member.endswith(".xml"):
                xml = archive.read(member)
                assert not re.search(rb"<(\w+:)?f[ >/]", xml), f"a formula element in {member}"
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    return [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]


def _same(text: str) -> str:
    # The XML of an XLSX file may hand a carriage return back as a line feed.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def check_csv(data: bytes) -> list[str]:
    """The values of a CSV file (escaping undone), after checking that no cell starts a formula."""
    cells = _csv_cells(data)
    for cell in cells:
        assert not cell.startswith(TRIGGERS), repr(cell)
        assert not is_dangerous(cell), repr(cell)
    return [unescape_csv_cell(cell) for cell in cells]


def check_xlsx(data: bytes) -> list[str]:
    """The values of an XLSX file, after checking that every cell is text and none a formula."""
    values = []
    for cell in _xlsx_cells(data):
        if cell.value is None:
            continue
        assert cell.data_type == "s", (cell.coordinate, cell.value, cell.data_type)
        assert isinstance(cell.value, str), (cell.coordinate, cell.value)
        if is_dangerous(cell.value):
            assert cell.quotePrefix, (cell.coordinate, cell.value)
        values.append(cell.value)
    return values


CHECKS = {"csv": check_csv, "xlsx": check_xlsx}


@pytest.mark.parametrize(
    ("name", "fmt"), [(name, fmt) for name, (_f, formats, _e) in sorted(CASES.items()) for fmt in formats]
)
def test_export_is_inert_and_holds_the_planted_text(world, admin_client, name, fmt):
    fetch, _formats, expected = CASES[name]
    with translation.override("en"):
        response = fetch(world, admin_client, fmt)
    assert response.status_code == 200, (response.status_code, response.get("Location"))
    assert response.resolver_match.view_name == name
    values = CHECKS[fmt](_body(response))
    expected = (expected(world),) if callable(expected) else expected
    shown = "\n".join(_same(v) for v in values)
    missing = [text for text in expected if _same(text) not in shown]
    assert not missing, f"planted text missing from {name} ({fmt}): {missing}"


@pytest.mark.parametrize(
    ("name", "fmt"),
    [(r.name, fmt) for r in sorted(DISCOVERED.values(), key=str) if r.kind == "no columns" for fmt in BOTH],
)
def test_listings_without_export_columns_export_no_cell(world, admin_client, name, fmt):
    response = admin_client.get(reverse(name), {"export": fmt})
    assert response.status_code == 200
    data = _body(response)
    if fmt == "csv":
        assert [cell for cell in _csv_cells(data) if cell] == []
    else:
        assert [cell.value for cell in _xlsx_cells(data) if cell.value not in (None, "")] == []


# --- which modules write spreadsheets -----------------------------------------------------------

WRITES = re.compile(
    r"\bcsv\.(writer|DictWriter)\(|\bopenpyxl\.Workbook\(|from openpyxl import [^\n]*\bWorkbook\b"
    r"|\.export\(\s*[\"'](csv|xlsx|xls|tsv|ods)[\"']"
    r"|\bdef (as_spreadsheet|stream_csv|write_xlsx|write_csv_row|generate_xlsx_row)\b"
)
SERVES = re.compile(r"text/csv|spreadsheetml")
# Modules that write or serve CSV/XLSX, and why they may.
KNOWN_WRITERS = {
    "core/escaping.py": "the escaping itself and the mixin for Wagtail's exports",
    "forms/campaign_admin.py": "the campaign report's CSV of funnel counts (escape_csv_cell per cell)",
    "datatools/services/exports.py": "the data tools' exports (write_export)",
    "rights_requests/fulfilment/resources.py": "the access package and the self-service copy",
    "rights_requests/fulfilment/views.py": "serves the package and the copy written above",
    "rights_requests/wagtail_hooks.py": "the rights-request listing hands its export to the data tools",
}


def _site_modules():
    for package in sorted(p.parent for p in ROOT.glob("*/__init__.py")):
        if package.name in ("tests", "benchmarks"):
            continue
        for path in package.rglob("*.py"):
            if "migrations" not in path.parts:
                yield path


def test_only_known_modules_write_spreadsheets_and_they_escape():
    found = {}
    for path in _site_modules():
        text = path.read_text(encoding="utf-8")
        if WRITES.search(text) or SERVES.search(text):
            found[str(path.relative_to(ROOT))] = text
    assert set(found) == set(KNOWN_WRITERS), (
        "a module writes or serves CSV/XLSX: route it through the escaping"
    )
    for name, text in found.items():
        if (
            re.search(r"\bcsv\.(writer|DictWriter)\(|Workbook\(write_only", text)
            and name != "forms/datatools/escaping.py"
        ):
            assert re.search(r"\b(escape_csv_cell|csv_row|xlsx_text_cell|xlsx_row)\b", text), name
