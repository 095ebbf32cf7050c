"""Exports from the admin: masking, exclusions, audit records, background runs, other doors."""

import csv
import io
import json

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from datatools.choices import ExportState
from datatools.models import ExportRecord
from datatools.resources import RightsRequestResource
from datatools.services import private_dir
from forms import services as form_services
from forms.models import CampaignSession, CampaignSubmission, Purpose
from rights_requests.choices import Channel, RequestType
from rights_requests.fulfilment.models import SubmissionStatus
from rights_requests.services import rights_request_create
from tests.conftest import make_user
from tests.forms.utils import personal, question

from .conftest import VALID_ID, submit

pytestmark = pytest.mark.django_db

URL = "/admin/datatools/exports/submissions/"


def content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def csv_rows(response):
    return list(csv.reader(io.StringIO(content(response).decode("utf-8-sig"), newline="")))


def test_marketer_exports_their_leads_in_catalogue_order(client, marketer, compat_page):
    client.force_login(marketer)
    response = client.post(URL, {"purpose": compat_page.purpose_id, "file_format": "csv"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    header, *body = csv_rows(response)
    assert header[:4] == ["姓名", "公司名称", "手机号", "证书邮寄地址"]
    # The purpose's catalogue columns, then purpose, policy, consent, time and the four source tags.
    assert len(header) == 12
    assert header[8:] == ["来源（utm_source）", "媒介（utm_medium）", "活动标记（utm_campaign）", "来源网站"]
    assert len(body) == 1
    assert body[0][:4] == ["李四", "示例", "'+8613812345678", "北京市海淀区"]
    assert body[0][4] == "§1.7 compatibility"
    assert body[0][5] == "2023-03-07"
    with translation.override("zh-hans"):
        assert body[0][6].endswith(f"({translation.gettext('online')})")
    assert body[0][6].startswith(timezone.localdate().isoformat())

    record = ExportRecord.objects.get()
    assert record.user == marketer
    assert record.kind == "submissions"
    assert record.purpose == compat_page.purpose
    assert record.row_count == 1
    assert record.masked is True
    assert record.state == ExportState.DOWNLOADED
    assert record.downloaded_at is not None
    assert list(private_dir("exports").iterdir()) == []


def test_every_export_is_recorded_with_its_filters(client, privacy_officer, compat_page):
    client.force_login(privacy_officer)
    today = timezone.localdate().isoformat()
    for file_format in ("csv", "xlsx", "json"):
        response = client.post(
            URL,
            {
                "purpose": compat_page.purpose_id,
                "page": compat_page.pk,
                "file_format": file_format,
                "date_from": "2020-01-01",
                "date_to": today,
            },
        )
        assert response.status_code == 200, response.content[:500]
    records = list(ExportRecord.objects.order_by("pk"))
    assert [r.file_format for r in records] == ["csv", "xlsx", "json"]
    for record in records:
        assert record.user == privacy_officer
        assert record.page_id == compat_page.pk
        assert record.filters == {"date_from": "2020-01-01", "date_to": today}
        assert record.row_count == 1 and record.masked

    log = client.get("/admin/datatools/log/")
    assert log.status_code == 200
    assert log.content.decode().count('data-testid="audit-export-row"') == 3


def test_date_filter_limits_rows(client, privacy_officer, compat_page):
    client.force_login(privacy_officer)
    response = client.post(
        URL, {"purpose": compat_page.purpose_id, "file_format": "json", "date_to": "2020-01-01"}
    )
    assert json.loads(content(response)) == []
    assert ExportRecord.objects.get().row_count == 0


def test_sensitive_fields_are_masked_by_default(client, privacy_officer, partner_page):
    client.force_login(privacy_officer)
    response = client.post(URL, {"purpose": partner_page.purpose_id, "file_format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(content(response))).active
    cells = [c.value for row in sheet.iter_rows() for c in row]
    assert "***002X" in cells and VALID_ID not in cells


def test_unmasked_export_needs_a_reason_and_is_recorded(client, privacy_officer, partner_page):
    client.force_login(privacy_officer)
    refused = client.post(URL, {"purpose": partner_page.purpose_id, "file_format": "csv", "unmasked": "on"})
    assert refused.status_code == 400
    assert "reason" in refused.content.decode()
    assert not ExportRecord.objects.exists()

    response = client.post(
        URL,
        {
            "purpose": partner_page.purpose_id,
            "file_format": "csv",
            "unmasked": "on",
            "reason": "Regulator request 2026-17",
        },
    )
    # Recorded, but nothing is written until a second Privacy officer approves it
    # (tests/datatools/test_unmasked_four_eyes.py).
    assert response.status_code == 302
    assert VALID_ID not in content(response).decode()
    record = ExportRecord.objects.get()
    assert record.masked is False and record.reason == "Regulator request 2026-17"
    assert record.state == ExportState.AWAITING_APPROVAL
    assert list(private_dir("exports").iterdir()) == []


def test_marketer_cannot_ask_for_unmasked_data(client, marketer, compat_page):
    client.force_login(marketer)
    response = client.post(
        URL, {"purpose": compat_page.purpose_id, "file_format": "csv", "unmasked": "on", "reason": "x"}
    )
    assert response.status_code == 200
    assert ExportRecord.objects.get().masked is True


def test_marketer_cannot_export_sensitive_campaigns(client, marketer, partner_page):
    client.force_login(marketer)
    response = client.post(URL, {"purpose": partner_page.purpose_id, "file_format": "csv"})
    assert response.status_code == 400  # the purpose is not among their choices
    response = client.post(
        URL, {"purpose": partner_page.purpose_id, "page": partner_page.pk, "file_format": "csv"}
    )
    assert response.status_code == 400
    assert not ExportRecord.objects.exists()


def test_withdrawn_and_restricted_records_are_left_out(client, marketer, compat_page):
    withdrawn = submit(compat_page, name="甲", company="A", mobile="13800000001", mailing_address="上海")
    restricted = submit(compat_page, name="乙", company="B", mobile="13800000002", mailing_address="上海")
    SubmissionStatus.objects.create(submission=withdrawn, consent_withdrawn_at=timezone.now())
    SubmissionStatus.objects.create(submission=restricted, restricted_at=timezone.now())
    client.force_login(marketer)
    response = client.post(URL, {"purpose": compat_page.purpose_id, "file_format": "csv"})
    names = [row[0] for row in csv_rows(response)[1:]]
    assert names == ["李四"]
    assert ExportRecord.objects.get().row_count == 1


def test_large_export_runs_in_background_and_notifies(
    client, marketer, compat_page, settings, django_capture_on_commit_callbacks
):
    settings.DATATOOLS_SYNC_EXPORT_MAX_ROWS = 0
    client.force_login(marketer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {"purpose": compat_page.purpose_id, "file_format": "xlsx"})
    assert response.status_code == 302
    record = ExportRecord.objects.get()
    assert record.background and record.state == ExportState.READY
    files = list(private_dir("exports").iterdir())
    assert len(files) == 1 and str(files[0]).startswith(str(settings.PRIVATE_MEDIA_ROOT))
    assert len(mail.outbox) == 1
    download = reverse("datatools:export_download", args=(record.pk,))
    assert download in mail.outbox[0].body
    assert "13812345678" not in mail.outbox[0].body

    listing = client.get(URL)
    assert 'data-testid="export-download"' in listing.content.decode()

    response = client.get(download)
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(content(response))).active
    assert sheet.max_row == 2
    assert list(private_dir("exports").iterdir()) == []
    assert client.get(download).status_code == 410


@pytest.mark.usefixtures("compat_page")
def test_only_the_requester_downloads_a_background_export(
    client, marketer, privacy_officer, settings, django_capture_on_commit_callbacks
):
    settings.DATATOOLS_SYNC_EXPORT_MAX_ROWS = 0

    compat = Purpose.objects.get(code="compatibility")
    client.force_login(marketer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, {"purpose": compat.pk, "file_format": "csv"})
    record = ExportRecord.objects.get()
    client.force_login(privacy_officer)
    assert client.get(reverse("datatools:export_download", args=(record.pk,))).status_code == 403
    record.refresh_from_db()
    assert record.state == ExportState.READY


def test_wagtail_listing_export_goes_through_the_same_rules(client, marketer, page_factory):
    page = page_factory("compatibility", slug="listing", owner=marketer)
    submit(page, name="丙", company="C", mobile="13812345678", mailing_address="广州")

    CampaignSubmission.objects.create(
        page=page,
        purpose=page.purpose,
        consent_at=timezone.now(),
        form_data={"name": '=HYPERLINK("http://x","y")'},
    )
    client.force_login(marketer)
    response = client.get(reverse("wagtailforms:list_submissions", args=(page.pk,)) + "?export=csv")
    assert response.status_code == 200
    text = content(response).decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    assert ExportRecord.objects.get().page_id == page.pk


def test_rights_request_export_columns(client, privacy_staff):
    rr = _file_request(privacy_staff)
    client.force_login(privacy_staff)
    response = client.post("/admin/datatools/exports/rights-requests/", {"file_format": "csv"})
    assert response.status_code == 200
    header, *body = csv_rows(response)
    with translation.override("zh-hans"):
        assert header == RightsRequestResource().get_export_headers()
    assert len(header) == 9
    assert body[0][0] == rr.reference
    assert "13800138000" not in content(response).decode("utf-8-sig")
    assert ExportRecord.objects.get().kind == "rights_requests"


def test_modeladmin_export_is_recorded_and_closed_to_others(client, privacy_staff, marketer):
    client.force_login(privacy_staff)
    response = client.get("/admin/rights_requests/rightsrequest/", {"export": "xlsx"})
    assert response.status_code == 200
    assert ExportRecord.objects.get().file_format == "xlsx"
    client.force_login(marketer)
    assert client.get("/admin/rights_requests/rightsrequest/", {"export": "csv"}).status_code == 403


def _file_request(user):

    return rights_request_create(
        request_type=RequestType.ACCESS,
        mobile="13800138000",
        email="",
        details="",
        channel=Channel.PHONE,
        ip="203.0.113.9",
        user=user,
    )


def test_files_left_behind_expire(
    client, marketer, compat_page, settings, django_capture_on_commit_callbacks
):
    settings.DATATOOLS_SYNC_EXPORT_MAX_ROWS = 0
    client.force_login(marketer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, {"purpose": compat_page.purpose_id, "file_format": "csv"})
    record = ExportRecord.objects.get()
    ExportRecord.objects.filter(pk=record.pk).update(
        finished_at=timezone.now() - timezone.timedelta(hours=25)
    )
    settings.DATATOOLS_SYNC_EXPORT_MAX_ROWS = 100
    client.post(URL, {"purpose": compat_page.purpose_id, "file_format": "csv"})
    record.refresh_from_db()
    assert record.state == ExportState.EXPIRED and record.file_name == ""
    assert list(private_dir("exports").iterdir()) == []


def test_export_right_without_page_rights_exports_nothing(client, compat_page):

    user = make_user("exporter")
    user.user_permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="export_campaignsubmission"),
    )
    client.force_login(user)
    response = client.post(URL, {"purpose": compat_page.purpose_id, "file_format": "csv"})
    assert response.status_code == 400  # no campaign of theirs serves this purpose
    assert not ExportRecord.objects.exists()


def test_a_page_export_has_that_page_columns_its_questions_and_the_sign_up(
    client, privacy_officer, page_factory, monkeypatch
):
    page = page_factory(
        "event",
        rows=[personal("name"), personal("mobile"), personal("intended_city"),
              question("您从哪里得知本次活动", "radio", choices="朋友\n网站")],
    )  # fmt: skip
    CampaignSession.objects.create(page=page, city="上海", capacity=10)
    monkeypatch.setattr(form_services, "_consume_token", lambda **kwargs: None)
    label_key = next(f.clean_name for f in page.form_fields.all() if f.kind == "question")
    form_services.submission_create(
        page=page,
        data={"name": "王五", "mobile": "13800138000", "intended_city": "上海", label_key: "网站"},
        consent=True,
        verification_token=None,
        ip="203.0.113.9",
        source={"utm_source": "=HYPERLINK(1)"},
    )
    client.force_login(privacy_officer)
    response = client.post(URL, {"purpose": page.purpose_id, "page": page.pk, "file_format": "csv"})
    header, row = csv_rows(response)
    assert header[:4] == ["姓名", "手机号", "意向参会城市", "您从哪里得知本次活动"]
    assert (
        "公司名称" not in header and "电子邮件地址" not in header
    )  # the purpose allows them; the page does not ask
    assert row[:4] == ["王五", "'+8613800138000", "上海", "网站"]
    assert row[header.index("报名")] == "已确认 (上海)"
    assert row[header.index("来源（utm_source）")] == "'=HYPERLINK(1)"
