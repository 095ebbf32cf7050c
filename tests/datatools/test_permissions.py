"""Who may reach each export and import URL: anonymous, Marketer, Privacy staff, Privacy officer."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from datatools import services
from datatools.choices import ExportKind
from datatools.models import ImportRecord
from forms.models import Purpose
from incidents import services as incidents
from incidents.models import Incident

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "marketer", "staff", "officer")


@pytest.fixture
def users(marketer, privacy_staff, privacy_officer):
    return {"anonymous": None, "marketer": marketer, "staff": privacy_staff, "officer": privacy_officer}


@pytest.fixture
def objects(compat_page, marketer, privacy_officer):
    officer_export = services.export_start(
        user=privacy_officer, kind=ExportKind.SUBMISSIONS, file_format="csv", purpose=compat_page.purpose
    )
    services.export_write(record=officer_export)
    upload = SimpleUploadedFile(
        "s.csv", "姓名,公司名称,手机号,证书邮寄地址\n张三,示例,13812345678,北京\n".encode()
    )
    marketer_import, _check = services.import_check(user=marketer, page=compat_page, uploaded=upload)
    assert marketer_import.state == "previewed"
    incident = incidents.incident_register(
        user=privacy_officer,
        title="Leak",
        description="x",
        discovered_at=timezone.now(),
        period_start=timezone.now() - timezone.timedelta(days=1),
        period_end=timezone.now(),
        purposes=[compat_page.purpose],
    )
    return {
        "page": compat_page,
        "export": officer_export,
        "import": marketer_import,
        "incident": incident,
        "purpose": Purpose.objects.get(code="compatibility"),
    }


def url_cases(o):
    listing = reverse("wagtailforms:list_submissions", args=(o["page"].pk,))
    return [
        # (method, url, data, expected per role: anonymous, marketer, staff, officer)
        ("get", "/admin/datatools/exports/submissions/", None, (302, 200, 403, 200)),
        (
            "post",
            "/admin/datatools/exports/submissions/",
            {"purpose": o["purpose"].pk, "file_format": "csv"},
            (302, 200, 403, 200),
        ),
        ("get", "/admin/datatools/exports/rights-requests/", None, (302, 403, 200, 200)),
        ("post", "/admin/datatools/exports/rights-requests/", {"file_format": "csv"}, (302, 403, 200, 200)),
        ("get", f"/admin/datatools/exports/{o['export'].pk}/download/", None, (302, 403, 403, 200)),
        ("get", "/admin/datatools/imports/", None, (302, 200, 403, 200)),
        ("get", f"/admin/datatools/imports/{o['import'].pk}/", None, (302, 200, 403, 403)),
        ("get", "/admin/datatools/log/", None, (302, 403, 403, 200)),
        ("get", "/admin/datatools/whitelist/", None, (302, 403, 403, 200)),
        ("get", f"/admin/datatools/whitelist/{o['purpose'].pk}/", None, (302, 403, 403, 200)),
        ("get", "/admin/datatools/incidents/", None, (302, 403, 403, 200)),
        ("get", "/admin/datatools/incidents/new/", None, (302, 403, 403, 200)),
        ("get", f"/admin/datatools/incidents/{o['incident'].pk}/", None, (302, 403, 403, 200)),
        ("post", f"/admin/datatools/incidents/{o['incident'].pk}/", {"action": "find"}, (302, 403, 403, 302)),
        ("get", "/admin/rights_requests/rightsrequest/?export=csv", None, (302, 403, 200, 200)),
        ("get", f"{listing}?export=csv", None, (302, 200, 403, 200)),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(client, users, objects, role):
    user = users[role]
    failures = []
    for method, url, data, expected in url_cases(objects):
        if user is not None:
            client.force_login(user)
        else:
            client.logout()
        if url.endswith("/download/"):
            objects["export"].refresh_from_db()
            if objects["export"].state != "ready":
                services.export_write(record=objects["export"])
        response = getattr(client, method)(url, data or {})
        want = expected[ROLES.index(role)]
        if response.status_code != want:
            failures.append(f"{method.upper()} {url}: {response.status_code} != {want}")
        if role == "anonymous":
            assert "/admin/login/" in response["Location"]
    assert not failures, failures


def test_refused_import_upload_stores_nothing(client, privacy_staff, compat_page):
    client.force_login(privacy_staff)
    sheet = SimpleUploadedFile("s.csv", b"a,b\n1,2\n")
    response = client.post(
        "/admin/datatools/imports/", {"page": compat_page.pk, "sheet": sheet, "consent_confirmed": "on"}
    )
    assert response.status_code == 403
    assert not ImportRecord.objects.exists()


def test_menu_shows_only_allowed_tools(client, marketer, privacy_officer):
    client.force_login(marketer)
    body = client.get("/admin/").content.decode()
    assert "/admin/datatools/exports/submissions/" in body
    assert "/admin/datatools/incidents/" not in body
    client.force_login(privacy_officer)
    body = client.get("/admin/").content.decode()
    assert "/admin/datatools/incidents/" in body and "/admin/datatools/log/" in body


def test_incident_changes_are_refused_to_marketers(client, marketer, objects):
    client.force_login(marketer)
    url = f"/admin/datatools/incidents/{objects['incident'].pk}/"
    response = client.post(url, {"action": "publish", "title": "x", "text": "y"})
    assert response.status_code == 403
    assert not Incident.objects.filter(announcement_published_at__isnull=False).exists()
