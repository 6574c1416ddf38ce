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
class Token:
    lower: str
    capital: bool
    start: int
    end: int


@dataclass(frozen=True)
class Match:
    phrase: str
    payload: Any
    start: int
    end: int
    text: str


def tokenize(text: str) -> list[Token]:
    """Syllable tokens with character offsets; one regex pass."""
    return [Token(m.group().casefold(), m.group()[0].isupper(), m.start(), m.end())
            for m in _TOKEN.finditer(text)]


def mostly_lowercase(tokens: list[Token]) -> bool:
    alpha = [t for t in tokens if not t.lower.isdigit()]
    return bool(alpha) and sum(t.capital for t in alpha) < 0.03 * len(alpha)


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

    def finditer(self, text: str, tokens: list[Token] | None = None) -> list[Match]:
        """All non-overlapping matches, longest first at each position."""
        tokens = tokens if tokens is not None else tokenize(text)
        check_case = self.check_case and not mostly_lowercase(tokens)
        out: list[Match] = []
        i, n = 0, len(tokens)
        while i < n:
            best = None
            for key, caps, phrase, payload in self._index.get(tokens[i].lower, ()):
                k = len(key)
                if i + k > n or (best is not None and k <= len(best[0])):
                    continue
                window = tokens[i:i + k]
                if any(t.lower != s for t, s in zip(window, key, strict=True)):
                    continue
                if check_case and any(c and not t.capital for t, c in zip(window, caps, strict=True)):
                    continue
                best = (key, phrase, payload, window)
            if best is None:
                i += 1
                continue
            key, phrase, payload, window = best
            out.append(Match(phrase, payload, window[0].start, window[-1].end, text[window[0].start:window[-1].end]))
            i += len(key)
        return out
