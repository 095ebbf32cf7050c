"""Campaign form throughput and subject lookup.

1. Submissions per second through a CampaignFormPage (whitelist, validation with
   ``phonenumbers`` and GB 11643, encryption of the ID number, subject hashes) versus a
   plain Wagtail ``AbstractEmailForm`` page with the same five fields, same run, same
   method: Django's test client posting to the page's URL, SQLite. Target ratio >= 1.0.
2. Finding one person's submissions by mobile among N rows through the indexed subject
   hashes versus a JSON-field scan of Wagtail's own submissions table holding the same
   data. Target <= 5 ms.
"""

import datetime
import json
import statistics
import time
from urllib.parse import urlencode

from django.db import connection, models, transaction
from django.test import Client
from modelcluster.fields import ParentalKey
from wagtail.contrib.forms.models import AbstractEmailForm, AbstractFormField, FormSubmission
from wagtail.models import Page, Site

from core import crypto
from forms.choices import RowKind
from forms.models import CampaignFormField, CampaignFormPage, CampaignSubmission, Purpose, SubjectHash
from forms.selectors import submissions_for_subject
from forms.services import submission_create
from home.models import HomePage, PrivacyPolicyIndexPage, PrivacyPolicyPage

FIVE_FIELDS = ["name", "mobile", "email", "id_card_number", "company"]
ID_NUMBER = "11010519491231002X"


def _plain_models():
    """A plain ``AbstractEmailForm`` page model, created for this process only."""

    class BenchPlainFormPage(AbstractEmailForm):
        template = "forms/campaign_form_page.html"
        landing_page_template = "forms/campaign_form_page_landing.html"

        class Meta:
            app_label = "forms"

    class BenchPlainFormField(AbstractFormField):
        page = ParentalKey(BenchPlainFormPage, on_delete=models.CASCADE, related_name="form_fields")

        class Meta(AbstractFormField.Meta):
            app_label = "forms"

    with connection.schema_editor() as editor:
        editor.create_model(BenchPlainFormPage)
        editor.create_model(BenchPlainFormField)
    return BenchPlainFormPage, BenchPlainFormField


def _site(slug: str = "bench-home"):
    """A home page as the default site's root, with a published policy (one per benchmark: ``slug``)."""
    root = Page.get_first_root_node()
    home = HomePage(title="首页", slug=slug)
    root.add_child(instance=home)
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={"hostname": "localhost", "port": 80, "root_page": home, "site_name": "Bench"},
    )
    index = PrivacyPolicyIndexPage(title="隐私政策", slug="privacy")
    home.add_child(instance=index)
    policy = PrivacyPolicyPage(
        title="隐私政策",
        slug="v1",
        version_label="2023-03-07",
        updated_date=datetime.date(2023, 3, 7),
        effective_date=datetime.date(2023, 3, 7),
        body="<p>政策</p>",
    )
    index.add_child(instance=policy)
    policy.save_revision().publish()
    return home


def _pages(home):
    plain_page_model, plain_field_model = _plain_models()
    campaign = CampaignFormPage(
        title="合作伙伴升级",
        slug="campaign",
        purpose=Purpose.objects.get(code="partner_upgrade"),
        # no thank-you text: both pages then render the same landing page
        thank_you_text="",
        form_fields=[
            CampaignFormField(kind=RowKind.PERSONAL, field_key=k, required=True) for k in FIVE_FIELDS
        ],
    )
    home.add_child(instance=campaign)
    campaign.save_revision().publish()

    types = {"email": "email"}
    plain = plain_page_model(
        title="普通表单",
        slug="plain",
        form_fields=[
            plain_field_model(label=k, clean_name=k, field_type=types.get(k, "singleline"), required=True)
            for k in FIVE_FIELDS
        ],
    )
    home.add_child(instance=plain)
    plain.save_revision().publish()
    return campaign, plain, plain_page_model


def _post(client, url, data) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one POST (SQLite runs in-process, so CPU time includes it)."""
    body = urlencode(data)  # what a browser sends for a form without file inputs
    wall, cpu = time.perf_counter(), time.process_time()
    response = client.post(url, body, content_type="application/x-www-form-urlencoded")
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}")
    return wall, cpu


def _payloads(count, offset, *, consent):
    out = []
    for i in range(count):
        data = {
            "name": f"用户{offset + i}",
            "mobile": f"139{(offset + i) % 100_000_000:08d}",
            "email": f"user{offset + i}@example.com",
            "id_card_number": ID_NUMBER,
            "company": "示例科技有限公司",
        }
        if consent:
            data["consent"] = "on"
        out.append(data)
    return out


def throughput(*, quick: bool) -> None:
    home = _site()
    campaign, plain, _plain_model = _pages(home)
    client = Client()
    count = 100 if quick else 1000
    for data in _payloads(20, 0, consent=True):
        _post(client, campaign.url, data)
    for data in _payloads(20, 0, consent=False):
        _post(client, plain.url, data)

    # Interleave the two pages request by request, so load on the machine and the
    # growth of the database weigh on both equally.
    totals = {"campaign": [0.0, 0.0], "plain": [0.0, 0.0]}
    for with_consent, without in zip(
        _payloads(count, 100_000, consent=True), _payloads(count, 100_000, consent=False), strict=True
    ):
        for name, url, data in (("campaign", campaign.url, with_consent), ("plain", plain.url, without)):
            wall, cpu = _post(client, url, data)
            totals[name][0] += wall
            totals[name][1] += cpu

    stored = CampaignSubmission.objects.filter(page=campaign).count()
    sample = CampaignSubmission.objects.filter(page=campaign).latest("pk")
    assert sample.form_data["id_card_number"].startswith("***"), "ID number stored in clear"
    print(f"{count} form POSTs per page, interleaved (Django test client, SQLite, five fields)")
    print(f"{'':26s}{'wall clock':>22s}{'CPU time':>22s}")
    for name, label in (("campaign", "CampaignFormPage"), ("plain", "plain AbstractEmailForm")):
        wall, cpu = totals[name]
        print(f"{label:26s}{count / wall:12.1f} submissions/s{count / cpu:12.1f} submissions/s")
    wall_ratio = totals["plain"][0] / totals["campaign"][0]
    cpu_ratio = totals["plain"][1] / totals["campaign"][1]
    print(f"{'ratio campaign/plain':26s}{wall_ratio:12.2f}{'':15s}{cpu_ratio:12.2f}   (target >= 1.0)")
    print(f"campaign submissions stored: {stored}; ID number stored as {sample.form_data['id_card_number']}")
    pipeline(campaign, plain, count=count)


def pipeline(campaign, plain, *, count: int) -> None:
    """The submission step alone, without routing and templates: our pipeline (whitelist,
    validation, encryption, subject hashes, two inserts in one transaction) against Wagtail's
    own (build the form from its rows, validate, insert)."""
    campaign = type(campaign).objects.get(pk=campaign.pk)
    plain = type(plain).objects.get(pk=plain.pk)
    ours = plains = 0.0
    for with_consent, without in zip(
        _payloads(count, 500_000, consent=True), _payloads(count, 500_000, consent=False), strict=True
    ):
        del with_consent["consent"]
        started = time.process_time()
        submission_create(
            page=campaign, data=with_consent, consent=True, verification_token=None, ip="192.0.2.1"
        )
        ours += time.process_time() - started
        started = time.process_time()
        form = plain.get_form(without, page=plain)
        if not form.is_valid():
            raise RuntimeError(form.errors)
        plain.process_form_submission(form)
        plains += time.process_time() - started
    print(
        f"submission step alone (CPU): campaign {ours / count * 1e6:.0f} µs, "
        f"plain {plains / count * 1e6:.0f} µs per submission; ratio {plains / ours:.2f}"
    )


def lookup(*, quick: bool) -> None:
    rows = 50_000 if quick else 1_000_000
    chunk = 50_000
    campaign = CampaignFormPage.objects.get(slug="campaign")
    plain_id = FormSubmission._meta.get_field("page").related_model.objects.get(slug="plain").pk
    submission_table = CampaignSubmission._meta.db_table
    hash_table = SubjectHash._meta.db_table
    plain_table = FormSubmission._meta.db_table
    now = datetime.datetime.now(datetime.UTC).isoformat(sep=" ")
    start_id = (CampaignSubmission.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    policy_id = CampaignSubmission.objects.values_list("policy_version_id", flat=True).first()

    def mobile(i):
        return f"+86137{i:08d}"

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for base in range(0, rows, chunk):
            batch = range(base, min(rows, base + chunk))
            forms = [
                json.dumps(
                    {"name": f"用户{i}", "mobile": mobile(i), "email": f"u{i}@example.com"},
                    ensure_ascii=False,
                )
                for i in batch
            ]
            cursor.executemany(
                f"INSERT INTO {submission_table} (id, form_data, page_id, submit_time, purpose_id, "  # noqa: S608
                "policy_version_id, consent_at, is_minor, guardian_consent, sensitive_data) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, 0, 0, '')",
                [
                    (start_id + i, f, campaign.pk, now, campaign.purpose_id, policy_id, now)
                    for i, f in zip(batch, forms, strict=True)
                ],
            )
            cursor.executemany(
                f"INSERT INTO {hash_table} (submission_id, kind, value_hash) VALUES (%s, 'mobile', %s)",  # noqa: S608
                [(start_id + i, crypto.mobile_hash(mobile(i))) for i in batch],
            )
            cursor.executemany(
                f"INSERT INTO {plain_table} (form_data, page_id, submit_time) VALUES (%s, %s, %s)",  # noqa: S608
                [(f, plain_id, now) for f in forms],
            )
    print(f"N = {rows:,} submissions in each table (generated in {time.perf_counter() - started:.1f} s)")

    probes = [mobile(i) for i in range(7, rows, max(1, rows // 50))][:50]
    indexed = []
    for e164 in probes:
        t0 = time.perf_counter()
        found = list(submissions_for_subject(mobile=e164))
        indexed.append((time.perf_counter() - t0) * 1000)
        assert len(found) == 1 and found[0].form_data["mobile"] == e164
    scans = []
    for e164 in probes[:3]:
        t0 = time.perf_counter()
        found = list(FormSubmission.objects.filter(page_id=plain_id, form_data__mobile=e164))
        scans.append((time.perf_counter() - t0) * 1000)
        assert len(found) == 1
    p95 = statistics.quantiles(indexed, n=20)[-1]
    print(
        f"by mobile via SubjectHash index   median {statistics.median(indexed):8.2f} ms, "
        f"p95 {p95:.2f} ms, max {max(indexed):.2f} ms over {len(indexed)} lookups (target <= 5 ms)"
    )
    print(
        f"JSON-field scan of Wagtail's table median {statistics.median(scans):8.2f} ms over {len(scans)} lookups"
    )


def run(*, quick: bool = False) -> None:
    throughput(quick=quick)
    lookup(quick=quick)
