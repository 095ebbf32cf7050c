"""Who may see and remove campaign submissions: by the purpose each was collected under,
by the campaigns a marketer owns or works on, and only through erasure."""

import io

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import ProtectedError
from django.urls import reverse
from wagtail.documents import get_document_model
from wagtail.models import PageLogEntry
from wagtail.test.utils.form_data import querydict_from_html

from forms.models import CampaignFormPage, CampaignSubmission, DocumentDownload, Purpose
from forms.selectors import campaign_pages_visible_to, submissions_visible_to
from forms.services import submission_create
from rights_requests.fulfilment.models import LedgerEntry
from rights_requests.fulfilment.services import TOMBSTONE
from tests.conftest import make_user

from .test_catalogue import VALID_ID

pytestmark = pytest.mark.django_db

PARTNER_NAME, PARTNER_MOBILE = "王五", "13900139000"
A_NAME, B_NAME = "李四", "赵六"


def submit(page, **data):
    return submission_create(page=page, data=data, consent=True, verification_token=None, ip="203.0.113.9")


@pytest.fixture
def marketer_b(db):
    return make_user("marketer_b", ["Marketers"])


@pytest.fixture
def lead(db):
    return make_user("lead", ["Marketing leads"])


@pytest.fixture
def partner_page(page_factory, marketer):
    """The partner-upgrade campaign, built by marketer A, with one application."""
    page = page_factory("partner_upgrade", slug="partner", owner=marketer)
    submit(
        page,
        name=PARTNER_NAME,
        mobile=PARTNER_MOBILE,
        email="wang@example.com",
        id_card_number=VALID_ID,
        company="示例科技",
    )
    return page


@pytest.fixture
def page_a(page_factory, marketer):
    page = page_factory("compatibility", slug="compat-a", title="A 的兼容认证", owner=marketer)
    submit(page, name=A_NAME, company="示例", mobile="13812345678", mailing_address="北京市海淀区")
    return page


@pytest.fixture
def page_b(page_factory, marketer_b):
    page = page_factory("compatibility", slug="compat-b", title="B 的兼容认证", owner=marketer_b)
    submit(page, name=B_NAME, company="另一家", mobile="13712345678", mailing_address="上海市")
    return page


def listing(page):
    return reverse("wagtailforms:list_submissions", args=(page.pk,))


def delete_url(page, *submissions):
    ids = "&".join(f"selected-submissions={s.pk}" for s in submissions)
    return reverse("wagtailforms:delete_submissions", args=(page.pk,)) + "?" + ids


def body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8-sig")
    return response.content.decode("utf-8-sig")


def xlsx_cells(response) -> list[str]:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [str(c.value) for row in sheet.iter_rows() for c in row]


def datatools_export(client, purpose_code, file_format="csv", page=None):
    data = {"purpose": Purpose.objects.get(code=purpose_code).pk, "file_format": file_format}
    if page is not None:
        data["page"] = page.pk
    return client.post(reverse("datatools:export_submissions"), data)


def denied(response) -> bool:
    return response.status_code in (403, 404) or (
        response.status_code == 302 and response["Location"] == "/admin/"
    )


# --- 6. a page's purpose is the purpose its submissions were collected under -------------------


def test_switching_the_purpose_of_a_page_with_submissions_is_refused(client, marketer, partner_page):
    compat = Purpose.objects.get(code="compatibility")
    client.force_login(marketer)
    edit_url = reverse("wagtailadmin_pages:edit", args=(partner_page.pk,))
    form = client.get(edit_url)
    assert form.status_code == 200
    data = querydict_from_html(form.content.decode(), form_id="page-edit-form")
    data["purpose"] = str(compat.pk)
    data["action-publish"] = "action-publish"
    refused = client.post(edit_url, data)
    assert refused.status_code == 200
    assert "cannot change" in refused.content.decode() or "不能更改" in refused.content.decode()
    partner_page.refresh_from_db()
    assert partner_page.purpose.code == "partner_upgrade"

    # Nor through the model: a revision, a publish or a plain save (API, copies, scripts).
    page = CampaignFormPage.objects.get(pk=partner_page.pk)
    page.purpose = compat
    with pytest.raises(ValidationError):
        page.save_revision(user=marketer)
    with pytest.raises(ValidationError):
        page.save(clean=False)
    assert CampaignFormPage.objects.get(pk=partner_page.pk).purpose.code == "partner_upgrade"


def test_a_page_without_submissions_may_still_change_purpose(page_factory):
    page = page_factory("compatibility", slug="empty")
    page.purpose = Purpose.objects.get(code="download")
    page.save(clean=False)
    assert CampaignFormPage.objects.get(pk=page.pk).purpose.code == "download"


def test_a_switched_page_never_shows_the_partner_applications(client, marketer, partner_page):
    """Even if the page's purpose was switched (e.g. before this rule existed), the
    applications keep the purpose they were collected under and stay hidden."""
    CampaignFormPage.objects.filter(pk=partner_page.pk).update(
        purpose=Purpose.objects.get(code="compatibility")
    )
    client.force_login(marketer)

    html = client.get(listing(partner_page))
    assert html.status_code == 200  # the page is the marketer's own, now an ordinary one
    csv = client.get(listing(partner_page) + "?export=csv")
    xlsx = client.get(listing(partner_page) + "?export=xlsx")
    assert csv.status_code == 200 and xlsx.status_code == 200
    exported = datatools_export(client, "compatibility", page=partner_page)
    refused_purpose = datatools_export(client, "partner_upgrade")
    texts = [body(html), body(csv), " ".join(xlsx_cells(xlsx)), body(exported), body(refused_purpose)]
    for text in texts:
        assert PARTNER_NAME not in text
        assert PARTNER_MOBILE not in text and "139****9000" not in text
    assert not submissions_visible_to(marketer).exists()


# --- 8. removing a submission is an erasure ------------------------------------------------------


def test_marketers_cannot_delete_submissions(client, marketer, page_a):
    submission = CampaignSubmission.objects.get(page=page_a)
    client.force_login(marketer)
    html = client.get(listing(page_a)).content.decode()
    assert A_NAME in html
    assert "selected-submissions" not in html  # no delete checkboxes or button

    assert denied(client.get(delete_url(page_a, submission)))
    assert denied(client.post(delete_url(page_a, submission)))
    submission.refresh_from_db()
    assert submission.form_data["name"] == A_NAME
    assert CampaignSubmission.objects.filter(page=page_a).count() == 1
    assert not LedgerEntry.objects.exists()


def test_privacy_staff_erase_through_the_erasure_service(client, privacy_officer, page_a):
    submission = CampaignSubmission.objects.get(page=page_a)
    client.force_login(privacy_officer)
    assert "selected-submissions" in client.get(listing(page_a)).content.decode()

    confirm = client.get(delete_url(page_a, submission))
    assert confirm.status_code == 200
    assert 'data-testid="erase-confirm"' in confirm.content.decode()
    done = client.post(delete_url(page_a, submission))
    assert done.status_code == 302 and done["Location"] == listing(page_a)

    submission.refresh_from_db()  # kept, with tombstones instead of values
    assert set(submission.form_data.values()) == {TOMBSTONE}
    assert not submission.subject_hashes.exists()
    entry = LedgerEntry.objects.get()
    assert entry.reason == "listing" and entry.by == privacy_officer
    assert entry.targets[0][0] == submission.pk and entry.counts == {"compatibility": 1}
    log = PageLogEntry.objects.get(page=page_a, action="fulfilment.erase_listed_submissions")
    assert log.user == privacy_officer and log.data["count"] == 1
    assert A_NAME not in client.get(listing(page_a)).content.decode()


def test_privacy_staff_who_cannot_read_the_listing_cannot_erase_from_it(client, privacy_staff, page_a):
    submission = CampaignSubmission.objects.get(page=page_a)
    client.force_login(privacy_staff)
    assert denied(client.post(delete_url(page_a, submission)))
    submission.refresh_from_db()
    assert submission.form_data["name"] == A_NAME
    assert not LedgerEntry.objects.exists()


def test_a_page_with_submissions_cannot_be_deleted(client, superuser, page_a):
    client.force_login(superuser)
    response = client.post(reverse("wagtailadmin_pages:delete", args=(page_a.pk,)), follow=True)
    assert response.status_code == 200
    text = response.content.decode()
    assert "cannot be deleted" in text or "不能删除" in text
    assert CampaignFormPage.objects.filter(pk=page_a.pk).exists()
    assert CampaignSubmission.objects.filter(page_id=page_a.pk).count() == 1
    # Nor from its parent, nor in code: the submissions protect the page.
    parent = page_a.get_parent()
    response = client.post(reverse("wagtailadmin_pages:delete", args=(parent.pk,)))
    assert parent.__class__.objects.filter(pk=parent.pk).exists()
    with pytest.raises(ProtectedError):
        CampaignFormPage.objects.get(pk=page_a.pk).delete()
    assert CampaignSubmission.objects.filter(page_id=page_a.pk).count() == 1


# --- 9. who sees which campaign ------------------------------------------------------------------


def test_marketers_see_only_their_own_campaigns(client, marketer, page_a, page_b, partner_page):
    client.force_login(marketer)
    assert A_NAME in client.get(listing(page_a)).content.decode()
    assert denied(client.get(listing(page_b)))
    assert denied(client.get(listing(page_b) + "?export=csv"))
    assert denied(client.get(listing(partner_page)))  # their own, but of a sensitive purpose
    index = client.get(reverse("wagtailforms:index")).content.decode()
    assert page_a.title in index and page_b.title not in index and partner_page.title not in index
    export = body(datatools_export(client, "compatibility"))
    assert A_NAME in export and B_NAME not in export
    other = datatools_export(client, "compatibility", page=page_b)
    assert other.status_code == 400 and B_NAME not in body(other)
    assert set(campaign_pages_visible_to(marketer)) == {page_a}


def test_the_campaign_team_shares_a_campaign(client, marketer, marketer_b, page_a, page_b):
    """B puts A on B's campaign team in the page's settings; A cannot do it alone."""
    edit_url = reverse("wagtailadmin_pages:edit", args=(page_b.pk,))

    client.force_login(marketer)
    form = client.get(edit_url)
    data = querydict_from_html(form.content.decode(), form_id="page-edit-form")
    data.setlist("team", [str(marketer.pk)])
    data["to_address"] = "marketer@example.com"  # nor have B's leads mailed to A
    data["action-submit"] = "action-submit"
    client.post(edit_url, data)
    stored = CampaignFormPage.objects.get(pk=page_b.pk)
    assert not stored.team.filter(pk=marketer.pk).exists()
    assert stored.to_address != "marketer@example.com"
    assert denied(client.get(listing(page_b)))

    client.force_login(marketer_b)
    form = client.get(edit_url)
    assert form.status_code == 200
    data = querydict_from_html(form.content.decode(), form_id="page-edit-form")
    data.setlist("team", [str(marketer.pk)])
    data["action-submit"] = "action-submit"
    assert client.post(edit_url, data).status_code == 302
    assert CampaignFormPage.objects.get(pk=page_b.pk).team.filter(pk=marketer.pk).exists()

    client.force_login(marketer)
    assert B_NAME in client.get(listing(page_b)).content.decode()


def test_marketing_leads_see_every_campaign_but_not_partner_applications(
    client, lead, page_a, page_b, partner_page
):
    client.force_login(lead)
    for page, name in ((page_a, A_NAME), (page_b, B_NAME)):
        assert name in client.get(listing(page)).content.decode()
    assert denied(client.get(listing(partner_page)))
    assert denied(client.get(listing(partner_page) + "?export=xlsx"))
    index = client.get(reverse("wagtailforms:index"))
    assert index.status_code == 200
    assert page_a.title in index.content.decode() and partner_page.title not in index.content.decode()
    export = body(datatools_export(client, "compatibility"))
    assert A_NAME in export and B_NAME in export
    refused = datatools_export(client, "partner_upgrade")
    assert PARTNER_NAME not in body(refused) and PARTNER_MOBILE not in body(refused)
    assert PARTNER_NAME not in str(list(submissions_visible_to(lead).values_list("form_data", flat=True)))


def test_privacy_officers_see_every_campaign(client, privacy_officer, page_a, page_b, partner_page):
    client.force_login(privacy_officer)
    for page, name in ((page_a, A_NAME), (page_b, B_NAME), (partner_page, PARTNER_NAME)):
        assert name in client.get(listing(page)).content.decode()
    export = body(datatools_export(client, "partner_upgrade"))
    assert PARTNER_NAME in export and VALID_ID not in export
    assert submissions_visible_to(privacy_officer).count() == 3


def test_datatools_import_is_limited_to_visible_campaigns(client, marketer, page_b):

    client.force_login(marketer)
    sheet = SimpleUploadedFile(
        "b.csv", "姓名,公司名称,手机号,证书邮寄地址\n张三,示例,13812340000,北京\n".encode()
    )
    response = client.post(
        reverse("datatools:import"), {"page": page_b.pk, "sheet": sheet, "consent_confirmed": "on"}
    )
    assert response.status_code == 400
    assert CampaignSubmission.objects.filter(page=page_b).count() == 1


@pytest.fixture
def download_of_b(settings, tmp_path, page_b):
    """A document downloaded through the link of a submission to B's campaign."""

    settings.MEDIA_ROOT = tmp_path
    document = get_document_model().objects.create(
        title="B 的白皮书", file=ContentFile(b"%PDF-1.4", name="b.pdf")
    )
    DocumentDownload.objects.create(
        document=document, submission_id=CampaignSubmission.objects.get(page=page_b).pk
    )
    return document


def test_download_counts_follow_the_campaigns_a_user_sees(
    client, marketer, marketer_b, page_a, download_of_b
):
    report = reverse("sms_downloads_report")
    client.force_login(marketer)
    assert download_of_b.title not in client.get(report).content.decode()
    assert download_of_b.title not in client.get(report + "?export=csv").getvalue().decode()
    client.force_login(marketer_b)
    assert download_of_b.title in client.get(report).content.decode()
