"""Fulfilment of rights at scale.

1. Find one person among N campaign submissions through the subject hashes
   (``rights_requests.fulfilment.selectors.find_person``). Target <= 5 ms.
2. Build the access package (JSON + spreadsheet, encrypted at rest) for a person with
   1,000 records. Target < 2 s.
3. Erase those 1,000 records in one transaction (tombstones, hashes and encrypted
   values dropped, ledger entry written). Target < 2 s.
"""

import datetime
import json
import statistics
import time

from django.db import connection, transaction
from django.utils import timezone
from wagtail.models import Page

from core import crypto
from forms.choices import RowKind
from forms.models import CampaignFormField, CampaignFormPage, CampaignSubmission, Purpose, SubjectHash
from home.models import HomePage, PrivacyPolicyIndexPage, PrivacyPolicyPage
from rights_requests.choices import IdentifierProof
from rights_requests.fulfilment import services
from rights_requests.fulfilment.selectors import find_person, subject_for, submissions_of
from rights_requests.models import RightsRequest, due_date_for

PERSON_MOBILE = "+8615899990001"  # a number no other benchmark in the same database uses
PERSON_EMAIL = "bench.person@example.com"
PERSON_ID = "11010519491231002X"
PERSON_RECORDS = 1000


def _campaign():
    root = Page.get_first_root_node()
    home = HomePage(title="Fulfilment bench", slug="fulfilment-bench")
    root.add_child(instance=home)
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
    purpose = Purpose.objects.get(code="partner_upgrade")
    rows = [
        CampaignFormField(kind=RowKind.PERSONAL, field_key=key, required=True)
        for key in ("name", "mobile", "email", "id_card_number", "company")
    ]
    page = CampaignFormPage(
        title="伙伴升级", slug="fulfilment-bench-campaign", purpose=purpose, form_fields=rows
    )
    home.add_child(instance=page)
    return page, policy


def _fill(page, policy, rows: int) -> int:
    """Insert ``rows`` submissions of distinct people (raw SQL); returns the first id used."""
    submission_table = CampaignSubmission._meta.db_table
    hash_table = SubjectHash._meta.db_table
    now = datetime.datetime.now(datetime.UTC).isoformat(sep=" ")
    start_id = (CampaignSubmission.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    chunk = 50_000
    with transaction.atomic(), connection.cursor() as cursor:
        for base in range(0, rows, chunk):
            batch = range(base, min(rows, base + chunk))
            cursor.executemany(
                f"INSERT INTO {submission_table} (id, form_data, page_id, submit_time, purpose_id, "  # noqa: S608
                "policy_version_id, consent_at, is_minor, guardian_consent, sensitive_data) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, 0, 0, '')",
                [
                    (
                        start_id + i,
                        json.dumps(
                            {"name": f"用户{i}", "mobile": f"+86136{i:08d}", "company": "公司"},
                            ensure_ascii=False,
                        ),
                        page.pk,
                        now,
                        page.purpose_id,
                        policy.pk,
                        now,
                    )
                    for i in batch
                ],
            )
            cursor.executemany(
                f"INSERT INTO {hash_table} (submission_id, kind, value_hash) VALUES (%s, 'mobile', %s)",  # noqa: S608
                [(start_id + i, crypto.mobile_hash(f"+86136{i:08d}")) for i in batch],
            )
    return start_id


def _person(page, policy) -> list[int]:
    """One person with ``PERSON_RECORDS`` submissions, the ID number encrypted, both hashes indexed."""
    now = timezone.now()
    with transaction.atomic():
        submissions = CampaignSubmission.objects.bulk_create(
            [
                CampaignSubmission(
                    page_id=page.pk,
                    purpose_id=page.purpose_id,
                    policy_version_id=policy.pk,
                    consent_at=now,
                    form_data={
                        "name": "王芳",
                        "mobile": PERSON_MOBILE,
                        "email": PERSON_EMAIL,
                        "id_card_number": crypto.mask(PERSON_ID),
                        "company": f"云创科技 {i}",
                    },
                    sensitive_data=crypto.encrypt(json.dumps({"id_card_number": PERSON_ID})),
                )
                for i in range(PERSON_RECORDS)
            ],
            batch_size=500,
        )
        SubjectHash.objects.bulk_create(
            [
                SubjectHash(submission_id=s.pk, kind=kind, value_hash=value)
                for s in submissions
                for kind, value in (
                    ("mobile", crypto.mobile_hash(PERSON_MOBILE)),
                    ("email", crypto.email_hash(PERSON_EMAIL)),
                )
            ],
            batch_size=1000,
        )
    return [s.pk for s in submissions]


def _request():
    now = timezone.now()
    return RightsRequest.objects.create(
        reference="RR-BENCH-0001",
        status_token_encrypted=crypto.encrypt("bench"),
        request_type="copy",
        mobile_encrypted=crypto.encrypt(PERSON_MOBILE),
        mobile_hash=crypto.mobile_hash(PERSON_MOBILE),
        # Only a proven identifier finds records: the requester confirmed the mobile by SMS.
        mobile_proof=IdentifierProof.SMS,
        mobile_confirmed_at=now,
        received_at=now,
        due_date=due_date_for(now),
    )


def run(*, quick: bool = False) -> None:
    rows = 50_000 if quick else 1_000_000
    page, policy = _campaign()
    started = time.perf_counter()
    _fill(page, policy, rows)
    person_ids = _person(page, policy)
    print(f"N = {rows + PERSON_RECORDS:,} submissions (generated in {time.perf_counter() - started:.1f} s)")

    probes = [f"+86136{i:08d}" for i in range(11, rows, max(1, rows // 50))][:50]
    passes = []
    for _pass in range(2):
        timings = []
        for e164 in probes:
            t0 = time.perf_counter()
            person = find_person(subject_for(mobile=e164))
            timings.append((time.perf_counter() - t0) * 1000)
            assert len(person.submissions) == 1 and person.submissions[0].form_data["mobile"] == e164
        passes.append(timings)
    cold, warm = passes
    print(
        f"find one person (submissions, requests, consents) median {statistics.median(warm):.2f} ms, "
        f"max {max(warm):.2f} ms over {len(warm)} lookups (target <= 5 ms); "
        f"first touch of each row (cold database pages) median {statistics.median(cold):.2f} ms"
    )

    rr = _request()
    t0 = time.perf_counter()
    package = services.package_build(rights_request=rr)
    elapsed = time.perf_counter() - t0
    assert package.record_count == PERSON_RECORDS, (package.record_count, PERSON_RECORDS)
    print(
        f"access package for {package.record_count:,} records (JSON + XLSX, encrypted) "
        f"{elapsed:.2f} s (target < 2 s)"
    )

    subject = subject_for(mobile=PERSON_MOBILE)
    t0 = time.perf_counter()
    result = services.erase_submissions(
        submission_ids=person_ids, reason="request", reference=rr.reference, subject=subject
    )
    elapsed = time.perf_counter() - t0
    assert result.erased_count == PERSON_RECORDS
    assert not submissions_of(subject).exists()
    print(f"erase {result.erased_count:,} records in one transaction {elapsed:.2f} s (target < 2 s)")
