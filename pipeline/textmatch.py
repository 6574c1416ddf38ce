"""Phrase matching on syllable boundaries.

Text and phrases are compared syllable by syllable (casefolded, after the
caller's normalization), so "Phú Mỹ" never matches inside "Phú Mỹ Hưng"'s
neighbour words by substring, and an alias written without diacritics
("Phu My") matches only text written without diacritics. With
``check_case=True`` a phrase syllable written with a capital must be
capitalized in the text too ("tỷ phú Mỹ" is not "Phú Mỹ"); this check is
skipped for text that is (almost) all lower case, as social posts often are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

_TOKEN = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Match:
    phrase: str
    payload: Any
    start: int
    end: int
    text: str


class Tokens:
    """Syllable tokens of one text as parallel lists (one regex pass; cheap to build).

    ``lower[i]`` is the case-folded syllable, ``capital[i]`` whether it starts
    with a capital, ``start[i]``/``end[i]`` its character offsets.
    """

    __slots__ = ("lower", "capital", "start", "end")

    def __init__(self, text: str) -> None:
        spans = [(m.start(), m.end()) for m in _TOKEN.finditer(text)]
        self.start = [a for a, _ in spans]
        self.end = [b for _, b in spans]
        words = [text[a:b] for a, b in spans]
        self.lower = [w.casefold() for w in words]
        self.capital = [w[0].isupper() for w in words]

    def __len__(self) -> int:
        return len(self.lower)


def tokenize(text: str) -> Tokens:
    """Syllable tokens with character offsets."""
    return Tokens(text)


def mostly_lowercase(tokens: Tokens) -> bool:
    alpha = [c for w, c in zip(tokens.lower, tokens.capital, strict=True) if not w.isdigit()]
    return bool(alpha) and sum(alpha) < 0.03 * len(alpha)


class PhraseMatcher:
    """Many phrases, matched in one left-to-right pass (longest match wins at each position)."""

    def __init__(self, check_case: bool = False, case_free: frozenset[str] = frozenset()) -> None:
        self.check_case = check_case
        self.case_free = case_free  # syllables exempt from the capital check (e.g. "xã", "phường")
        self._index: dict[str, list[tuple[tuple[str, ...], tuple[bool, ...], str, Any]]] = {}

    def add(self, phrase: str, payload: Any) -> None:
        toks = [m.group() for m in _TOKEN.finditer(phrase)]
        if not toks:
            return
        key = tuple(t.casefold() for t in toks)
        caps = tuple(t[0].isupper() and t.casefold() not in self.case_free for t in toks)
        self._index.setdefault(key[0], []).append((key, caps, phrase, payload))

    def extend(self, phrases: Iterable[tuple[str, Any]]) -> None:
        for phrase, payload in phrases:
            self.add(phrase, payload)

    def __len__(self) -> int:
        return sum(len(v) for v in self._index.values())

    def finditer(self, text: str, tokens: Tokens | None = None) -> list[Match]:
        """All non-overlapping matches, longest first at each position."""
        tokens = tokens if tokens is not None else Tokens(text)
        check_case = self.check_case and not mostly_lowercase(tokens)
        lower, capital = tokens.lower, tokens.capital
        out: list[Match] = []
        i, n = 0, len(lower)
        index = self._index
        while i < n:
            candidates = index.get(lower[i])
            if not candidates:
                i += 1
                continue
            best = None
            for key, caps, phrase, payload in candidates:
                k = len(key)
                if i + k > n or (best is not None and k <= len(best[0])):
                    continue
                if k > 1 and tuple(lower[i:i + k]) != key:
                    continue
                if check_case and any(c and not capital[i + j] for j, c in enumerate(caps)):
                    continue
                best = (key, phrase, payload)
            if best is None:
                i += 1
                continue
            key, phrase, payload = best
            j = i + len(key) - 1
            out.append(Match(phrase, payload, tokens.start[i], tokens.end[j], text[tokens.start[i]:tokens.end[j]]))
            i += len(key)
        return out
