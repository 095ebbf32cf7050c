"""Exporting 100,000 campaign submissions to CSV and XLSX: time and peak memory.

The rows go through the data tools' own background export: ``export_start`` queues
``run_export``, which the immediate task backend runs (the import-export resource,
``iterator(chunk_size=...)``, the csv writer or openpyxl's write-only workbook, a file
in private storage). Each export runs in a fresh child process that resets its peak
resident set size (``/proc/self/clear_refs``) just before the export and reads it back
after, so the figure is the whole process's peak while exporting, Django and Wagtail
included, and the timing carries no tracing overhead. Target: <= 150 MB.
"""

import json
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from wagtail.models import Page

from benchmarks import child_command
from datatools.choices import ExportKind
from datatools.services import export_start, private_dir
from forms.choices import RowKind
from forms.models import CampaignFormField, CampaignFormPage, CampaignSubmission, Purpose

ROWS = 100_000
QUICK_ROWS = 2_000
BATCH = 5_000
TARGET_MB = 150
PAYLOADS = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1)"]


def _campaign_page():
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
            child_command("exports", file_format, str(page.purpose_id), str(user.pk), str(outdir)),
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
        growth = figures["peak_rss_mb"] - figures["rss_before_mb"]
        verdict = "ok" if figures["peak_rss_mb"] <= TARGET_MB else "OVER TARGET"
        note = "" if figures["peak_reset"] else " (peak could not be reset: includes start-up)"
        print(
            f"{file_format.upper():4} {figures['rows']:,} rows in {figures['seconds']:.1f} s "
            f"({figures['rows'] / max(figures['seconds'], 1e-9):,.0f} rows/s), "
            f"file {figures['size_mb']:.1f} MB; "
            f"peak RSS of the process during the export {figures['peak_rss_mb']:.1f} MB{note} "
            f"(+{growth:.1f} MB over the {figures['rss_before_mb']:.1f} MB it held before) "
            f"— target <= {TARGET_MB} MB: {verdict}"
        )


def _memory_kb() -> dict[str, int]:
    """Current and peak resident set size of this process (Linux /proc)."""
    status = Path("/proc/self/status").read_text()
    return {key: int(re.search(rf"{key}:\s+(\d+)", status).group(1)) for key in ("VmRSS", "VmHWM")}


def _reset_peak() -> bool:
    """Reset the peak RSS to the current RSS (Linux >= 4.0); False where that is not allowed."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def child(arguments: list[str]) -> None:
    """One export in this fresh process: ``FORMAT PURPOSE_ID USER_ID OUTDIR``; prints its figures as JSON."""
    file_format, purpose_id, user_id, outdir = arguments
    settings.PRIVATE_MEDIA_ROOT = Path(outdir)
    user = get_user_model().objects.get(pk=int(user_id))
    purpose = Purpose.objects.get(pk=int(purpose_id))
    reset = _reset_peak()
    before = _memory_kb()
    started = time.perf_counter()
    # Queued as a background task; the immediate task backend runs it on commit, as a worker would.
    record = export_start(
        user=user,
        kind=ExportKind.SUBMISSIONS,
        file_format=file_format,
        purpose=purpose,
        force_background=True,
    )
    seconds = time.perf_counter() - started
    after = _memory_kb()
    record.refresh_from_db()
    path = private_dir("exports") / record.file_name
    size = path.stat().st_size
    path.unlink()
    print(
        json.dumps(
            {
                "rows": record.row_count,
                "seconds": seconds,
                "size_mb": size / 1048576,
                "rss_before_mb": before["VmRSS"] / 1024,
                "peak_rss_mb": after["VmHWM"] / 1024,
                "peak_reset": reset,
            }
        )
    )
