"""Set up and check a load run against the running site's database (production settings).

    prepare.py setup            -> JSON: page id and URL, admin list URLs, a staff session
    prepare.py verify FILE      -> checks the client's outcomes file against the database
    prepare.py queue            -> JSON: task rows by status (django-tasks database backend)

``setup`` creates (once) a live campaign page for the roadshow purpose with the fields
the purpose requires and one non-personal question, "Batch tag", which the load client
fills with a unique marker per submission; ``verify`` proves each accepted marker is
stored exactly once and no refused one is stored.
"""

import json
import os
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.production")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402
from django_tasks_db.models import DBTaskResult  # noqa: E402

from forms import catalogue  # noqa: E402
from forms.choices import RowKind  # noqa: E402
from forms.models import (  # noqa: E402
    CampaignFormField,
    CampaignFormPage,
    CampaignIndexPage,
    CampaignSubmission,
    Purpose,
)
from home.models import HomePage  # noqa: E402

SLUG = "load-roadshow"
MARKER_LABEL = "Batch tag"
STAFF_USERNAME = "load-staff"
PREFERRED_PURPOSES = ("event", "training", "registration")


@transaction.atomic
def ensure_page() -> CampaignFormPage:
    page = CampaignFormPage.objects.filter(slug=SLUG).first()
    if page is not None:
        return page
    purposes = {p.code: p for p in Purpose.objects.filter(sms_required=True).prefetch_related("fields")}
    purpose = next((purposes[c] for c in PREFERRED_PURPOSES if c in purposes), None)
    if purpose is None:
        raise SystemExit("No purpose requires SMS verification; load the policy whitelist first.")
    rows = [
        CampaignFormField(kind=RowKind.PERSONAL, field_key=allowed.field_key, required=True)
        for allowed in purpose.fields.all()
        if allowed.required and allowed.field_key not in catalogue.ALWAYS_OPTIONAL_KEYS
    ]
    if not any(row.field_key == "mobile" for row in rows):
        rows.append(CampaignFormField(kind=RowKind.PERSONAL, field_key="mobile", required=True))
    rows.append(
        CampaignFormField(kind=RowKind.QUESTION, label=MARKER_LABEL, field_type="singleline", required=True)
    )
    parent = CampaignIndexPage.objects.first() or HomePage.objects.first()
    if parent is None:
        raise SystemExit("No home page; run manage.py load_demo_site first.")
    page = CampaignFormPage(
        title="Roadshow load test",
        slug=SLUG,
        purpose=purpose,
        cities="北京\n上海\n广州",
        to_address="events@example.com",
        from_address="noreply@example.com",
        subject="Roadshow registration",
        form_fields=rows,
    )
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page


def staff_session() -> str:
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=STAFF_USERNAME,
        defaults={"is_staff": True, "is_superuser": True, "email": "staff@example.com"},
    )
    if created:
        user.set_unusable_password()
        user.save()
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client.cookies["sessionid"].value


def setup() -> dict:
    page = ensure_page().specific
    return {
        "page_id": page.pk,
        "page_path": page.get_url(),
        "purpose": page.purpose.code,
        "submissions_path": reverse("wagtailforms:list_submissions", args=[page.pk]),
        "requests_path": "/admin/rights_requests/rightsrequest/",
        "session": staff_session(),
    }


def verify(path: str) -> dict:
    outcomes = [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
    run = {o["run"] for o in outcomes}
    page = CampaignFormPage.objects.get(slug=SLUG)
    marker_field = next(f.clean_name for f in page.form_fields.all() if f.label == MARKER_LABEL)
    stored = Counter()
    for data in CampaignSubmission.objects.filter(page=page).values_list("form_data", flat=True):
        marker = str(data.get(marker_field, ""))
        if marker.split("-", 1)[0] in run:
            stored[marker] += 1
    accepted = {o["marker"] for o in outcomes if o["outcome"] == "accepted"}
    refused = {o["marker"] for o in outcomes if o["outcome"] == "refused"}
    unknown = {o["marker"] for o in outcomes if o["outcome"] == "unknown"}
    return {
        "accepted": len(accepted),
        "refused_4xx": len(refused),
        "unknown_outcome": len(unknown),
        "unknown_stored": sum(1 for m in unknown if stored[m]),
        "stored_rows": sum(stored.values()),
        "lost": sum(1 for m in accepted if stored[m] == 0),
        "duplicates": sum(count - 1 for count in stored.values() if count > 1),
        "stored_after_refusal": sum(1 for m in refused if stored[m]),
    }


def queue() -> dict:
    return dict(Counter(DBTaskResult.objects.values_list("status", flat=True)))


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "setup"
    if command == "setup":
        result = setup()
    elif command == "verify":
        result = verify(sys.argv[2])
    elif command == "queue":
        result = queue()
    else:
        raise SystemExit(f"unknown command {command!r}")
    print(json.dumps(result))
