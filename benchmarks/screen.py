"""The whitelist screen: its table's false negatives and positives, and how fast it reads.

Counts come from the labelled table in ``tests/forms/screen_cases.py`` (bad rows that must
be refused or reviewed, innocent rows that must pass). Timing: screening one row, after
the term list is compiled, against an anchor in the same run — a plain substring scan of the
same terms over the same text, with no folding at all.
"""

import time

from forms.review import table_counts
from forms.screen import _stored_terms, build_matcher, catalogue_terms, row_findings
from tests.forms.screen_cases import BAD, INNOCENT


def run(quick=False):
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
    texts = [f"{r.label} {r.help_text} {r.choices} {r.default_value}".casefold() for r in rows]
    terms = [t.term.casefold() for t in _terms()]
    started = time.perf_counter()
    for _ in range(repeat):
        for text in texts:
            [t for t in terms if t in text]
    anchor = (time.perf_counter() - started) / (repeat * len(rows))
    print(
        f"screening one row: {per_row * 1e6:.0f} µs   | anchor, a plain substring scan of the same "
        f"{len(terms)} terms without any folding: {anchor * 1e6:.0f} µs"
    )


def _terms():
    return [*_stored_terms(), *catalogue_terms()]
