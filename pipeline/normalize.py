"""Normalized copy of Vietnamese text for matching and dedup.

The raw text is kept elsewhere for display; what this module produces is only
ever compared, hashed or searched. ``normalize_text`` is the entry point:

    NFC -> strip invisible (Cf) characters -> one tone-mark placement
        -> collapse whitespace

Tone placement: Vietnamese has two conventions for where the tone mark sits in
an open syllable with a glide ("hoà"/"hòa", "thuỷ"/"thủy", "khoẻ"/"khỏe").
Both are correct and both circulate, so matching needs one canonical form.
We use the "classic" one (hòa, thủy, khỏe), which is also what most Vietnamese
news sites publish. Only syllables that parse as Vietnamese and carry exactly
one tone mark are rewritten; everything else is returned as it came.

All functions are pure and take/return ``str``; they raise ``TypeError`` for
anything else. Case is preserved (callers casefold as needed).
"""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import lru_cache

__all__ = [
    "fold_diacritics",
    "is_vietnamese_syllable",
    "normalize_text",
    "strip_invisible",
    "syllables",
    "unify_tone_placement",
]

# --------------------------------------------------------------------------
# Invisible characters
# --------------------------------------------------------------------------


def _format_char_class() -> str:
    """A regex character class matching every code point of category Cf.

    Cf lives in the BMP, the SMP and plane 14 (tags); scanning those ~200k
    code points once at import takes a few ms and follows the running
    Python's Unicode version. Emitted as ranges (a class of single characters
    is several times slower to match).
    """
    spans: list[list[int]] = []
    for r in (range(0x0000, 0x20000), range(0xE0000, min(0xE1000, sys.maxunicode + 1))):
        for cp in r:
            if unicodedata.category(chr(cp)) == "Cf":
                if spans and spans[-1][1] == cp - 1:
                    spans[-1][1] = cp
                else:
                    spans.append([cp, cp])
    body = "".join(
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in spans
    )
    return f"[{body}]"


_INVISIBLE_RE = re.compile(_format_char_class() + "+")


def strip_invisible(text: str) -> str:
    """Remove invisible format characters from ``text``.

    Removes every character of Unicode category Cf: zero-width space/joiners
    (U+200B-U+200D), word joiner (U+2060), BOM / ZWNBSP (U+FEFF), soft hyphen
    (U+00AD), bidi controls (U+200E/F, U+202A-U+202E, U+2066-U+2069), tags, etc.
    Nothing is put in their place, so ``"Vũng\\u200bTàu"`` becomes
    ``"VũngTàu"`` (these characters are typically inserted *inside* words to
    defeat keyword matching). Returns a str; raises TypeError for non-str.
    """
    _check_str(text)
    return _INVISIBLE_RE.sub("", text)


# --------------------------------------------------------------------------
# Vietnamese letters, tones and syllable structure
# --------------------------------------------------------------------------

_GRAVE, _ACUTE, _TILDE, _HOOK, _DOT = "\u0300", "\u0301", "\u0303", "\u0309", "\u0323"
_TONE_MARKS = frozenset((_GRAVE, _ACUTE, _TILDE, _HOOK, _DOT))

_BASE_VOWELS = "aăâeêioôơuưy"
_DIACRITIC_VOWELS = frozenset("ăâêôơư")
_CONSONANTS = "bcdđghklmnpqrstvx"


def _build_letter_tables() -> tuple[dict[str, tuple[str, str | None]], dict[tuple[str, str], str]]:
    """(char -> (toneless base char, tone mark or None), (base, tone) -> char).

    Covers every Vietnamese letter in both cases, NFC.
    """
    split: dict[str, tuple[str, str | None]] = {}
    compose: dict[tuple[str, str], str] = {}
    for base in _BASE_VOWELS + _BASE_VOWELS.upper():
        split[base] = (base, None)
        for tone in _TONE_MARKS:
            ch = unicodedata.normalize("NFC", base + tone)
            split[ch] = (base, tone)
            compose[(base, tone)] = ch
    for c in _CONSONANTS + _CONSONANTS.upper() + "fjwzFJWZ":
        split[c] = (c, None)
    return split, compose


_SPLIT, _COMPOSE = _build_letter_tables()

# onset, nucleus (vowel run), coda. Greedy "gi"/"qu" onsets back off when no
# vowel follows ("gìn" = g + ì + n).
_SYLLABLE_RE = re.compile(
    r"(ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnprstvx])?"
    r"([aăâeêioôơuưy]+)"
    r"(ch|ng|nh|[cmnpt])?"
)
_OPEN_ONLY = frozenset(
    "ai ao au ay âu ây eo êu ia iu oi ôi ơi ua ui ưa ưi ưu iêu yêu uôi ươi ươu "
    "oai oay oao oeo uây uya uyu uơ".split()
)
_CODA_REQUIRED = frozenset("ă â iê yê uô ươ oă uâ uyê oo".split())
_EITHER = frozenset("a e ê i o ô ơ u ư y oa oe uê uy".split())
_PALATAL_OK = frozenset("a ê i y oa uê uy".split())  # may take -ch / -nh
_STOPS = frozenset(("c", "ch", "p", "t"))
_FRONT = "eêiy"


def _parse(base: str) -> tuple[str, str, str] | None:
    """Split a lower-case toneless syllable into (onset, nucleus, coda), or None."""
    m = _SYLLABLE_RE.fullmatch(base)
    if m is None:
        return None
    onset, nucleus, coda = m.group(1) or "", m.group(2), m.group(3) or ""
    if coda:
        if nucleus not in _CODA_REQUIRED and nucleus not in _EITHER:
            return None
        if coda in ("ch", "nh") and nucleus not in _PALATAL_OK:
            return None
        if coda in ("c", "ng") and nucleus in ("i", "y", "uy"):
            return None
    elif nucleus not in _OPEN_ONLY and nucleus not in _EITHER:
        return None
    first = nucleus[0]
    if onset == "c" and first in _FRONT:
        return None
    if onset in ("k", "gh", "ngh") and first not in _FRONT:
        return None
    if onset == "ng" and first in "eêi":
        return None
    if onset == "g" and first in "eê":
        return None
    return onset, nucleus, coda


def _decompose_word(word: str) -> tuple[str, list[int], str | None] | None:
    """(toneless base, positions carrying a tone, last tone) or None if a
    character is not a Vietnamese letter."""
    chars = []
    tone_pos = []
    tone = None
    for i, ch in enumerate(word):
        entry = _SPLIT.get(ch)
        if entry is None:
            return None
        chars.append(entry[0])
        if entry[1] is not None:
            tone_pos.append(i)
            tone = entry[1]
    return "".join(chars), tone_pos, tone


@lru_cache(maxsize=65536)
def is_vietnamese_syllable(word: str) -> bool:
    """True when ``word`` (one syllable, any case, NFC or NFD) is a
    well-formed Vietnamese syllable.

    Checks the letters, the onset/nucleus/coda structure, at most one tone
    mark, and that -c/-ch/-p/-t syllables carry the sắc or nặng tone. Tone
    placement itself is not checked ("hoà" and "hòa" both pass). Lenient:
    some non-words pass, but English/French/German words mostly fail.
    Raises TypeError for non-str.
    """
    _check_str(word)
    if not word:
        return False
    if not word.isascii():
        word = unicodedata.normalize("NFC", word)
    parts = _decompose_word(word.lower())
    if parts is None or len(parts[1]) > 1:
        return False
    base, _, tone = parts
    parsed = _parse(base)
    if parsed is None:
        return False
    if parsed[2] in _STOPS and tone not in (_ACUTE, _DOT):
        return False
    return True


def _tone_target(onset: str, nucleus: str, coda: str) -> int:
    """Index inside ``nucleus`` of the vowel that carries the tone (classic style)."""
    if "ươ" in nucleus:
        return nucleus.index("ươ") + 1
    for i, v in enumerate(nucleus):
        if v in _DIACRITIC_VOWELS:
            return i
    if coda:
        return len(nucleus) - 1
    if len(nucleus) == 3:
        return 1
    return 0


@lru_cache(maxsize=65536)
def _retone(word: str) -> str:
    parts = _decompose_word(word)
    if parts is None:
        return word
    base, tone_pos, tone = parts
    if len(tone_pos) != 1 or tone is None:
        return word
    parsed = _parse(base.lower())
    if parsed is None:
        return word
    onset, nucleus, coda = parsed
    if coda in _STOPS and tone not in (_ACUTE, _DOT):
        return word
    target = len(onset) + _tone_target(onset, nucleus, coda)
    current = tone_pos[0]
    if target == current:
        return word
    out = list(word)
    out[current] = base[current]
    out[target] = _COMPOSE[(base[target], tone)]
    return "".join(out)


_WORD_RE = re.compile(r"\w+")


def _candidate_re() -> re.Pattern[str]:
    """Letter runs in which a toned vowel touches another vowel.

    Only such syllables can have a misplaced tone (the nucleus has 2+ vowels),
    so the per-syllable Python callback runs on a few words instead of all.
    """
    vowels = "".join(sorted(k for k, v in _SPLIT.items() if v[0].lower() in _BASE_VOWELS))
    toned = "".join(sorted(k for k, v in _SPLIT.items() if v[1] is not None))
    letter = r"[^\W\d_]"
    return re.compile(rf"(?<!{letter}){letter}*?(?:[{vowels}][{toned}]|[{toned}][{vowels}]){letter}*")


_CANDIDATE_RE = _candidate_re()


def _retone_match(m: re.Match[str]) -> str:
    return _retone(m.group())


def unify_tone_placement(text: str) -> str:
    """Move tone marks to the classic position, syllable by syllable.

    ``hoà -> hòa``, ``thuỷ -> thủy``, ``khoẻ -> khỏe``, ``THUỶ -> THỦY``;
    already-classic syllables (hoàn, thuyền, quý, già, người, khuỷu, ...) and
    anything that is not a single-toned Vietnamese syllable are unchanged.
    Case is preserved per character. Input is NFC-normalized first; returns an
    NFC str of the same length as the NFC input. Raises TypeError for non-str.
    """
    _check_str(text)
    if text.isascii():
        return text
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return _CANDIDATE_RE.sub(_retone_match, text)


# --------------------------------------------------------------------------
# Public helpers
# --------------------------------------------------------------------------

_WS_RE = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """The matching copy of ``text``.

    NFC -> ``strip_invisible`` -> ``unify_tone_placement`` -> every whitespace
    run (incl. NBSP, line/paragraph separators) becomes one ASCII space ->
    strip. Case is kept. Returns an NFC str (possibly shorter than the input);
    raises TypeError for non-str. Roughly 0.1 ms per 1,000 characters.
    """
    _check_str(text)
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
        text = _INVISIBLE_RE.sub("", text)
        text = _CANDIDATE_RE.sub(_retone_match, text)
    return _WS_RE.sub(" ", text).strip()


_COMBINING_RE = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")
_DSTROKE = str.maketrans({"đ": "d", "Đ": "D"})


def fold_diacritics(text: str) -> str:
    """Remove diacritics for diacritic-insensitive matching.

    ``"Đường"`` -> ``"Duong"``, ``"ữ"`` -> ``"u"``: NFD, drop combining marks,
    map đ/Đ to d/D, NFC. Also folds other Latin accents (é -> e). Case is kept;
    length may change for non-Vietnamese input. Returns a str; raises
    TypeError for non-str.
    """
    _check_str(text)
    if text.isascii():
        return text
    text = _COMBINING_RE.sub("", unicodedata.normalize("NFD", text))
    return unicodedata.normalize("NFC", text.translate(_DSTROKE))


def syllables(text: str) -> list[str]:
    """Split ``text`` into syllables: the ``\\w+`` runs, in order.

    Digits and underscores count as word characters ("COVID-19" -> ["COVID",
    "19"]). Pass NFC text (e.g. ``normalize_text`` output): in NFD text the
    combining marks are not ``\\w`` and would split syllables. Returns a list of
    str (empty for empty input); raises TypeError for non-str.
    """
    _check_str(text)
    return _WORD_RE.findall(text)


def _check_str(text: object) -> None:
    if not isinstance(text, str):
        raise TypeError(f"expected str, got {type(text).__name__}")
