"""Counts of a labelled table of rows against the screen (for tests and ``make bench``)."""


def table_counts(bad, innocent, *, purpose_code="event") -> dict:
    """False negatives (bad rows allowed) and false positives (innocent rows not allowed).

    ``bad`` and ``innocent`` are lists of ``(row, expected verdict)``; a bad row counts as
    caught when it is refused or sent for review, and ``misjudged`` lists the bad rows
    whose verdict differs from the one expected.
    """
    from forms.choices import RowKind
    from forms.models import CampaignFormField, Purpose
    from forms.review import Verdict, page_screen

    purpose = Purpose.objects.get(code=purpose_code)
    mobile = CampaignFormField(kind=RowKind.PERSONAL, field_key="mobile", required=True)

    def verdict(row):
        rows = [row] if row.field_key == "mobile" else [row, mobile]
        return page_screen(purpose=purpose, rows=rows, cities=["北京"]).verdict

    missed, misjudged, flagged = [], [], []
    for row, expected in bad:
        got = verdict(row)
        if got == Verdict.ALLOWED:
            missed.append(row.display_label or row.help_text or row.default_value)
        elif got != expected:
            misjudged.append(row.display_label)
    for row, _expected in innocent:
        if verdict(row) != Verdict.ALLOWED:
            flagged.append(row.display_label)
    return {
        "bad": len(bad),
        "innocent": len(innocent),
        "false_negatives": len(missed),
        "false_positives": len(flagged),
        "misjudged": misjudged,
        "missed": missed,
        "flagged": flagged,
    }
