"""The whitelist screen, table-driven: what it refuses, what it sends to a person, what it lets pass."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forms.models import Purpose
from forms.review import Verdict, page_screen, table_counts

from .screen_cases import BAD, INNOCENT, q
from .screen_cases import p as personal_row

pytestmark = pytest.mark.django_db


def verdict_for(row, purpose="event"):
    rows = [row]
    if row.field_key != "mobile":
        rows.append(personal_row("mobile"))
    screening = page_screen(purpose=Purpose.objects.get(code=purpose), rows=rows, cities=["北京"])
    return screening


def _id(case):
    row = case[0]
    return f"{row.kind}:{row.field_key}:{row.label}|{row.help_text}|{row.choices}|{row.default_value}"


@pytest.mark.parametrize("case", BAD + INNOCENT, ids=[_id(c) for c in BAD + INNOCENT])
def test_screen_table(case):
    row, expected = case
    screening = verdict_for(row)
    assert screening.verdict == expected, [p.message for p in screening.problems] + [
        r.message for r in screening.reviews
    ]


def test_table_is_large_enough():
    assert len(BAD) >= 100
    assert len(INNOCENT) >= 40


# --- fuzz: random unicode around and inside known terms is still refused --------------

FUZZ = settings(
    derandomize=True,
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

STRONG_TERMS = [
    "身份证",
    "手机号",
    "银行卡",
    "婚姻状况",
    "宗教信仰",
    "护照",
    "passport",
    "telephone",
    "birthday",
]
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e"
SEPARATORS = " .-_/·・\u3000"
# Text around a term: anything but letters and digits, which could join the term into a
# longer word (Chinese has no word boundaries, so CJK text around is allowed too).
around = st.text(
    alphabet=st.characters(
        codec="utf-8",
        exclude_categories=("Lu", "Ll", "Lt", "Lm", "Nd", "Nl", "No", "Cs"),
    )
    | st.sampled_from("您的请填写号码是多少吗？：（）"),
    max_size=12,
)
FULL_WIDTH = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)}


@st.composite
def disguised(draw):
    term = draw(st.sampled_from(STRONG_TERMS))
    out = []
    for original in term:
        char = original
        if char.isascii() and draw(st.booleans()):
            char = FULL_WIDTH.get(char.lower(), char) if draw(st.booleans()) else char.upper()
        out.append(char)
        out.append(draw(st.text(alphabet=INVISIBLE, max_size=2)))
        if not term.isascii():
            out.append(draw(st.text(alphabet=SEPARATORS, max_size=1)))
    return term, draw(around) + "".join(out) + draw(around)


@FUZZ
@given(disguised())
def test_disguised_terms_are_still_refused(case):

    _term, label = case
    screening = verdict_for(q(label))
    assert screening.verdict == Verdict.REFUSED, label


@FUZZ
@given(st.text(max_size=200))
def test_any_text_gets_a_verdict(label):

    screening = verdict_for(q(label or "x"))
    assert screening.verdict in set(Verdict)


def test_counts_false_positives_and_negatives():

    counts = table_counts(BAD, INNOCENT)
    assert counts["false_negatives"] == 0, counts["missed"]
    assert counts["false_positives"] == 0, counts["flagged"]
