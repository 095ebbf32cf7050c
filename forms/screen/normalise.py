"""Text as the screen compares it, with the way back to the text as it was written.

A marketer who wants a forbidden field can disguise its name: zero-width or other
format characters, spaces or dots inside a word, full-width or mathematical letters,
traditional characters, Latin look-alikes from other scripts, pinyin, homophones.
Each original character becomes zero or more comparison characters here, and every
comparison character remembers the position of the character it came from, so a
refusal can quote the term exactly as the marketer wrote it.

- NFKC folds compatibility forms (full-width, circled, mathematical letters, Kangxi
  radicals, CJK compatibility ideographs); combining marks are dropped after NFKD.
- Format (Cf), control, separator, punctuation and symbol characters are dropped from
  the compact form, so "身 份.证" and "e‑m\u200bail" read as "身份证" and "email".
- Traditional characters become simplified ones (OpenCC ``t2s``, one character at a
  time so that positions stay exact).
- Letters of other scripts that look like Latin letters become those letters (Unicode
  TR39 confusables, through ``confusable_homoglyphs``); digits and signs between letters read
  as the letters they stand for ("b1rthday", "em@il"); fillers such as "ー" or "々" inside a
  word are dropped.
- Emoji read as their CLDR names ("📱" is "mobile phone"), through ``emoji``.
- Chinese characters also give their pinyin syllables (``pypinyin``), so a homophone
  such as "身分证" or "手鸡号" matches the term it sounds like.
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import emoji
import opencc
from confusable_homoglyphs import confusables
from pypinyin import Style, lazy_pinyin

DROPPED_CATEGORIES = frozenset({"Cf", "Cc", "Cs", "Co", "Cn", "Zs", "Zl", "Zp", "Mn", "Me", "Mc"})


@lru_cache(maxsize=1)
def _t2s():

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=65536)
def _simplified(char: str) -> str:
    if not is_cjk(char):
        return char
    converted = _t2s().convert(char)
    return converted if len(converted) == 1 else char


@lru_cache(maxsize=65536)
def _latin_lookalike(char: str) -> str:
    """The Latin letter ``char`` is confusable with, or ``char`` itself."""
    if char.isascii() or not char.isalpha() or is_cjk(char):
        return char

    found = confusables.is_confusable(char, preferred_aliases=["latin"], greedy=True) or []
    for entry in found:
        for glyph in entry.get("homoglyphs", []):
            candidate = glyph.get("c", "")
            if len(candidate) == 1 and candidate.isascii() and candidate.isalpha():
                return candidate.lower()
    return char


@lru_cache(maxsize=65536)
def _syllable(char: str) -> str:

    syllables = lazy_pinyin(char, style=Style.NORMAL, errors="ignore")
    return syllables[0].lower() if syllables else ""


def is_cjk(char: str) -> bool:
    code = ord(char)
    return 0x3400 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF or 0x20000 <= code <= 0x3134F


@lru_cache(maxsize=65536)
def _fold(char: str) -> str:
    """One original character as comparison characters (possibly none)."""
    out = []
    for piece in unicodedata.normalize("NFKC", char):
        for part in unicodedata.normalize("NFKD", piece) if not is_cjk(piece) else piece:
            if unicodedata.category(part) in DROPPED_CATEGORIES:
                continue
            for lowered in part.casefold():
                out.append(_latin_lookalike(_simplified(lowered)))
    return "".join(out)


@lru_cache(maxsize=4096)
def _emoji_name(char: str) -> str:
    """The CLDR short name of an emoji in lower case ("mobile_phone"), or ""."""
    if char.isascii() or unicodedata.category(char) not in ("So", "Sk"):
        return ""

    if not emoji.is_emoji(char):
        return ""
    return emoji.demojize(char, delimiters=("", "")).casefold()


# Characters that read as a filler between two others ("手ー机", "手々机", "手〇机").
FILLER_CATEGORIES = frozenset({"Lm", "Nl"})
# Digits and signs written for look-alike letters between two Latin letters ("b1rthday", "em@il").
LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "!": "i", "$": "s"}


def _is_kept(char: str) -> bool:
    """Letters and digits stay in the compact form; punctuation, symbols and fillers do not."""
    category = unicodedata.category(char)
    return category[0] in ("L", "N") and category not in FILLER_CATEGORIES


@dataclass(frozen=True)
class Folded:
    """A text in comparison form.

    ``compact`` holds letters and digits only; ``origin[i]`` is the index in ``text`` of
    the character that gave ``compact[i]``. ``words`` are the Latin/digit runs of the
    text (split at every non-letter, at case changes and at CJK characters) as
    ``(word, start, end)`` in original positions. ``syllables`` are the pinyin syllables
    of the Chinese characters as ``(syllable, position)``.
    """

    text: str
    compact: str
    origin: tuple[int, ...]
    words: tuple[tuple[str, int, int], ...]
    syllables: tuple[tuple[str, int], ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original ``[start, end)`` for compact ``[start, end)``."""
        return self.origin[start], self.origin[end - 1] + 1

    def written(self, start: int, end: int) -> str:
        """The original text between two original positions, trimmed."""
        return self.text[start:end].strip()


_CAMEL_RE = re.compile(r"(?<=[a-z])(?=[A-Z])")


def fold(text: str) -> Folded:
    text = text or ""
    compact: list[str] = []
    origin: list[int] = []
    # Latin words are read from a spaced form: every dropped separator becomes a break.
    spaced: list[tuple[str, int]] = []
    syllables: list[tuple[str, int]] = []
    previous_kept = ""
    for index, char in enumerate(text):
        name = _emoji_name(char)
        if name:
            # "📱" reads as the words "mobile phone", "🎂" as "birthday cake".
            spaced.append((" ", index))
            for piece in name:
                spaced.append((piece if piece.isalnum() else " ", index))
                if piece.isalnum():
                    compact.append(piece)
                    origin.append(index)
            spaced.append((" ", index))
            previous_kept = ""
            continue
        if char in LEET and _between_latin_letters(text, index):
            spaced.append((LEET[char], index))
            compact.append(LEET[char])
            origin.append(index)
            previous_kept = LEET[char]
            continue
        folded = _fold(char)
        if folded and all(unicodedata.category(c) in FILLER_CATEGORIES for c in folded):
            continue  # a filler inside a word does not break it
        if not folded:
            if unicodedata.category(char) in ("Cf", "Mn", "Me"):
                continue  # invisible: does not even break a word
            spaced.append((" ", index))
            continue
        if char.isupper() and previous_kept.islower():
            spaced.append((" ", index))
        for piece in folded:
            if not _is_kept(piece):
                spaced.append((" ", index))
                continue
            if is_cjk(piece):
                spaced.append((" ", index))
                syllable = _syllable(piece)
                if syllable:
                    syllables.append((syllable, index))
            else:
                spaced.append((piece, index))
            compact.append(piece)
            origin.append(index)
        previous_kept = char
    return Folded(
        text=text,
        compact="".join(compact),
        origin=tuple(origin),
        words=tuple(_words(spaced)),
        syllables=tuple(syllables),
    )


def _between_latin_letters(text: str, index: int) -> bool:
    def latin(i):
        return 0 <= i < len(text) and _fold(text[i])[:1].isascii() and _fold(text[i])[:1].isalpha()

    return latin(index - 1) and latin(index + 1)


def _words(spaced: list[tuple[str, int]]):
    word: list[str] = []
    start = end = 0
    for char, index in spaced:
        if char == " " or not char.isascii():
            if word:
                yield "".join(word), start, end
                word = []
            continue
        if not word:
            start = index
        word.append(char)
        end = index + 1
    if word:
        yield "".join(word), start, end


def fold_term(term: str) -> str:
    """A term in compact comparison form."""
    return fold(term).compact


def term_words(term: str) -> tuple[str, ...]:
    return tuple(w for w, _s, _e in fold(term).words)


def term_syllables(term: str) -> tuple[str, ...]:
    return tuple(s for s, _p in fold(term).syllables)
