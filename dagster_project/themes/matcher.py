"""Theme matching on normalised, stemmed Dutch text.

A text is folded as every free text of the project is before matching (``text.fold``:
NFKC, invisible characters out, accents and look-alike letters folded, lower case), cut
into tokens of letters and digits, and each token stemmed with Snowball's Dutch stemmer,
so ``afspraken``, ``afspraakje`` and ``Afspraak`` are one stem. A term of the taxonomy
is a sequence of word patterns (docs/themes.md, "Term syntax"):

- ``afspraak``: the token's stem is the term's stem; from ``fuzzy_min_length`` letters a
  stem one edit away (a letter left out, added, changed or two swapped) also counts;
- ``=duur``: the folded token itself, unstemmed (``duurde`` stems to ``duur`` too);
- ``parkeer*``: the folded token starts with it (compounds: ``parkeergarage``);
- ``*afspraak``: the token's stem ends with the term's stem (``telefoonafspraak``);
- ``...``: zero to three tokens of any kind (``kost ... moeite``).

Negation does not take a theme away: "geen afspraak kunnen maken" is about appointments.
A match records whether a negator stood within ``negation_window`` tokens before it, so
its polarity can be shown (``explain``); idioms that are about no theme at all ("kost geen
moeite") are exclusions, which drop the matches of their theme that they overlap.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

from ..text.fold import skeleton
from .taxonomy import Taxonomy

_TOKEN = re.compile(r"[a-z0-9]+")
_GAP = "..."
_AFFIX = 3  # letters of a prefix or suffix term its index is keyed on
_GAP_MAX = 3  # tokens a ``...`` may stand for
EMPTY: frozenset[str] = frozenset()


def tokens(text: str) -> list[str]:
    """The text's tokens as matched: folded, lower case, letters and digits only."""
    return _TOKEN.findall(skeleton(text).casefold())


class _Stemmer:
    """Snowball's Dutch stemmer with a cache: reviews repeat a small vocabulary.

    A Snowball stemmer keeps the word it works on in the object, so one stemmer used by two
    threads at once cuts one word with the other's cursor (an IndexError, or a wrong stem).
    DuckDB calls the ``kto_themes`` UDF from its worker threads: each thread has its own.
    """

    def __init__(self) -> None:
        self._local = threading.local()
        self._cache: dict[str, str] = {}

    def __call__(self, word: str) -> str:
        stem = self._cache.get(word)
        if stem is None:
            stemmer = getattr(self._local, "stemmer", None)
            if stemmer is None:
                stemmer = self._local.stemmer = snowballstemmer.stemmer("dutch")
            stem = stemmer.stemWord(word)
            if len(self._cache) < 200_000:
                self._cache[word] = stem
        return stem


def _osa_within_one(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` are at most one edit apart (insert, delete, substitute,
    or swap two neighbours)."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    i = 0
    while i < min(la, lb) and a[i] == b[i]:
        i += 1
    if la == lb:
        if a[i + 1 :] == b[i + 1 :]:
            return True  # one substitution
        return i + 1 < la and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]
    if la > lb:
        return a[i + 1 :] == b[i:]
    return a[i:] == b[i + 1 :]


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


@dataclass(frozen=True)
class _Word:
    kind: str  # stem, exact, prefix, suffix, gap
    value: str = ""
    fuzzy: bool = False
    surface: str = ""  # the word as written, for a typo the stemmer cuts differently


@dataclass(frozen=True)
class _Pattern:
    theme: str
    term: str
    words: tuple[_Word, ...]
    exclusion: bool = False


@dataclass(frozen=True)
class Match:
    """One term found in a text: its theme, the term as written in the taxonomy, the
    tokens it covers (``start``, ``end``), whether a negator stood just before it and
    whether a spelling one edit away was taken for it."""

    theme: str
    term: str
    start: int
    end: int
    negated: bool
    fuzzy: bool


class ThemeMatcher:
    """Finds the themes of texts by one taxonomy. Build once (``default_matcher``);
    ``themes`` keeps the answers for the last texts seen, as exports repeat texts."""

    def __init__(self, taxonomy: Taxonomy, cache_size: int = 65_536) -> None:
        self.taxonomy = taxonomy
        self._stem = _Stemmer()
        self._fuzzy_min = taxonomy.fuzzy_min_length
        patterns = [
            self._compile(theme.code, term, exclusion=False)
            for theme in taxonomy.themes
            for term in theme.terms
        ]
        exclusions = [
            self._compile(theme.code, term, exclusion=True)
            for theme in taxonomy.themes
            for term in theme.exclusions
        ] + [self._compile("", term, exclusion=True) for term in taxonomy.exclusions]
        self._index(patterns, exclusions)
        self.themes = lru_cache(maxsize=cache_size)(self._themes)

    # -- building -------------------------------------------------------------------------

    def _compile(self, theme: str, term: str, exclusion: bool) -> _Pattern:
        words: list[_Word] = []
        for piece in term.split():
            if piece == _GAP:
                words.append(_Word("gap"))
                continue
            exact = piece.startswith("=")
            suffix = piece.lstrip("=").startswith("*")
            prefix = piece.endswith("*")
            parts = tokens(piece)
            if not parts:
                raise ValueError(f"theme {theme!r}: term {term!r} has an empty word")
            for n, part in enumerate(parts):
                if exact:
                    words.append(_Word("exact", part))
                elif prefix and n == len(parts) - 1:
                    words.append(_Word("prefix", part))
                elif suffix and n == 0:
                    words.append(_Word("suffix", self._stem(part)))
                else:
                    stem = self._stem(part)
                    fuzzy = len(stem) >= self._fuzzy_min
                    words.append(_Word("stem", stem, fuzzy=fuzzy, surface=part))
        if not words or words[0].kind == "gap" or words[-1].kind == "gap":
            raise ValueError(f"theme {theme!r}: term {term!r} must start and end with a word")
        return _Pattern(theme, term, tuple(words), exclusion)

    def _index(self, patterns: list[_Pattern], exclusions: list[_Pattern]) -> None:
        # Each pattern is tried only where its first word can match: by stem, by exact
        # token, by the first (prefix) or last (suffix) letters, or by a near spelling.
        self._by_stem: dict[str, list[_Pattern]] = {}
        self._by_exact: dict[str, list[_Pattern]] = {}
        self._by_head: dict[str, list[_Pattern]] = {}
        self._by_tail: dict[str, list[_Pattern]] = {}
        self._scan: list[_Pattern] = []  # a prefix or suffix shorter than _AFFIX
        self._fuzzy: dict[str, set[tuple[str, str]]] = {}  # key -> (form, stem)
        for pattern in [*patterns, *exclusions]:
            first = pattern.words[0]
            if first.kind == "stem":
                self._by_stem.setdefault(first.value, []).append(pattern)
            elif first.kind == "exact":
                self._by_exact.setdefault(first.value, []).append(pattern)
            elif len(first.value) >= _AFFIX and first.kind == "prefix":
                self._by_head.setdefault(first.value[:_AFFIX], []).append(pattern)
            elif len(first.value) >= _AFFIX:
                self._by_tail.setdefault(first.value[-_AFFIX:], []).append(pattern)
            else:
                self._scan.append(pattern)
            if not pattern.exclusion:
                for word in pattern.words:
                    if not word.fuzzy:
                        continue
                    # The stem and the word as written: "informattie" is one edit from
                    # "informatie" but the stemmer cuts only the correct spelling.
                    for form in {word.value, word.surface}:
                        for key in {form, *_deletes(form)}:
                            self._fuzzy.setdefault(key, set()).add((form, word.value))

    # -- matching -------------------------------------------------------------------------

    def _fuzzy_ok(self, token: str, stem: str) -> bool:
        # A short word one edit away is often another word; a term's own stem is no typo.
        return len(token) >= self._fuzzy_min - 1 and stem not in self._by_stem

    def _near_stems(self, token: str, stem: str) -> set[str]:
        """Term stems whose stem or written word is one edit from the token or its stem."""
        if not self._fuzzy_ok(token, stem):
            return set()
        found: set[tuple[str, str]] = set()
        for seen in {token, stem}:
            for key in {seen, *_deletes(seen)}:
                found |= self._fuzzy.get(key, set())
        return {
            term_stem
            for form, term_stem in found
            if _osa_within_one(token, form) or _osa_within_one(stem, form)
        }

    def _word_at(self, word: _Word, token: str, stem: str) -> tuple[bool, bool]:
        """(matches, by a near spelling)."""
        if word.kind == "stem":
            if stem == word.value:
                return True, False
            near = word.fuzzy and self._fuzzy_ok(token, stem)
            if near and (_osa_within_one(stem, word.value) or _osa_within_one(token, word.surface)):
                return True, True
            return False, False
        if word.kind == "exact":
            return token == word.value, False
        if word.kind == "prefix":
            return token.startswith(word.value), False
        return stem.endswith(word.value), False  # suffix

    def _match_from(
        self, words: Sequence[_Word], toks: list[str], stems: list[str], i: int
    ) -> tuple[int, bool] | None:
        """Where the words matched from token ``i`` end (exclusive), and whether a near
        spelling was used; None when they do not match there."""
        if not words:
            return i, False
        word, rest = words[0], words[1:]
        if word.kind == "gap":
            for skip in range(_GAP_MAX + 1):
                found = self._match_from(rest, toks, stems, i + skip)
                if found is not None:
                    return found
            return None
        if i >= len(toks):
            return None
        ok, fuzzy = self._word_at(word, toks[i], stems[i])
        if not ok:
            return None
        found = self._match_from(rest, toks, stems, i + 1)
        if found is None:
            return None
        return found[0], found[1] or fuzzy

    def _candidates(self, token: str, stem: str) -> Iterable[_Pattern]:
        yield from self._by_stem.get(stem, ())
        yield from self._by_exact.get(token, ())
        yield from self._by_head.get(token[:_AFFIX], ())
        yield from self._by_tail.get(stem[-_AFFIX:], ())
        yield from self._scan
        for near in self._near_stems(token, stem):
            yield from self._by_stem.get(near, ())

    def explain(self, text: str | None) -> list[Match]:
        """Every term match in the text that no exclusion overlaps, in text order."""
        if text is None or not isinstance(text, str):
            return []
        toks = tokens(text)
        stems = [self._stem(t) for t in toks]
        found: list[Match] = []
        excluded: list[tuple[str, int, int]] = []
        for i, (token, stem) in enumerate(zip(toks, stems, strict=True)):
            seen: set[int] = set()
            for pattern in self._candidates(token, stem):
                if id(pattern) in seen:
                    continue
                seen.add(id(pattern))
                end = self._match_from(pattern.words, toks, stems, i)
                if end is None:
                    continue
                if pattern.exclusion:
                    excluded.append((pattern.theme, i, end[0]))
                    continue
                window = toks[max(0, i - self.taxonomy.negation_window) : i]
                negated = any(t in self.taxonomy.negators for t in window)
                found.append(Match(pattern.theme, pattern.term, i, end[0], negated, end[1]))
        return [
            m
            for m in found
            if not any(
                theme in ("", m.theme) and start < m.end and m.start < stop
                for theme, start, stop in excluded
            )
        ]

    def _themes(self, text: str | None) -> frozenset[str]:
        matches = self.explain(text)
        return frozenset(m.theme for m in matches) if matches else EMPTY
