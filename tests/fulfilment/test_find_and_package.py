"""Finding a person and the access package: contents equal what is stored, the link is guarded."""

import hashlib
import io
import json
import re
import time

import pytest
from django.core import mail, signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from rights_requests.choices import Outcome, State
from rights_requests.fulfilment import services, tasks
from rights_requests.fulfilment.models import AccessPackage, FulfilmentStep
from rights_requests.fulfilment.selectors import find_person, subject_for
from rights_requests.fulfilment.tokens import package_token, read_package_token
from rights_requests.services import rights_request_verify

from .conftest import E164, EMAIL, ID_NUMBER, IP, MOBILE, approve_package, run, verified_request

pytestmark = pytest.mark.django_db


def test_find_person_by_mobile_or_email_across_purposes(person, other_person):
    by_mobile = find_person(subject_for(mobile=MOBILE))
    by_email = find_person(subject_for(email=EMAIL.upper()))
    assert {s.pk for s in by_mobile.submissions} == {s.pk for s in person}
    assert {s.purpose.code for s in by_mobile.submissions} == {"compatibility", "partner_upgrade", "event"}
    # The compatibility form has no e-mail: only the two with the address are found by it.
    assert {s.pk for s in by_email.submissions} == {person[1].pk, person[2].pk}
    assert other_person.pk not in {s.pk for s in by_mobile.submissions}
    assert [c["purpose"] for c in by_mobile.consents]


def test_find_person_goes_through_the_hash_index(person):
    with CaptureQueriesContext(connection) as queries:
        find_person(subject_for(mobile=MOBILE))
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert "forms_subjecthash" in sql
    assert "form_data" not in sql.split("WHERE", 1)[-1]
    assert E164 not in sql and MOBILE not in sql


def test_no_data_is_an_answer(pages, staff_user):
    rr = verified_request("access", mobile="13600000000", email="nobody@example.com")
    run(tasks.package_request, rights_request=rr, user=staff_user)
    rr.refresh_from_db()
    assert rr.state == State.ANSWERED
    assert rr.outcome == Outcome.FULFILLED
    assert "No data held" in rr.response
    assert FulfilmentStep.objects.get(rights_request=rr).kind == "no_data"


def _download(client, package, **params):
    url = reverse("fulfilment:package", kwargs={"token": package_token(package)})
    return client.get(url, params)


def test_package_contents_equal_what_is_stored(client, person, staff_user, privacy_officer):
    rr = verified_request("copy")
    run(tasks.package_request, rights_request=rr, user=staff_user)
    rr.refresh_from_db()
    # The copy holds the ID number in clear: it waits for a second person, and its link gives nothing.
    assert rr.state == State.VERIFIED
    held = AccessPackage.objects.get(rights_request=rr)
    assert held.clear_sensitive and held.released_at is None
    assert _download(client, held).status_code == 404
    package = approve_package(rr, privacy_officer)
    assert package.approved_by == privacy_officer and package.released_at is not None
    assert rr.state == State.ANSWERED
    assert package.record_count == 3
    assert str(package.record_count) in rr.response and package.sha256 in rr.response

    response = _download(client, package)
    assert response.status_code == 200
    body = response.content
    assert hashlib.sha256(body).hexdigest() == package.sha256
    document = json.loads(body)
    assert document["record_count"] == 3
    records = {r["record_id"]: r for r in document["records"]}
    for submission in person:
        submission.refresh_from_db()
        record = records[submission.pk]
        # Every personal value stored, decrypted for the requester (the ID number in clear).
        stored = {k: v for k, v in submission.unmasked_data().items()}
        assert record["fields"] == stored
        assert record["purpose_code"] == submission.purpose.code
        assert record["policy_version"] == "2023-03-07"
        # Times as the site shows them: Beijing time, with the offset.
        assert record["consent_at"] == timezone.localtime(submission.consent_at).isoformat()
        assert record["consent_at"].endswith("+08:00")
    assert records[person[1].pk]["fields"]["id_card_number"] == ID_NUMBER
    assert {c["purpose"] for c in document["consents"]} == {"compatibility", "partner_upgrade", "event"}
    assert rr.reference in {r["reference"] for r in document["rights_requests"]}
    # The link was e-mailed to the requester. Tokens carry their signing time, so compare what the
    # e-mailed token names, not its text.
    prefix = reverse("fulfilment:package", kwargs={"token": "TOKEN"}).split("TOKEN")[0]
    mailed = [
        read_package_token(match, max_age=60)
        for m in mail.outbox
        for match in re.findall(re.escape(prefix) + r"([^/\s?]+)", m.body)
    ]
    assert (package.pk, package.nonce) in mailed


def test_package_spreadsheet_has_chinese_columns_and_every_record(
    client, person, staff_user, privacy_officer
):
    rr = verified_request("access")
    run(tasks.package_request, rights_request=rr, user=staff_user)
    package = approve_package(rr, privacy_officer)
    response = _download(client, package, format="xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert "收集目的" in header and "手机号" in header and "身份证号码" in header
    assert len(rows) == 4
    mobiles = {row[header.index("手机号")] for row in rows[1:]}
    assert mobiles == {E164}
    assert ID_NUMBER in {row[header.index("身份证号码")] for row in rows[1:]}


def test_forged_foreign_and_expired_links(client, person, staff_user, privacy_officer, settings):
    rr = verified_request("copy")
    run(tasks.package_request, rights_request=rr, user=staff_user)
    package = approve_package(rr, privacy_officer)
    token = package_token(package)

    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get(reverse("fulfilment:package", kwargs={"token": forged})).status_code == 404
    # A token naming another package (a guessed id) without its secret nonce.
    other = signing.dumps({"p": package.pk, "n": "0" * 32}, salt="fulfilment.package-link.v1")
    assert client.get(reverse("fulfilment:package", kwargs={"token": other})).status_code == 404

    AccessPackage.objects.filter(pk=package.pk).update(expires_at=timezone.now())
    response = client.get(reverse("fulfilment:package", kwargs={"token": token}))
    assert response.status_code == 410
    assert b"package-gone" in response.content


def test_signature_older_than_seven_days_is_gone(client, person, staff_user, monkeypatch):
    rr = verified_request("copy")
    run(tasks.package_request, rights_request=rr, user=staff_user)
    package = AccessPackage.objects.get(rights_request=rr)
    token = package_token(package)

    real = time.time
    monkeypatch.setattr(signing.time, "time", lambda: real() + 7 * 86400 + 60)
    assert client.get(reverse("fulfilment:package", kwargs={"token": token})).status_code == 410


def test_next_of_kin_get_sensitive_values_masked(person, staff_user, privacy_officer):

    rr = run(
        __import__("rights_requests.services", fromlist=["x"]).rights_request_create,
        request_type="posthumous",
        mobile="13500000000",
        email="",
        details="My father passed away.",
        relationship="son",
        ip=IP,
    )

    evidence = SimpleUploadedFile("death.pdf", b"%PDF-1.4 evidence", content_type="application/pdf")
    run(
        rights_request_verify,
        rights_request=rr,
        user=staff_user,
        note="Death certificate seen",
        mobile_proof_note="Called the son back on this number.",
        evidence=evidence,
    )
    rr.refresh_from_db()
    with pytest.raises(services.FulfilmentError):
        services.package_deliver(rights_request=rr, user=staff_user)
    services.set_deceased(rights_request=rr, user=privacy_officer, mobile=MOBILE)
    rr = type(rr).objects.get(pk=rr.pk)
    package = run(services.package_deliver, rights_request=rr, user=staff_user)
    document = json.loads(services.package_content(package))
    assert document["record_count"] == 3
    values = [
        r["fields"].get("id_card_number") for r in document["records"] if "id_card_number" in r["fields"]
    ]
    assert values and ID_NUMBER not in values and values[0].endswith(ID_NUMBER[-4:])
