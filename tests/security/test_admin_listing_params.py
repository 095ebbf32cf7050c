"""Admin listings accept only their declared filters, search, ordering, paging and export.

The attack: an ORM lookup smuggled into a listing's query string
(``?verified_by__password__startswith=md5``) compared with a non-matching one; if the two
answers list different rows, the listing is an oracle on a related user's password hash.
"""

import datetime
import re
import sys

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from wagtail.admin.views.generic.base import BaseListingView
from wagtail.documents import get_document_model
from wagtail.snippets.views.snippets import SnippetViewSet
from wagtail_modeladmin.options import ModelAdmin

from core.admin_listing import MAX_SEARCH_LENGTH, BoundedSearchMixin, DeclaredParametersMixin
from datatools.models import ExportRecord
from forms.models import CampaignSubmission, DocumentDownload, Purpose
from rights_requests import services
from tests.rights_requests.conftest import _clean_cache_and_outbox, file_request  # noqa: F401

pytestmark = pytest.mark.django_db

RR_LISTING = "/admin/rights_requests/rightsrequest/"
PURPOSE_LISTING = "/admin/snippets/forms/purpose/"
PROJECT_APPS = ("cms", "forms", "home", "rights_requests")

# (matching probe, non-matching probe): under MD5 every password hash starts with "md5$".
PROBES = [
    ("verified_by__password__startswith=md5", "verified_by__password__startswith=pbkdf2"),
    ("verified_by__password__regex=^md5", "verified_by__password__regex=^pbkdf2"),
    ("verified_by__email__startswith=staff", "verified_by__email__startswith=nobody"),
    ("verification_note__icontains=called", "verification_note__icontains=zzz"),
    (
        "state__exact=verified&verified_by__password__startswith=md5",
        "state__exact=verified&verified_by__password__startswith=x",
    ),
]


def rr_refs(response) -> set[str]:
    return set(re.findall(r'data-testid="rr-row-([^"]+)"', response.content.decode()))


@pytest.fixture
def requests_in_two_states(privacy_staff):
    received = file_request(mobile="13800138001", email="a@example.com")
    verified = services.rights_request_verify(
        rights_request=file_request(mobile="13800138002", email="b@example.com"),
        user=privacy_staff,
        note="Called back the number given.",
        mobile_proof_note="Called the number back.",
    )
    return received, verified


@pytest.fixture(params=["privacy_staff", "superuser"])
def rr_client(request, client):
    client.force_login(request.getfixturevalue(request.param))
    return client


def test_the_listing_shows_both_requests_without_parameters(rr_client, requests_in_two_states):
    received, verified = requests_in_two_states
    assert rr_refs(rr_client.get(RR_LISTING)) == {received.reference, verified.reference}


@pytest.mark.parametrize(("hit", "miss"), PROBES)
def test_a_lookup_through_a_related_user_is_no_oracle(rr_client, requests_in_two_states, hit, miss):
    received, verified = requests_in_two_states
    on_hit = rr_client.get(f"{RR_LISTING}?{hit}")
    on_miss = rr_client.get(f"{RR_LISTING}?{miss}")
    assert rr_refs(on_hit) == rr_refs(on_miss) == set()
    assert on_hit.status_code == on_miss.status_code == 400
    body = on_hit.content.decode()
    assert received.reference not in body and verified.reference not in body
    assert 'data-testid="listing-refused"' in body
    name = hit.split("=")[-2].split("&")[-1]
    assert name in body  # the refused parameter is named


def test_an_unknown_parameter_is_a_clear_400_not_a_server_error(rr_client, requests_in_two_states):
    response = rr_client.get(f"{RR_LISTING}?no_such_field=1")
    assert response.status_code == 400
    assert "no_such_field" in response.content.decode()
    assert rr_refs(response) == set()


def test_the_export_refuses_the_same_probes(rr_client, requests_in_two_states):
    for probe in PROBES[0]:
        response = rr_client.get(f"{RR_LISTING}?export=csv&{probe}")
        assert response.status_code == 400
        assert not response.get("Content-Disposition")
        for rr in requests_in_two_states:
            assert rr.reference.encode() not in response.content
    assert not ExportRecord.objects.exists()
    assert rr_client.get(f"{RR_LISTING}?export=csv&state__exact=verified").status_code == 200
    assert ExportRecord.objects.get().filters["state"] == "verified"


def test_the_declared_filters_search_ordering_and_paging_still_work(rr_client, requests_in_two_states):
    received, verified = requests_in_two_states
    assert rr_refs(rr_client.get(f"{RR_LISTING}?state__exact=verified")) == {verified.reference}
    assert rr_refs(rr_client.get(f"{RR_LISTING}?state__exact=received")) == {received.reference}
    assert rr_refs(rr_client.get(f"{RR_LISTING}?request_type__exact=access")) == set()
    assert rr_refs(rr_client.get(f"{RR_LISTING}?channel__exact=web")) == {
        received.reference,
        verified.reference,
    }
    assert rr_refs(rr_client.get(f"{RR_LISTING}?deadline=overdue")) == set()
    assert rr_refs(rr_client.get(f"{RR_LISTING}?deadline=soon")) == set()
    assert rr_refs(rr_client.get(f"{RR_LISTING}?q={verified.reference}")) == {verified.reference}
    both = {received.reference, verified.reference}
    for extra in ("o=4", "o=-4.1", "o=4&ot=desc", "p=1", "e=1", "state__exact=verified&q=RR"):
        response = rr_client.get(f"{RR_LISTING}?{extra}")
        assert response.status_code == 200, extra
        assert rr_refs(response) <= both and rr_refs(response), extra


@pytest.mark.parametrize("query", ["x" * (MAX_SEARCH_LENGTH + 1), " ".join(["a"] * 11), "q" * 60000])
def test_an_overlong_search_is_a_400(rr_client, requests_in_two_states, query):
    response = rr_client.get(RR_LISTING, {"q": query})
    assert response.status_code == 400
    assert rr_refs(response) == set()
    assert 'data-testid="listing-refused"' in response.content.decode()


def test_outsiders_are_still_refused_before_parameters_are_looked_at(client, marketer):
    client.force_login(marketer)
    response = client.get(f"{RR_LISTING}?verified_by__password__startswith=md5")
    assert response.status_code == 403


# --- Wagtail's own listings in the project ----------------------------------------------------


def purpose_rows(response) -> set[str]:
    """The purposes listed, by the name the Chinese listing shows."""
    html = response.content.decode()
    return {
        name
        for name in Purpose.objects.values_list("name_zh", flat=True)
        if re.search(rf">\s*{re.escape(name)}\s*<", html)
    }


@pytest.mark.parametrize("role", ["privacy_staff", "superuser"])
def test_the_purpose_listing_ignores_lookups(request, client, page_factory, role):
    user = request.getfixturevalue(role)
    page_factory("compatibility", owner=user)
    client.force_login(user)
    plain = purpose_rows(client.get(PURPOSE_LISTING))
    assert plain
    for hit, miss in [
        ("pages__owner__password__startswith=md5", "pages__owner__password__startswith=pbkdf2"),
        ("pages__owner__username=" + user.username, "pages__owner__username=nobody"),
    ]:
        on_hit, on_miss = client.get(f"{PURPOSE_LISTING}?{hit}"), client.get(f"{PURPOSE_LISTING}?{miss}")
        assert on_hit.status_code == on_miss.status_code == 200
        assert purpose_rows(on_hit) == purpose_rows(on_miss) == plain
    assert purpose_rows(client.get(PURPOSE_LISTING, {"q": "compatibility"})) < plain
    long = client.get(PURPOSE_LISTING, {"q": "x" * 60000})
    assert long.status_code == 400
    assert not purpose_rows(long)


@pytest.fixture
def downloaded_document(settings, tmp_path, privacy_officer):
    settings.MEDIA_ROOT = tmp_path / "media"
    doc = get_document_model()(title="Cloud white paper", uploaded_by_user=privacy_officer)
    doc.file.save("white-paper.pdf", ContentFile(b"%PDF-1.4\n"), save=False)
    doc.save()
    DocumentDownload.objects.create(document=doc)
    return doc


@pytest.mark.parametrize("role", ["privacy_officer", "superuser"])
def test_the_downloads_report_ignores_lookups(request, client, downloaded_document, role):
    client.force_login(request.getfixturevalue(role))
    url = reverse("sms_downloads_report")
    hit = client.get(url + "?uploaded_by_user__password__startswith=md5")
    miss = client.get(url + "?uploaded_by_user__password__startswith=pbkdf2")
    assert hit.status_code == miss.status_code == 200
    assert hit.content.count(b"Cloud white paper") == miss.content.count(b"Cloud white paper") >= 1
    long = client.get(url, {"q": "x" * 60000})
    assert long.status_code == 400
    assert b"Cloud white paper" not in long.content


def submission_ids(response) -> set[str]:
    return set(re.findall(r'name="selected-submissions"[^>]*value="(\d+)"', response.content.decode()))


@pytest.fixture
def dated_submissions(page_factory, privacy_officer):
    page = page_factory("compatibility", owner=privacy_officer)
    old, new = (
        CampaignSubmission.objects.create(
            page=page, purpose=page.purpose, consent_at=timezone.now(), form_data={"name": name}
        )
        for name in ("Early Visitor", "Late Visitor")
    )
    CampaignSubmission.objects.filter(pk=old.pk).update(
        submit_time=timezone.now() - datetime.timedelta(days=30)
    )
    return page, old, new


@pytest.mark.parametrize("role", ["privacy_officer", "superuser"])
def test_the_submissions_listing_keeps_its_date_filter_and_ignores_lookups(
    request, client, dated_submissions, role
):
    page, old, new = dated_submissions
    client.force_login(request.getfixturevalue(role))
    url = reverse("wagtailforms:list_submissions", args=(page.pk,))
    everything = {str(old.pk), str(new.pk)}
    assert submission_ids(client.get(url)) == everything
    hit = client.get(url + "?page__owner__password__startswith=md5")
    miss = client.get(url + "?page__owner__password__startswith=pbkdf2")
    assert submission_ids(hit) == submission_ids(miss) == everything
    since = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    assert submission_ids(client.get(url, {"date_from": since})) == {str(new.pk)}
    assert submission_ids(client.get(url, {"date_from": "not-a-date"})) == everything
    assert client.get(url, {"q": "x" * 60000}).status_code == 400


def test_the_submissions_export_honours_the_listing_date_filter(client, dated_submissions, privacy_officer):
    page, _old, _new = dated_submissions
    client.force_login(privacy_officer)
    since = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    url = reverse("wagtailforms:list_submissions", args=(page.pk,))
    response = client.get(
        url, {"export": "csv", "date_from": since, "page__owner__password__startswith": "md5"}
    )
    assert response.status_code == 200
    exported = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "Late Visitor" in exported
    assert "Early Visitor" not in exported
    record = ExportRecord.objects.get()
    assert record.filters == {"date_from": since}
    assert record.row_count == 1


# --- every listing of the project is covered --------------------------------------------------


def project_subclasses(base):
    found, todo = set(), [base]
    while todo:
        for cls in todo.pop().__subclasses__():
            todo.append(cls)
            if cls.__module__.split(".")[0] in PROJECT_APPS:
                found.add(cls)
    return found


def test_every_modeladmin_of_the_project_accepts_only_declared_parameters():
    admins = project_subclasses(ModelAdmin)
    assert any(cls.__name__ == "RightsRequestAdmin" for cls in admins)
    for cls in admins:
        assert issubclass(cls.index_view_class, DeclaredParametersMixin), cls


def test_every_wagtail_listing_of_the_project_bounds_its_search():

    views = {cls for cls in project_subclasses(BaseListingView) if "Mixin" not in cls.__name__}
    views |= {cls.index_view_class for cls in project_subclasses(SnippetViewSet)}
    assert len(views) >= 3
    for view in views:
        assert issubclass(view, BoundedSearchMixin), view
    assert sys.modules.get("core.admin_listing")
