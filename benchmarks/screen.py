"""The whitelist screen: its table's false negatives and positives, and how fast it reads.

Counts come from the labelled table in ``tests/forms/screen_cases.py`` (bad rows that must
be refused or reviewed, innocent rows that must pass). Timing: screening one row, after
the term list is compiled, against an anchor in the same run — folding the same text with
NFKC alone, the step every Unicode-aware comparison pays anyway.
"""

import time
import unicodedata


def run(quick=False):
    from forms.screen import build_matcher, row_findings
    from forms.screen.report import table_counts
    from tests.forms.screen_cases import BAD, INNOCENT

    started = time.perf_counter()
    matcher = build_matcher()
    compile_s = time.perf_counter() - started
    counts = table_counts(BAD, INNOCENT)
    print(f"table: {counts['bad']} bad rows, {counts['innocent']} innocent rows")
    print(f"false negatives (bad rows allowed): {counts['false_negatives']}  {counts['missed']}")
    print(
        f"false positives (innocent rows refused or sent for review): {counts['false_positives']}  {counts['flagged']}"
    )
    print(
        f"bad rows caught with another verdict than expected: {len(counts['misjudged'])}  {counts['misjudged']}"
    )
    print(f"terms compiled: {matcher.size} in {compile_s * 1000:.0f} ms")

    rows = [row for row, _ in BAD + INNOCENT]
    repeat = 3 if quick else 20
    row_findings(rows[0])
    started = time.perf_counter()
    for _ in range(repeat):
        for row in rows:
            row_findings(row)
    per_row = (time.perf_counter() - started) / (repeat * len(rows))
    texts = [f"{r.label} {r.help_text} {r.choices} {r.default_value}" for r in rows]
    started = time.perf_counter()
    for _ in range(repeat):
        for text in texts:
            unicodedata.normalize("NFKC", text)
    anchor = (time.perf_counter() - started) / (repeat * len(rows))
    print(
        f"screening one row: {per_row * 1e6:.0f} µs   | anchor, NFKC of the same text: {anchor * 1e6:.1f} µs"
    )
