"""Fetched bytes -> correct Unicode Vietnamese text.

This runs before anything else looks at a page. ``decode_bytes`` picks the
codec from, in order of trust:

1. a byte-order mark (UTF-8, UTF-16 LE/BE);
2. ``charset=`` in the HTTP ``Content-Type`` header;
3. the XML prolog ``encoding=``, ``<meta charset>`` or
   ``<meta http-equiv ... content="...charset=...">`` in the first 4 KB;
4. a guess: strict UTF-8 if it fits, else charset-normalizer's best guess,
   cross-checked against windows-1258 / windows-1252 with a Vietnamese
   plausibility score (charset-normalizer alone calls short Vietnamese or
   TCVN3 text UTF-16 / Big5 / cp1250);
5. UTF-8 with ``errors="replace"``.

A declared charset whose strict decode fails, or that Python does not know, is
skipped in favour of the next kind of evidence. Labels follow browser
practice: ISO-8859-1 / ASCII mean windows-1252. A non-UTF label on a body that
is valid UTF-8 and not pure ASCII is taken to be a mislabel (UTF-8 wins: real
single- or double-byte text is practically never valid UTF-8).

The result is always NFC (windows-1258 decodes to base letter + combining tone
mark) and then goes through ``fix_legacy_vietnamese``: text typed in the
pre-Unicode TCVN3 (ABC, ``.VnTime``) or VNI (``VNI-Times``) fonts reaches the
web as Latin-1 characters ("ViÖt Nam", "Vieät Nam") and is converted back.

Legacy tables: no maintained PyPI package does this conversion cleanly (the
one candidate, ``viparse``, is a young single-author RAG loader with an
incomplete VNI table), so the tables are here, written from the published
TCVN 5712:1993 VN3 and VNI-Windows layouts and cross-checked against it.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from pipeline.normalize import is_vietnamese_syllable

__all__ = ["DecodedText", "decode_bytes", "fix_legacy_vietnamese"]


@dataclass(frozen=True)
class DecodedText:
    """Result of ``decode_bytes``.

    ``text``: NFC Unicode text (legacy fonts already converted).
    ``encoding``: codec actually used, lower-case ("utf-8", "utf-16le",
    "windows-1252", "windows-1258", "iso-8859-1", "shift-jis", ...).
    ``legacy``: "tcvn3" or "vni" when legacy Vietnamese was detected and
    converted, else None.
    """

    text: str
    encoding: str
    legacy: str | None = None


# --------------------------------------------------------------------------
# Legacy Vietnamese: TCVN3 (single byte) and VNI (base letter + modifier)
# --------------------------------------------------------------------------

# TCVN 5712:1993 "VN3" (the ABC / .VnTime fonts), as the Latin-1 character that
# each byte becomes. VN3 has no upper-case toned letters: headings use the same
# bytes with the .VnTimeH font, which draws them upper-case (see _tcvn3_token).
_TCVN3 = {
    "\u00a1": "Ă", "\u00a2": "Â", "\u00a3": "Ê", "\u00a4": "Ô", "\u00a5": "Ơ", "\u00a6": "Ư", "\u00a7": "Đ",
    "\u00a8": "ă", "\u00a9": "â", "\u00aa": "ê", "\u00ab": "ô", "\u00ac": "ơ", "\u00ad": "ư", "\u00ae": "đ",
    # a: à ả ã á ạ
    "\u00b5": "à", "\u00b6": "ả", "\u00b7": "ã", "\u00b8": "á", "\u00b9": "ạ",
    # ă: ằ ẳ ẵ ắ ặ
    "\u00bb": "ằ", "\u00bc": "ẳ", "\u00bd": "ẵ", "\u00be": "ắ", "\u00c6": "ặ",
    # â: ầ ẩ ẫ ấ ậ
    "\u00c7": "ầ", "\u00c8": "ẩ", "\u00c9": "ẫ", "\u00ca": "ấ", "\u00cb": "ậ",
    # e: è ẻ ẽ é ẹ
    "\u00cc": "è", "\u00ce": "ẻ", "\u00cf": "ẽ", "\u00d0": "é", "\u00d1": "ẹ",
    # ê: ề ể ễ ế ệ
    "\u00d2": "ề", "\u00d3": "ể", "\u00d4": "ễ", "\u00d5": "ế", "\u00d6": "ệ",
    # i: ì ỉ ĩ í ị
    "\u00d7": "ì", "\u00d8": "ỉ", "\u00dc": "ĩ", "\u00dd": "í", "\u00de": "ị",
    # o: ò ỏ õ ó ọ
    "\u00df": "ò", "\u00e1": "ỏ", "\u00e2": "õ", "\u00e3": "ó", "\u00e4": "ọ",
    # ô: ồ ổ ỗ ố ộ
    "\u00e5": "ồ", "\u00e6": "ổ", "\u00e7": "ỗ", "\u00e8": "ố", "\u00e9": "ộ",
    # ơ: ờ ở ỡ ớ ợ
    "\u00ea": "ờ", "\u00eb": "ở", "\u00ec": "ỡ", "\u00ed": "ớ", "\u00ee": "ợ",
    # u: ù ủ ũ ú ụ
    "\u00ef": "ù", "\u00f1": "ủ", "\u00f2": "ũ", "\u00f3": "ú", "\u00f4": "ụ",
    # ư: ừ ử ữ ứ ự
    "\u00f5": "ừ", "\u00f6": "ử", "\u00f7": "ữ", "\u00f8": "ứ", "\u00f9": "ự",
    # y: ỳ ỷ ỹ ý ỵ
    "\u00fa": "ỳ", "\u00fb": "ỷ", "\u00fc": "ỹ", "\u00fd": "ý", "\u00fe": "ỵ",
}
_TCVN3_TRANS = str.maketrans(_TCVN3)

_GRAVE, _ACUTE, _TILDE, _HOOK, _DOT = "\u0300", "\u0301", "\u0303", "\u0309", "\u0323"
_CIRCUMFLEX, _BREVE, _HORN = "\u0302", "\u0306", "\u031b"


def _build_vni() -> dict[str, str]:
    """VNI-Windows sequence (as Latin-1 characters) -> NFC Vietnamese letter.

    A toned/hatted vowel is its ASCII base followed by one modifier byte; the
    modifier's case follows the base's. ơ/ư are the single bytes ô/ö (which
    then take the plain tone modifiers), đ is ñ, and the i-family is single
    bytes (í ì æ=ỉ ó=ĩ ò=ị).
    """
    tone = {"ù": _ACUTE, "ø": _GRAVE, "û": _HOOK, "õ": _TILDE, "ï": _DOT}
    circ = {"â": "", "á": _ACUTE, "à": _GRAVE, "å": _HOOK, "ã": _TILDE, "ä": _DOT}
    breve = {"ê": "", "é": _ACUTE, "è": _GRAVE, "ú": _HOOK, "ü": _TILDE, "ë": _DOT}
    table: dict[str, str] = {}

    def add(seq: str, base: str, marks: str) -> None:
        for s, b in ((seq, base), (seq.upper(), base.upper())):
            table[s] = unicodedata.normalize("NFC", b + marks)

    for base in "aeouy":
        for mod, mark in tone.items():
            add(base + mod, base, mark)
    for base in "aeo":
        for mod, mark in circ.items():
            add(base + mod, base, _CIRCUMFLEX + mark)
    for mod, mark in breve.items():
        add("a" + mod, "a", _BREVE + mark)
    for legacy, base in (("ô", "o"), ("ö", "u")):  # ơ, ư
        add(legacy, base, _HORN)
        for mod, mark in tone.items():
            add(legacy + mod, base, _HORN + mark)
    add("ñ", "đ", "")
    add("ò", "i", _DOT)
    add("æ", "i", _HOOK)
    add("ó", "i", _TILDE)
    return table


_VNI = _build_vni()
_VNI_RE = re.compile("|".join(re.escape(k) for k in sorted(_VNI, key=len, reverse=True)))

# Characters whose presence lets an encoding change a token.
_TCVN3_CHARS = frozenset(_TCVN3)
_VNI_CHARS = frozenset(c for k in _VNI for c in k if not c.isascii())

# Tokens for legacy detection: Latin-1 letters *and* symbols (TCVN3 puts
# letters on ¸ · ¶ ­ ...), plus Vietnamese Unicode letters so that real
# Unicode words stay whole and count as evidence against.
_TOKEN_RE = re.compile(
    "[A-Za-z\u00a1-\u00ff\u0102\u0103\u0110\u0111\u0128\u0129\u0168\u0169"
    "\u01a0\u01a1\u01af\u01b0\u1ea0-\u1ef9\u0300-\u036f]+"
)
_HIGH_LATIN1_RE = re.compile("[\u00a1-\u00ff]")
_VIET_UNICODE_RE = re.compile(
    "[\u0102\u0103\u0110\u0111\u0128\u0129\u0168\u0169\u01a0\u01a1\u01af\u01b0\u1ea0-\u1ef9]"
)

# Markup, scripts, styles, entities and URLs are not prose: dropped from the
# detection sample (an HTML page is mostly tag and attribute names).
# Linear-time pieces only: no lazy ".*?" that rescans to the end per "<".
_MARKUP_RE = re.compile(r"<[^<>]*>|&#?\w{1,10};|\b(?:https?://|www\.)\S+", re.I)
_RAW_TEXT_START_RE = re.compile(r"<(script|style)\b", re.I)


def _strip_markup(text: str) -> str:
    """Drop <script>/<style> bodies, tags, entities and URLs (for detection only)."""
    lower = text.lower()
    out: list[str] = []
    pos = 0
    while (m := _RAW_TEXT_START_RE.search(text, pos)) is not None:
        out.append(text[pos : m.start()])
        end = lower.find("</" + m.group(1).lower(), m.end())
        if end < 0:
            pos = len(text)
            break
        pos = end
    out.append(text[pos:])
    return _MARKUP_RE.sub(" ", " ".join(out))


_SAMPLE_CHARS = 50_000  # detection looks at this much text; conversion covers all
_MIN_CANDIDATE_SHARE = 0.7  # of tokens with legacy characters, share that convert to syllables
_MIN_VALID_SHARE = 0.6  # of all tokens, share that are Vietnamese syllables after conversion


@lru_cache(maxsize=65536)
def _tcvn3_token(tok: str) -> str:
    return unicodedata.normalize("NFC", tok.translate(_TCVN3_TRANS))


def _tcvn3_case(tok: str) -> int:
    """1: heading case (.VnTimeH: ASCII capitals + the lower-case toned bytes,
    drawn upper-case, e.g. "VIÖT"); 0: no ASCII letter or one capital ("X·",
    "Bµ"), decided by its neighbours; -1: otherwise."""
    letters = [c for c in tok if c.isascii() and c.isalpha()]
    if all(c.isupper() for c in letters):
        if len(letters) >= 2 and not tok.isascii():
            return 1
        if len(letters) <= 1:
            return 0
    return -1


@lru_cache(maxsize=65536)
def _vni_token(tok: str) -> str:
    return unicodedata.normalize("NFC", _VNI_RE.sub(lambda m: _VNI[m.group()], tok))


_CONVERTERS = {"tcvn3": (_tcvn3_token, _TCVN3_CHARS), "vni": (_vni_token, _VNI_CHARS)}


def _is_symbol_token(tok: str) -> bool:
    """A lone non-letter (©, £, «, §...): neutral, too ambiguous to count."""
    return len(tok) == 1 and not tok.isalpha()


def _is_acronym(tok: str) -> bool:
    return len(tok) >= 2 and tok.isascii() and tok.isupper()


def _assess(tokens: list[str], name: str) -> tuple[int, int] | None:
    """(strong, ambiguous) evidence counts if ``tokens`` read as ``name``, else None.

    strong: token is not Vietnamese as it stands but converts to a syllable
    (Tµu -> Tàu, Vieät -> Việt). ambiguous: Vietnamese either way
    (Vòng/Vũng, Ròa/Rịa). against: real Vietnamese Unicode words, and
    tokens that are syllables only as they stand.
    """
    convert, chars = _CONVERTERS[name]
    strong = ambiguous = candidates = against = counted = valid_after = 0
    for tok in tokens:
        if _is_symbol_token(tok) or _is_acronym(tok):
            continue
        counted += 1
        if any(ord(c) > 0xFF for c in tok):
            if is_vietnamese_syllable(tok):
                against += 1
                valid_after += 1
            continue
        if not any(c in chars for c in tok):
            valid_after += is_vietnamese_syllable(tok)
            continue
        candidates += 1
        conv = convert(tok)
        conv_ok = conv != tok and is_vietnamese_syllable(conv)
        raw_ok = is_vietnamese_syllable(tok)
        valid_after += conv_ok or (conv == tok and raw_ok)
        if conv_ok and not raw_ok:
            strong += 1
        elif conv_ok:
            ambiguous += 1
        elif raw_ok:
            against += 1
    if (
        strong >= 1
        and counted >= 2
        and strong > against
        and strong + ambiguous >= _MIN_CANDIDATE_SHARE * candidates
        and valid_after >= _MIN_VALID_SHARE * counted
    ):
        return strong, ambiguous
    return None


def fix_legacy_vietnamese(text: str) -> tuple[str, str | None]:
    """Convert TCVN3 / VNI text that was decoded as Latin-1/cp1252 to Unicode.

    Returns ``(converted NFC text, "tcvn3" | "vni")`` when the text is judged
    legacy, else ``(text, None)`` with ``text`` returned as is (the same
    object). Detection is conservative: the text must have at least two
    letter tokens, at least one token that becomes a Vietnamese syllable only
    after conversion, >= 70% of the tokens with legacy characters must convert
    to syllables, >= 60% of all tokens must be syllables afterwards (HTML
    markup, scripts, styles and URLs are ignored), and real Vietnamese
    Unicode words count against. Unicode Vietnamese, English,
    French, German... are left alone; a single legacy word on its own
    ("Vieät") is not converted. Only tokens made of Latin-1 characters are
    rewritten, so Unicode parts of a mixed text survive. Never raises for str
    input; raises TypeError for non-str.
    """
    if not isinstance(text, str):
        raise TypeError(f"expected str, got {type(text).__name__}")
    if text.isascii():
        return text, None
    sample = text[:_SAMPLE_CHARS]
    n_legacy_chars = len(_HIGH_LATIN1_RE.findall(sample))
    if n_legacy_chars == 0 or len(_VIET_UNICODE_RE.findall(sample)) > n_legacy_chars:
        return text, None
    if "<" in sample:
        sample = _strip_markup(sample)
    tokens = _TOKEN_RE.findall(sample)
    best: tuple[tuple[int, int], str] | None = None
    for name in ("tcvn3", "vni"):
        score = _assess(tokens, name)
        if score is not None and (best is None or score > best[0]):
            best = (score, name)
    if best is None:
        return text, None
    name = best[1]
    convert = _CONVERTERS[name][0]
    matches = list(_TOKEN_RE.finditer(text))
    cases = [_tcvn3_case(m.group()) for m in matches] if name == "tcvn3" else None
    out: list[str] = []
    pos = 0
    for i, m in enumerate(matches):
        tok = m.group()
        out.append(text[pos : m.start()])
        pos = m.end()
        if any(ord(c) > 0xFF for c in tok):
            out.append(tok)
            continue
        conv = convert(tok)
        if cases is not None and (
            cases[i] == 1
            or (cases[i] == 0 and ((i > 0 and cases[i - 1] == 1) or (i + 1 < len(cases) and cases[i + 1] == 1)))
        ):
            conv = conv.upper()
        out.append(conv)
    out.append(text[pos:])
    return unicodedata.normalize("NFC", "".join(out)), name


# --------------------------------------------------------------------------
# Charset evidence
# --------------------------------------------------------------------------

_SNIFF_BYTES = 4096
_HEADER_CHARSET_RE = re.compile(r"""charset\s*=\s*["']?\s*([^"'\s;,]+)""", re.I)
_XML_ENCODING_RE = re.compile(r"""^\s*<\?xml[^>]*?\bencoding\s*=\s*["']\s*([^"'\s]+)""", re.I)
_META_CHARSET_RE = re.compile(r"""<meta\b[^>]*?\bcharset\s*=\s*["']?\s*([^"'\s;/>]+)""", re.I)

# Labels that are not page encodings, or are unsafe (UTF-7) / always fail.
_REFUSED_CODECS = frozenset(
    {"utf-7", "idna", "punycode", "unicode-escape", "raw-unicode-escape", "undefined", "charmap", "mbcs", "oem"}
)
# Browser practice (WHATWG Encoding): these labels decode as windows-1252.
_AS_WINDOWS_1252 = frozenset({"iso8859-1", "ascii", "latin-1"})
# Old Vietnamese sites declare the font encoding itself; the bytes are then
# read as windows-1252 and fix_legacy_vietnamese converts them.
_LEGACY_LABELS = frozenset(
    {"tcvn", "tcvn3", "tcvn-3", "tcvn5712", "tcvn-5712", "x-viet-tcvn5712", "x-viet-tcvn", "vn3", "abc", "vni", "x-viet-vni"}
)


def _codec_for(label: str) -> str | None:
    """Python codec name for a charset label, or None if unknown/refused."""
    label = label.strip().strip("\"'").lower()
    if not label or len(label) > 40:
        return None
    if label in _LEGACY_LABELS:
        return "cp1252"
    try:
        info = codecs.lookup(label)
    except (LookupError, ValueError, TypeError):
        return None
    name = info.name.replace("_", "-")
    if name in _REFUSED_CODECS or not getattr(info, "_is_text_encoding", True):
        return None
    if name in _AS_WINDOWS_1252:
        return "cp1252"
    return name


def _display_name(codec: str) -> str:
    """Lower-case, web-style name: cp1258 -> windows-1258, iso8859-2 -> iso-8859-2."""
    codec = codec.lower().replace("_", "-")
    m = re.fullmatch(r"cp(125\d)", codec)
    if m:
        return f"windows-{m.group(1)}"
    m = re.fullmatch(r"iso8859-(\d+)", codec)
    if m:
        return f"iso-8859-{m.group(1)}"
    return {"utf-16-le": "utf-16le", "utf-16-be": "utf-16be", "utf-8-sig": "utf-8"}.get(codec, codec)


def _strict(body: bytes, codec: str) -> str | None:
    try:
        return body.decode(codec)
    except Exception:  # UnicodeDecodeError, and anything an odd codec raises
        return None


def _is_utf8_non_ascii(body: bytes) -> bool:
    return not body.isascii() and _strict(body, "utf-8") is not None


def _decode_declared(body: bytes, label: str | None) -> tuple[str, str] | None:
    """(text, codec) if ``label`` is usable and decodes ``body`` strictly."""
    if not label:
        return None
    codec = _codec_for(label)
    if codec is None:
        return None
    if not codec.startswith("utf") and _is_utf8_non_ascii(body):
        return body.decode("utf-8"), "utf-8"  # mislabelled UTF-8
    text = _strict(body, codec)
    if text is None and codec == "cp1252" and label.strip().lower() not in ("windows-1252", "cp1252"):
        codec, text = "iso8859-1", body.decode("latin-1")  # latin-1 label, bytes cp1252 leaves undefined
    if text is None:
        return None
    return text, codec


def _header_charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    m = _HEADER_CHARSET_RE.search(content_type)
    return m.group(1) if m else None


def _sniffed_charset(body: bytes) -> str | None:
    head = body[:_SNIFF_BYTES].decode("latin-1")
    m = _XML_ENCODING_RE.search(head) or _META_CHARSET_RE.search(head)
    if m is None:
        return None
    label = m.group(1)
    # A document whose markup we could read as ASCII is not UTF-16.
    if label.strip().lower().replace("_", "-").startswith("utf-16"):
        return "utf-8"
    return label


def _vietnamese_score(text: str) -> int:
    """Number of Vietnamese syllables with at least one non-ASCII letter."""
    return sum(
        1 for tok in _TOKEN_RE.findall(text[:_SAMPLE_CHARS]) if not tok.isascii() and is_vietnamese_syllable(tok)
    )


def _guess(body: bytes) -> tuple[str, str] | None:
    """Best (raw text, codec) for undeclared non-UTF-8 bytes, or None."""
    options: list[str] = []
    try:
        from charset_normalizer import from_bytes

        match = from_bytes(body).best()
        codec = _codec_for(match.encoding) if match is not None else None
        if codec is not None:
            options.append(codec)
    except Exception:  # charset-normalizer is a heuristic; never let it break decoding
        pass
    guessed = bool(options)
    for codec in ("cp1258", "cp1252"):
        if codec not in options:
            options.append(codec)
    best: tuple[int, str, str, str | None] | None = None  # (score, codec, raw text, legacy)
    for i, codec in enumerate(options):
        raw = _strict(body, codec)
        if raw is None:
            continue
        sample, legacy = fix_legacy_vietnamese(unicodedata.normalize("NFC", raw[:_SAMPLE_CHARS]))
        score = _vietnamese_score(sample)
        if (i > 0 or not guessed) and score == 0:
            continue  # a Vietnamese-specific reading must beat the guess, and beat nothing
        if best is None or score > best[0]:
            best = (score, codec, raw, legacy)
    if best is None:
        return None
    _, codec, raw, legacy = best
    if legacy is not None and codec != "cp1252" and _strict(body, "cp1252") == raw:
        codec = "cp1252"  # legacy fonts are bytes read as windows-1252; say so when it reads the same
    return raw, codec


def _finish(text: str, codec: str) -> DecodedText:
    text = unicodedata.normalize("NFC", text)
    text, legacy = fix_legacy_vietnamese(text)
    return DecodedText(text=text, encoding=_display_name(codec), legacy=legacy)


def decode_bytes(body: bytes, content_type: str | None = None) -> DecodedText:
    """Decode a fetched body to NFC Unicode text.

    ``body``: the raw bytes (bytes, bytearray or memoryview). ``content_type``:
    the HTTP Content-Type header value (str, or bytes as Scrapy gives it), or
    None. Evidence order: BOM > header charset > XML prolog / <meta> in the
    first 4 KB > guess (strict UTF-8, else charset-normalizer cross-checked
    with windows-1258/1252) > UTF-8 with U+FFFD replacement. The BOM is
    dropped from the text. Returns a ``DecodedText``; never raises for any
    bytes; raises TypeError if ``body`` is not bytes-like or ``content_type``
    is neither str, bytes nor None.
    """
    if isinstance(body, (bytearray, memoryview)):
        body = bytes(body)
    if not isinstance(body, bytes):
        raise TypeError(f"body must be bytes, got {type(body).__name__}")
    if isinstance(content_type, (bytes, bytearray)):
        content_type = bytes(content_type).decode("latin-1")
    if content_type is not None and not isinstance(content_type, str):
        raise TypeError(f"content_type must be str or None, got {type(content_type).__name__}")

    if body.startswith(codecs.BOM_UTF8):
        return _finish(body[3:].decode("utf-8", errors="replace"), "utf-8")
    if body.startswith(codecs.BOM_UTF16_LE):
        return _finish(body[2:].decode("utf-16-le", errors="replace"), "utf-16-le")
    if body.startswith(codecs.BOM_UTF16_BE):
        return _finish(body[2:].decode("utf-16-be", errors="replace"), "utf-16-be")

    for label in (_header_charset(content_type), _sniffed_charset(body)):
        declared = _decode_declared(body, label)
        if declared is not None:
            return _finish(*declared)

    text = _strict(body, "utf-8")
    if text is not None:
        return _finish(text, "utf-8")
    guessed = _guess(body)
    if guessed is not None:
        return _finish(*guessed)
    return _finish(body.decode("utf-8", errors="replace"), "utf-8")
