"""Refusing hostile spreadsheets next to checking ordinary ones: time and extra peak memory.

Each upload goes through the sign-up sheet import's own dry run, ``import_check`` (upload
size, archive inspection, XML scan, openpyxl's read-only streaming with row, column and
cell limits, then the submission validation of every row), in a fresh child process. The
child resets its peak resident set size (``/proc/self/clear_refs``) just before the check
and reads it back after, so "extra peak RSS" is what the check added to the process; a
second run of the same child under ``tracemalloc`` gives the peak of Python allocations
(its timing is not used, tracing slows it down). The anchors are ordinary 1,000-row CSV
and XLSX sheets checked, then imported (stored), in the same run; the peak covers both. Targets for the refusals: < 2 s and < 100 MB.

Cases:
- ``bomb``: a sheet whose XML holds 47 MB of repeated sign-up rows, deflated to ~150 KB
  (refused from the archive's central directory, nothing unpacked);
- ``lying``: the same archive declaring its sheet as 1,000 bytes (refused as damaged when
  the bytes read stop matching the member's CRC);
- ``laughs``: a billion-laughs sheet (refused by the XML scan);
- ``ceiling`` (not with ``--quick``): 5,000 rows, the most a sheet may have, checked in full;
- ``formatted`` (not with ``--quick``): a crafted sheet of formatted empty cells just under
  the XML cell budget, the slowest file the limits let through to openpyxl.
"""

import datetime
import json
import os
import re
import subprocess
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from openpyxl.utils import get_column_letter
from wagtail.models import Page

from benchmarks import child_command
from datatools.services import import_check, import_confirm
from forms.choices import RowKind
from forms.models import CampaignFormField, CampaignFormPage, Purpose
from home.models import HomePage, PrivacyPolicyIndexPage, PrivacyPolicyPage
from home.policy import POLICY_CACHE_KEY, current_policy
from tests.datatools import spreadsheets

TARGET_SECONDS = 2.0
TARGET_MB = 100
ANCHOR_ROWS = 1_000
KEYS = ("name", "company", "mobile", "mailing_address")


def _published_policy() -> None:
    """A published privacy-policy version for the imported rows to cite, unless one is in force."""
    cache.delete(POLICY_CACHE_KEY)
    if current_policy() is not None:
        return
    stamp = int(time.time() * 1000)
    home = Page.get_first_root_node().add_child(
        instance=HomePage(title="首页", slug=f"bench-imports-home-{stamp}")
    )
    index = home.add_child(instance=PrivacyPolicyIndexPage(title="隐私政策", slug="privacy"))
    policy = index.add_child(
        instance=PrivacyPolicyPage(
            title="隐私政策",
            slug="v1",
            version_label="2023-03-07",
            updated_date=datetime.date(2023, 3, 7),
            effective_date=datetime.date(2023, 3, 7),
            body="<p>政策</p>",
        )
    )
    policy.save_revision().publish()
    cache.delete(POLICY_CACHE_KEY)


def _campaign_page():
    rows = [CampaignFormField(kind=RowKind.PERSONAL, field_key=key, required=True) for key in KEYS]
    page = CampaignFormPage(
        title="Bench sign-up import",
        slug=f"bench-imports-{int(time.time() * 1000)}",
        purpose=Purpose.objects.get(code="compatibility"),
        form_fields=rows,
    )
    Page.get_first_root_node().add_child(instance=page)
    page.save_revision().publish()
    return page


def _superuser():
    user, _created = get_user_model().objects.get_or_create(
        username="bench-imports", defaults={"is_superuser": True, "is_staff": True}
    )
    return user


def _sign_up_rows(count: int) -> list[list[str]]:
    return [spreadsheets.HEADINGS] + [
        [f"参会者{i:05d}", f"示例科技{i % 97}", f"138{i:08d}", f"北京市朝阳区{i}号"] for i in range(count)
    ]


def _files(quick: bool) -> dict[str, tuple[str, bytes]]:
    rows = _sign_up_rows(ANCHOR_ROWS)
    files = {
        "anchor-csv": ("anchor.csv", "".join(",".join(r) + "\n" for r in rows).encode("utf-8")),
        "anchor-xlsx": ("anchor.xlsx", spreadsheets.workbook_bytes(rows)),
    }
    bomb = spreadsheets.bomb_xlsx()
    files["bomb"] = ("bomb.xlsx", bomb)
    files["lying"] = ("lying.xlsx", spreadsheets.declared_size(bomb, spreadsheets.SHEET, 1000))
    files["laughs"] = ("laughs.xlsx", spreadsheets.with_sheet(lambda s: s.write(spreadsheets.BILLION_LAUGHS)))
    if not quick:
        files["ceiling"] = ("ceiling.xlsx", spreadsheets.workbook_bytes(_sign_up_rows(5_000)))
        files["formatted"] = ("formatted.xlsx", _formatted_empty_cells())
    return files


def _formatted_empty_cells() -> bytes:
    """Rows of formatted empty cells, 299,000 in all (the XML cell budget is 300,000)."""
    letters = [get_column_letter(n).encode() for n in range(1, 1_001)]

    def write(stream):
        stream.write(spreadsheets.SHEET_HEAD + spreadsheets.SHEET_OPEN + b"<sheetData>")
        stream.write(spreadsheets.inline_row(spreadsheets.HEADINGS))
        for number in range(2, 301):
            cells = b"".join(b'<c r="%s%d" s="0"/>' % (letter, number) for letter in letters)
            stream.write(b'<row r="%d">%s</row>' % (number, cells))
        stream.write(b"</sheetData></worksheet>")

    return spreadsheets.with_sheet(write)


def _child_run(case: str, path: Path, *, page_id: int, user_id: int, outdir: str, trace: bool) -> dict:
    result = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        child_command(
            "imports", case, str(path), str(page_id), str(user_id), outdir, *(["--trace"] if trace else [])
        ),
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        cwd=str(Path(__file__).resolve().parent.parent),
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{case}: child failed\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def run(quick: bool = False) -> None:
    _published_policy()
    page = _campaign_page()
    user = _superuser()
    outdir = tempfile.mkdtemp(prefix="policyforms-bench-imports-")
    files = _files(quick)
    anchors = {}
    for case, (name, data) in files.items():
        path = Path(outdir) / name
        path.write_bytes(data)
        try:
            plain = _child_run(case, path, page_id=page.pk, user_id=user.pk, outdir=outdir, trace=False)
            traced = _child_run(case, path, page_id=page.pk, user_id=user.pk, outdir=outdir, trace=True)
        except RuntimeError as exc:
            print(exc)
            continue
        growth = plain["peak_rss_mb"] - plain["rss_before_mb"]
        note = "" if plain["peak_reset"] else " (peak could not be reset: includes start-up)"
        if plain["confirm_seconds"] is not None:
            outcome = (
                f"checked, then {plain['rows']:,} rows imported in {plain['confirm_seconds']:.2f} s more"
            )
        else:
            outcome = f"{plain['state']}: {plain['message'][:160]}"
        line = (
            f"{case:11} upload {len(data) / 1024:7.1f} KB (unpacks to {plain['unpacked_mb']:5.1f} MB): "
            f"{plain['seconds']:6.3f} s, +{growth:6.1f} MB peak RSS{note}, "
            f"{traced['traced_peak_mb']:6.1f} MB peak traced allocations — {outcome}"
        )
        if case.startswith("anchor"):
            anchors[case] = plain
        elif plain["state"] == "refused" and case in ("bomb", "lying", "laughs"):
            fits = plain["seconds"] < TARGET_SECONDS and growth < TARGET_MB
            line += (
                f" [target < {TARGET_SECONDS:g} s and < {TARGET_MB} MB: {'ok' if fits else 'OVER TARGET'}]"
            )
        print(line)
        path.unlink()
    for case, figures in anchors.items():
        print(
            f"anchor ({case}): an ordinary {ANCHOR_ROWS:,}-row sheet is checked in {figures['seconds']:.2f} s "
            f"and imported in {figures['confirm_seconds'] or 0:.2f} s more, in this run"
        )


def _memory_kb() -> dict[str, int]:
    status = Path("/proc/self/status").read_text()
    return {key: int(re.search(rf"{key}:\s+(\d+)", status).group(1)) for key in ("VmRSS", "VmHWM")}


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def child(arguments: list[str]) -> None:
    """One upload checked in this fresh process: ``CASE PATH PAGE_ID USER_ID OUTDIR [--trace]``;
    prints its figures as JSON."""
    case, path, page_id, user_id, outdir = arguments[:5]
    page_id, user_id, trace = int(page_id), int(user_id), "--trace" in arguments[5:]
    translation.activate("en")
    settings.PRIVATE_MEDIA_ROOT = Path(outdir) / "private"
    user = get_user_model().objects.get(pk=user_id)
    page = CampaignFormPage.objects.get(pk=page_id)
    data = Path(path).read_bytes()
    unpacked = len(data)
    if zipfile.is_zipfile(path):
        unpacked = sum(i.file_size for i in zipfile.ZipFile(path).infolist())
    uploaded = SimpleUploadedFile(Path(path).name, data)
    import_check(user=user, page=page, uploaded=SimpleUploadedFile("warm-up.csv", b"x\n"))  # imports, caches
    if trace:
        tracemalloc.start()
    reset = _reset_peak()
    before = _memory_kb()
    started = time.perf_counter()
    record, _check = import_check(user=user, page=page, uploaded=uploaded)
    seconds = time.perf_counter() - started
    confirm_seconds = None
    if record.state == "previewed":
        started = time.perf_counter()
        import_confirm(record=record, user=user)
        confirm_seconds = time.perf_counter() - started
    after = _memory_kb()
    traced_peak = tracemalloc.get_traced_memory()[1] if trace else 0
    print(
        json.dumps(
            {
                "case": case,
                "state": record.state,
                "message": record.message,
                "rows": record.row_count,
                "seconds": seconds,
                "confirm_seconds": confirm_seconds,
                "unpacked_mb": unpacked / 1048576,
                "rss_before_mb": before["VmRSS"] / 1024,
                "peak_rss_mb": after["VmHWM"] / 1024,
                "peak_reset": reset,
                "traced_peak_mb": traced_peak / 1048576,
            },
            ensure_ascii=False,
        )
    )
