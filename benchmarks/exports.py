"""Exporting 100,000 campaign submissions to CSV and XLSX: time and peak memory.

The rows are written through the data tools' own background export (``export_start``
queues ``run_export``, which the immediate task backend runs: the import-export resource, ``iterator(chunk_size=...)``, the csv
writer or openpyxl's write-only workbook, a private file). Each export runs in a fresh
child process so that its memory is its own: the child reports the tracemalloc peak
of the export and how far its maximum resident set size (``resource.getrusage``) grew
during the export; the larger of the two is the export's peak. Target: <= 150 MB
(the process itself, Django and Wagtail loaded, starts well above 100 MB on its own).
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROWS = 100_000
QUICK_ROWS = 2_000
BATCH = 5_000
TARGET_MB = 150
PAYLOADS = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1)"]


def _campaign_page():
    from wagtail.models import Page

    from forms.choices import RowKind
    from forms.models import CampaignFormField, CampaignFormPage, Purpose

    purpose = Purpose.objects.get(code="event")
    rows = [
        CampaignFormField(kind=RowKind.PERSONAL, field_key=key, required=True)
        for key in ("name", "company", "email", "mobile", "intended_city")
    ]
    page = CampaignFormPage(
        title="Bench roadshow",
        slug=f"bench-exports-{int(time.time() * 1000)}",
        purpose=purpose,
        cities="北京\n上海\n深圳",
        form_fields=rows,
    )
    Page.get_first_root_node().add_child(instance=page)
    return page


def _fill(page, count: int) -> float:
    from django.db import transaction
    from django.utils import timezone

    from forms.models import CampaignSubmission

    started = time.perf_counter()
    now = timezone.now()
    made = 0
    while made < count:
        size = min(BATCH, count - made)
        batch = []
        for i in range(made, made + size):
            name = PAYLOADS[i % len(PAYLOADS)] if i % 50 == 0 else f"参会者{i:06d}"
            batch.append(
                CampaignSubmission(
                    page_id=page.pk,
                    purpose_id=page.purpose_id,
                    consent_at=now,
                    form_data={
                        "name": name,
                        "company": f"示例科技有限公司{i % 997}",
                        "email": f"user{i}@example.com",
                        "mobile": f"+86138{i:08d}",
                        "intended_city": ("北京", "上海", "深圳")[i % 3],
                    },
                )
            )
        with transaction.atomic():
            CampaignSubmission.objects.bulk_create(batch)
        made += size
    return time.perf_counter() - started


def _superuser():
    from django.contrib.auth import get_user_model

    User = get_user_model()
    user, _created = User.objects.get_or_create(
        username="bench-exports", defaults={"is_superuser": True, "is_staff": True}
    )
    return user


def run(quick: bool = False) -> None:
    count = QUICK_ROWS if quick else ROWS
    page = _campaign_page()
    user = _superuser()
    seconds = _fill(page, count)
    print(f"filled {count:,} submissions in {seconds:.1f} s")
    outdir = tempfile.mkdtemp(prefix="policyforms-bench-exports-")
    for file_format in ("csv", "xlsx"):
        result = subprocess.run(  # noqa: S603 - our own interpreter and arguments
            [
                sys.executable,
                "-m",
                "benchmarks.exports",
                file_format,
                str(page.purpose_id),
                str(user.pk),
                str(outdir),
            ],
            capture_output=True,
            text=True,
            env=os.environ.copy(),
            cwd=str(Path(__file__).resolve().parent.parent),
            check=False,
        )
        if result.returncode != 0:
            print(f"{file_format}: child failed\n{result.stderr[-2000:]}")
            continue
        figures = json.loads(result.stdout.strip().splitlines()[-1])
        growth = figures["maxrss_mb"] - figures["rss_before_mb"]
        peak = max(figures["tracemalloc_peak_mb"], growth)
        verdict = "ok" if peak <= TARGET_MB else "OVER TARGET"
        print(
            f"{file_format.upper():4} {figures['rows']:,} rows in {figures['seconds']:.1f} s "
            f"({figures['rows'] / max(figures['seconds'], 1e-9):,.0f} rows/s), "
            f"file {figures['size_mb']:.1f} MB; "
            f"tracemalloc peak {figures['tracemalloc_peak_mb']:.1f} MB; "
            f"RSS growth {growth:.1f} MB (process max RSS {figures['maxrss_mb']:.1f} MB, "
            f"{figures['rss_before_mb']:.1f} MB of it before the export) "
            f"— export peak {peak:.1f} MB, target <= {TARGET_MB} MB: {verdict}"
        )


def _child(file_format: str, purpose_id: int, user_id: int, outdir: str) -> None:
    import resource
    import tracemalloc

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.test")
    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from forms.datatools.choices import ExportKind
    from forms.datatools.services import export_start, private_dir
    from forms.models import Purpose

    settings.PRIVATE_MEDIA_ROOT = Path(outdir)
    user = get_user_model().objects.get(pk=user_id)
    purpose = Purpose.objects.get(pk=purpose_id)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tracemalloc.start()
    started = time.perf_counter()
    # Queued as a background task; the immediate task backend runs it on commit, as a worker would.
    record = export_start(
        user=user,
        kind=ExportKind.SUBMISSIONS,
        file_format=file_format,
        purpose=purpose,
        force_background=True,
    )
    record.refresh_from_db()
    path = private_dir("exports") / record.file_name
    seconds = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    size = path.stat().st_size
    path.unlink()
    for leftover in private_dir("exports").iterdir():
        leftover.unlink()
    print(
        json.dumps(
            {
                "rows": record.row_count,
                "seconds": seconds,
                "size_mb": size / 1048576,
                "tracemalloc_peak_mb": peak / 1048576,
                "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "rss_before_mb": rss_before,
            }
        )
    )


if __name__ == "__main__":
    _child(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
