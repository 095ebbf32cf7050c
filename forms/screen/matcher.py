"""Finding terms in a folded text: Aho–Corasick over the compact form and the pinyin
syllables, whole-word matching for short Latin terms, whole-text matching for choices."""

from collections import defaultdict
from dataclasses import dataclass

import ahocorasick

from .normalise import Folded, fold, is_cjk
from .terms import TermAction, TermMode

# A Latin term this long is matched anywhere ("telephone", "passport"); shorter ones only
# as whole words, so that "age" does not match "page" nor "tel" "hotel".
LATIN_SUBSTRING_MIN = 6
# Chinese terms of this many characters also match by sound (homophones, pinyin).
SOUND_MIN_SYLLABLES = 3
# Pinyin written in Latin letters is matched anywhere when it is this long.
PINYIN_SUBSTRING_MIN = 6
_APOSTROPHES = frozenset("'’‘`´")


@dataclass(frozen=True)
class Term:
    term: str
    category: str
    mode: str = TermMode.AUTO
    action: str = TermAction.REFUSE


@dataclass(frozen=True)
class Hit:
    """A term found in a text: ``written`` is the text as it stands at ``start:end``."""

    term: Term
    start: int
    end: int
    written: str
    how: str  # "text", "word", "sound" or "whole"


def _effective_mode(term: str, mode: str, compact: str) -> str:
    if mode != TermMode.AUTO:
        return mode
    if any(is_cjk(c) for c in compact):
        return TermMode.SUBSTRING
    return TermMode.SUBSTRING if len(compact) >= LATIN_SUBSTRING_MIN else TermMode.WORD


class Matcher:
    """Compiled terms; ``find(text)`` gives the non-overlapping hits, longest first."""

    def __init__(self, terms):
        self._compact = ahocorasick.Automaton()
        self._sound = ahocorasick.Automaton()
        self._words: dict[tuple[str, ...], list[Term]] = defaultdict(list)
        self._joined: dict[str, list[Term]] = defaultdict(list)
        self._exact: dict[str, list[Term]] = defaultdict(list)
        compact_entries: dict[str, list[Term]] = defaultdict(list)
        sound_entries: dict[str, list[Term]] = defaultdict(list)
        self.size = 0
        for term in terms:
            folded = fold(term.term)
            compact = folded.compact
            if not compact:
                continue
            self.size += 1
            mode = _effective_mode(term.term, term.mode, compact)
            if mode == TermMode.EXACT:
                self._exact[compact].append(term)
            elif mode == TermMode.WORD:
                words = tuple(w for w, _s, _e in folded.words) or (compact,)
                self._words[words].append(term)
                self._joined["".join(words)].append(term)
            else:
                compact_entries[compact].append(term)
            syllables = [s for s, _p in folded.syllables]
            if mode != TermMode.EXACT and syllables and len(syllables) == len(compact):
                if len(syllables) >= SOUND_MIN_SYLLABLES:
                    sound_entries[" " + " ".join(syllables) + " "].append(term)
                latin = "".join(syllables)
                if len(latin) >= PINYIN_SUBSTRING_MIN:
                    compact_entries[latin].append(term)
        for key, entries in compact_entries.items():
            self._compact.add_word(key, (len(key), tuple(entries)))
        for key, entries in sound_entries.items():
            self._sound.add_word(key, (len(key), tuple(entries)))
        self._has_compact = bool(compact_entries)
        self._has_sound = bool(sound_entries)
        if self._has_compact:
            self._compact.make_automaton()
        if self._has_sound:
            self._sound.make_automaton()
        self._max_joined = max((len(k) for k in self._joined), default=0)

    def find(self, text: str, *, whole_units=()) -> list[Hit]:
        """Hits in ``text``; ``whole_units`` are parts (such as choices) also compared whole."""
        folded = fold(text)
        hits = [*self._compact_hits(folded), *self._sound_hits(folded), *self._word_hits(folded)]
        for unit in (text, *whole_units):
            hits.extend(self._exact_hits(unit, folded.text))
        return _longest_first(hits)

    def _compact_hits(self, folded: Folded):
        if not self._has_compact or not folded.compact:
            return
        for end, (length, entries) in self._compact.iter(folded.compact):
            start, stop = folded.span(end - length + 1, end + 1)
            for term in entries:
                yield Hit(term, start, stop, folded.written(start, stop), "text")

    def _sound_hits(self, folded: Folded):
        if not self._has_sound or not folded.syllables:
            return
        line = " " + " ".join(s for s, _p in folded.syllables) + " "
        # Position in ``line`` of each syllable's first letter -> syllable index.
        starts = {}
        offset = 1
        for index, (syllable, _pos) in enumerate(folded.syllables):
            starts[offset] = index
            offset += len(syllable) + 1
        for end, (length, entries) in self._sound.iter(line):
            first = starts.get(end - length + 2)
            if first is None:
                continue
            count = line[end - length + 1 : end + 1].strip().count(" ") + 1
            start = folded.syllables[first][1]
            stop = folded.syllables[first + count - 1][1] + 1
            for term in entries:
                yield Hit(term, start, stop, folded.written(start, stop), "sound")

    def _word_hits(self, folded: Folded):
        words = folded.words
        if not words or not self._words:
            return
        for i in range(len(words)):
            # Whole words and runs of words ("date of birth", "e mail"), plural -s/-es.
            for j in range(i, min(len(words), i + 4)):
                key = tuple(w for w, _s, _e in words[i : j + 1])
                for candidate in _singulars(key):
                    for term in self._words.get(candidate, ()):
                        start, stop = words[i][1], words[j][2]
                        yield Hit(term, start, stop, folded.written(start, stop), "word")
            # A word split in two ("we chat", "ph one"): the pair joined.
            if i + 1 < len(words) and not _APOSTROPHES & set(folded.text[words[i][2] : words[i + 1][1]]):
                pair = words[i][0] + words[i + 1][0]
                for candidate in _singulars((pair,)):
                    for term in self._joined.get(candidate[0], ()):
                        if len(term.term.split()) == 1:
                            start, stop = words[i][1], words[i + 1][2]
                            yield Hit(term, start, stop, folded.written(start, stop), "word")
            # Letters spelled out one by one ("p h o n e", "I.D."): joined into a word.
            if len(words[i][0]) != 1:
                continue
            joined = ""
            for j in range(i, len(words)):
                if len(words[j][0]) != 1 or len(joined) > self._max_joined:
                    break
                if j > i and _APOSTROPHES & set(folded.text[words[j - 1][2] : words[j][1]]):
                    break  # "I'd" is two words, not "id"
                joined += words[j][0]
                if j > i:
                    for term in self._joined.get(joined, ()):
                        start, stop = words[i][1], words[j][2]
                        yield Hit(term, start, stop, folded.written(start, stop), "word")

    def _exact_hits(self, unit: str, text: str):
        if not self._exact:
            return
        compact = fold(unit).compact
        for term in self._exact.get(compact, ()):
            start = text.find(unit.strip()) if unit.strip() else 0
            start = max(start, 0)
            stop = start + len(unit.strip())
            yield Hit(term, start, stop, unit.strip(), "whole")


def _singulars(words: tuple[str, ...]):
    yield words
    last = words[-1]
    if len(last) > 3 and last.endswith("es"):
        yield (*words[:-1], last[:-2])
    if len(last) > 2 and last.endswith("s"):
        yield (*words[:-1], last[:-1])


def _without_allowed(hits: list[Hit]) -> list[Hit]:
    """Hits inside a phrase marked as not personal ("电话会议", "mobile app") do not count."""
    allowed = [(h.start, h.end) for h in hits if h.term.action == TermAction.ALLOW]
    return [
        h
        for h in hits
        if h.term.action != TermAction.ALLOW
        and not any(start <= h.start and h.end <= end for start, end in allowed)
    ]


def _longest_first(hits: list[Hit]) -> list[Hit]:
    """Non-overlapping hits: a refusing hit wins over a doubtful one, then the longer one."""
    hits = _without_allowed(hits)
    # Refusing hits are placed first, so that a longer doubtful term never hides one.
    ranked = sorted(
        hits,
        key=lambda h: (h.term.action != TermAction.REFUSE, -(h.end - h.start), h.start),
    )
    kept: list[Hit] = []
    taken: list[tuple[int, int]] = []
    for hit in ranked:
        if any(hit.start < stop and start < hit.end for start, stop in taken):
            # Same span, another category: keep it too (a term may stand for two things).
            if not any(k.start == hit.start and k.end == hit.end for k in kept):
                continue
        kept.append(hit)
        taken.append((hit.start, hit.end))
    kept.sort(key=lambda h: (h.start, -(h.end - h.start)))
    seen = set()
    unique = []
    for hit in kept:
        key = (hit.start, hit.end, hit.term.category)
        if key not in seen:
            seen.add(key)
            unique.append(hit)
    return unique
