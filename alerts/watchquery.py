"""Query language of the keyword watchlists that analysts edit.

A query is parsed once (``parse``) and matched against many texts
(``Query.matches``); a text can be prepared once (``prepare``) and matched
against many queries.

Grammar (precedence, high to low: NOT > NEAR > AND > OR; AND and OR are
associative)::

    query     := or_expr
    or_expr   := and_expr ("OR" and_expr)*
    and_expr  := near_expr (["AND"] near_expr)*   -- adjacent operands: implicit AND
    near_expr := not_expr ["NEAR/" n not_expr]    -- n: whole number 1..50; both operands
                                                  --   must be a TERM or PHRASE; no chaining
    not_expr  := "NOT" not_expr | primary
    primary   := TERM | PHRASE | "(" or_expr ")"

    TERM      := run of characters other than whitespace, ( ) " “ ” that is not an operator
    PHRASE    := "..." (straight or curly double quotes)

Operators are the upper-case words AND, OR, NOT and NEAR/n; to search for the
word "and" write it in lower case or quote it (``"AND"``). A term that contains
punctuation (``Phú-Mỹ``, ``COVID-19``) is matched as the phrase of its syllables.

Examples::

    bão lũ                        "bão" and "lũ" anywhere in the text (implicit AND)
    "sạt lở" NOT "tin giả"        the phrase "sạt lở", but not the phrase "tin giả"
    "cầu Phú Mỹ" OR "Phu My"      either phrase ("phu my" also matches "Phú Mỹ")
    (xăng OR dầu) giá             "giá" and one of "xăng", "dầu"
    "Bộ Y tế" NEAR/5 vaccine      at most 5 syllables between them, either order
    NOT ("bão" NEAR/3 "tin giả")  invalid: a query must contain something to look for

Matching is case- and diacritic-insensitive ("phu my" matches "Phú Mỹ", "đ"
folds to "d") and works on whole syllables: text is split into runs of word
characters (Unicode letters, digits, underscore; combining marks stay inside
their syllable, so NFD input works), so "my" matches the "Mỹ" of "Phú Mỹ Xuân"
but "hu" never matches inside "Phú". Punctuation between syllables is ignored:
the phrase "TP HCM" matches "TP.HCM" (and "Phú Mỹ" matches "Phú. Mỹ").

``a NEAR/n b`` matches when some occurrence of ``a`` and a separate
(non-overlapping) occurrence of ``b`` have at most ``n`` syllables between
them, in either order: "a x b" is within NEAR/1, "a x y b" is not.

Only the standard library is used.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

__all__ = ["MAX_NEAR", "MAX_QUERY_CHARS", "MAX_TERMS", "Match", "PreparedText", "Query", "QueryError", "parse", "prepare"]

MAX_QUERY_CHARS = 1000
MAX_TERMS = 50
MAX_NEAR = 50
MAX_DEPTH = 50  # nesting of parentheses (keeps the recursive parser far from the recursion limit)

# --------------------------------------------------------------------------
# Text: syllables and folding
# --------------------------------------------------------------------------

# Combining marks (NFD input) and in-word invisible joiners (soft hyphen, ZWNJ, ZWJ, word joiner, BOM) stay
# inside a syllable; they are dropped by folding.
_MARKS = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
_JOINERS = "\u00ad\u200c\u200d\u2060\ufeff"
_SYLLABLE_RE = re.compile(f"[\\w{_MARKS}{_JOINERS}]+")
_DROP = {ord(c): None for c in _JOINERS} | {ord("đ"): "d", ord("Đ"): "D"}


@lru_cache(maxsize=65536)
def _fold(token: str) -> str:
    """Case- and diacritic-folded form of one syllable ("Đường" -> "duong"); "" if nothing is left."""
    if token.isascii():
        return token.lower()
    decomposed = unicodedata.normalize("NFD", token.translate(_DROP))
    stripped = "".join(c for c in decomposed if unicodedata.category(c) not in ("Mn", "Me"))
    return unicodedata.normalize("NFC", stripped).casefold()


def _syllables(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, folded)`` for each syllable of ``text``, offsets into ``text`` itself."""
    out = []
    for m in _SYLLABLE_RE.finditer(text):
        folded = _fold(m.group())
        if folded:
            out.append((m.start(), m.end(), folded))
    return out


class PreparedText:
    """One text split into folded syllables, ready to be matched against many queries.

    Build it with ``prepare(text)``. Attributes: ``text`` (the original str),
    ``syllables`` (list of folded syllables), ``starts``/``ends`` (character
    offsets of each syllable in ``text``). Cheap to build (one regex pass), and
    safe to share between queries: lookups are cached on the instance.
    """

    __slots__ = ("text", "syllables", "starts", "ends", "_index", "_cache")

    def __init__(self, text: str) -> None:
        if not isinstance(text, str):
            raise TypeError(f"expected str, got {type(text).__name__}")
        self.text = text
        toks = _syllables(text)
        self.starts = [s for s, _, _ in toks]
        self.ends = [e for _, e, _ in toks]
        self.syllables = [f for _, _, f in toks]
        self._index: dict[str, list[int]] = {}
        for i, syl in enumerate(self.syllables):
            self._index.setdefault(syl, []).append(i)
        self._cache: dict[tuple[str, ...], list[int]] = {}

    def find(self, syllables: tuple[str, ...]) -> list[int]:
        """Ascending syllable indices where the folded sequence ``syllables`` starts (adjacent syllables)."""
        hit = self._cache.get(syllables)
        if hit is None:
            firsts = self._index.get(syllables[0], [])
            if len(syllables) == 1:
                hit = firsts
            else:
                n, syls, rest = len(syllables), self.syllables, list(syllables[1:])
                hit = [i for i in firsts if syls[i + 1 : i + n] == rest]
            self._cache[syllables] = hit
        return hit

    def __repr__(self) -> str:
        return f"PreparedText({len(self.syllables)} syllables)"


def prepare(text: str) -> PreparedText:
    """Tokenize ``text`` once for matching against many queries.

    Returns a ``PreparedText``; pass it to ``Query.matches`` instead of the str.
    Spans in the resulting matches are offsets into ``text`` as given (no
    normalization is applied to the stored text). Raises TypeError for non-str.
    """
    return PreparedText(text)


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------


class QueryError(ValueError):
    """A query that cannot be parsed.

    ``position`` is the 0-based character offset in the query (for code: put
    the cursor there); ``str(err)`` is an English message quoting that offset.
    ``message_vi`` is the Vietnamese message for the web UI; it names the
    character as people count, from 1 ("ký tự thứ 13" for position 12).
    """

    def __init__(self, position: int, message: str, message_vi: str) -> None:
        super().__init__(message)
        self.position = position
        self.message_vi = message_vi


def _err(pos: int, en: str, vi: str) -> QueryError:
    return QueryError(pos, en.format(p=pos), vi.format(p=f"ký tự thứ {pos + 1}"))


# --------------------------------------------------------------------------
# Syntax tree
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Term:
    text: str  # as written (phrase: without the quotes, whitespace collapsed)
    quoted: bool
    syllables: tuple[str, ...] = field(compare=False)
    pos: int = field(compare=False)

    def __str__(self) -> str:
        return f'"{self.text}"' if self.quoted else self.text


@dataclass(frozen=True)
class _Near:
    left: _Term
    right: _Term
    distance: int
    pos: int = field(compare=False)

    def __str__(self) -> str:
        return f"{self.left} NEAR/{self.distance} {self.right}"


@dataclass(frozen=True)
class _Not:
    child: _Node
    pos: int = field(compare=False)

    def __str__(self) -> str:
        return f"NOT {_wrap(self.child, (_Term, _Not))}"


@dataclass(frozen=True)
class _And:
    children: tuple[_Node, ...]

    def __str__(self) -> str:
        return " AND ".join(_wrap(c, (_Term, _Not, _Near)) for c in self.children)


@dataclass(frozen=True)
class _Or:
    children: tuple[_Node, ...]

    def __str__(self) -> str:
        return " OR ".join(str(c) for c in self.children)


_Node = _Term | _Near | _Not | _And | _Or


def _wrap(node: _Node, bare: tuple[type, ...]) -> str:
    return str(node) if isinstance(node, bare) else f"({node})"


# --------------------------------------------------------------------------
# Lexer
# --------------------------------------------------------------------------

_QUOTES = '"“”'
_SPECIAL = "()" + _QUOTES


@dataclass(frozen=True)
class _Tok:
    kind: str  # TERM, AND, OR, NOT, NEAR, LPAREN, RPAREN, EOF
    pos: int
    term: _Term | None = None
    distance: int = 0


def _term(text: str, quoted: bool, pos: int, what_pos: int) -> _Term:
    star = text.find("*")
    if star >= 0:
        raise _err(
            what_pos + star,
            "Wildcard '*' at position {p} is not supported; write the whole word, or join its forms with OR",
            "Không hỗ trợ ký tự đại diện “*” ({p}); hãy viết đầy đủ từ, hoặc nối các dạng từ bằng OR.",
        )
    syls = tuple(f for _, _, f in _syllables(text))
    if not syls:
        if quoted:
            raise _err(pos, "Phrase at position {p} has no letters or digits",
                       "Cụm từ trong ngoặc kép ở {p} không có chữ cái hay chữ số nào.")
        raise _err(pos, f"Term {text!r} at position {{p}} has no letters or digits",
                   f"Từ khóa “{text}” ở {{p}} không có chữ cái hay chữ số nào.")
    if not quoted and text.startswith("-"):
        raise _err(pos, "A leading '-' (position {p}) does not exclude a term; use NOT",
                   "Dấu “-” ở đầu từ khóa ({p}) không có nghĩa loại trừ; hãy dùng NOT.")
    return _Term(" ".join(text.split()) if quoted else text, quoted, syls, pos)


def _near_distance(word: str, pos: int) -> int:
    raw = word[5:]
    if word == "NEAR" or not raw:
        raise _err(pos, "NEAR at position {p} needs a distance, e.g. NEAR/5",
                   "NEAR ở {p} cần có khoảng cách, ví dụ NEAR/5.")
    n = int(raw) if raw.isascii() and raw.isdigit() else 0
    if not 1 <= n <= MAX_NEAR:
        raise _err(pos, f"NEAR distance at position {{p}} must be a whole number from 1 to {MAX_NEAR}, not {raw!r}",
                   f"Khoảng cách của NEAR ở {{p}} phải là số nguyên từ 1 đến {MAX_NEAR} (đang là “{raw}”).")
    return n


def _lex(query: str) -> Iterator[_Tok]:
    """Tokens of ``query``, lazily, so that errors surface in left-to-right order with the parser's."""
    i, n = 0, len(query)
    while i < n:
        c = query[i]
        if c.isspace():
            i += 1
        elif c == "(":
            yield _Tok("LPAREN", i)
            i += 1
        elif c == ")":
            yield _Tok("RPAREN", i)
            i += 1
        elif c in _QUOTES:
            j = next((k for k in range(i + 1, n) if query[k] in _QUOTES), -1)
            if j < 0:
                raise _err(i, "Missing closing quote for the phrase starting at position {p}",
                           "Thiếu dấu ngoặc kép đóng cho cụm từ bắt đầu ở {p}.")
            yield _Tok("TERM", i, _term(query[i + 1 : j], True, i, i + 1))
            i = j + 1
        else:
            j = i
            while j < n and not query[j].isspace() and query[j] not in _SPECIAL:
                j += 1
            word = query[i:j]
            if word in ("AND", "OR", "NOT"):
                yield _Tok(word, i)
            elif word == "NEAR" or word.startswith("NEAR/"):
                yield _Tok("NEAR", i, distance=_near_distance(word, i))
            else:
                yield _Tok("TERM", i, _term(word, False, i, i))
            i = j
    yield _Tok("EOF", n)


# --------------------------------------------------------------------------
# Parser
# --------------------------------------------------------------------------

_OPERAND_START = ("TERM", "NOT", "LPAREN")


class _Parser:
    def __init__(self, query: str) -> None:
        self.lexer = _lex(query)
        self.toks: list[_Tok] = [next(self.lexer)]  # tokens read so far (one ahead of the parser)
        self.i = 0
        self.depth = 0
        self.terms = 0

    @property
    def tok(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        if self.i == len(self.toks):
            self.toks.append(next(self.lexer))
        return tok

    def parse(self) -> _Node:
        node = self.or_expr(None)
        if self.tok.kind == "RPAREN":
            raise _err(self.tok.pos, "Unmatched closing parenthesis at position {p}",
                       "Dấu ngoặc đóng “)” ở {p} không có dấu ngoặc mở tương ứng.")
        assert self.tok.kind == "EOF", self.tok
        return node

    def or_expr(self, pending: _Tok | None) -> _Node:
        items = [self.and_expr(pending)]
        while self.tok.kind == "OR":
            items.append(self.and_expr(self.take()))
        return _flat(_Or, items)

    def and_expr(self, pending: _Tok | None) -> _Node:
        items = [self.near_expr(pending)]
        while self.tok.kind == "AND" or self.tok.kind in _OPERAND_START:
            items.append(self.near_expr(self.take() if self.tok.kind == "AND" else None))
        return _flat(_And, items)

    def near_expr(self, pending: _Tok | None) -> _Node:
        left = self.not_expr(pending)
        if self.tok.kind != "NEAR":
            return left
        op = self.take()
        right = self.not_expr(op)
        if self.tok.kind == "NEAR" or isinstance(left, _Near) or isinstance(right, _Near):
            at = self.tok.pos if self.tok.kind == "NEAR" else op.pos
            raise _err(at, "NEAR at position {p} cannot be chained; write (a NEAR/5 b) AND (b NEAR/5 c)",
                       "Không thể nối tiếp nhiều NEAR ({p}); hãy viết (a NEAR/5 b) AND (b NEAR/5 c).")
        if not (isinstance(left, _Term) and isinstance(right, _Term)):
            raise _err(op.pos, "Both sides of NEAR (position {p}) must be a term or a quoted phrase; "
                       "to exclude a proximity write NOT (a NEAR/5 b)",
                       "Hai vế của NEAR ({p}) phải là từ khóa hoặc cụm từ trong ngoặc kép; "
                       "muốn loại trừ, hãy viết NOT (a NEAR/5 b).")
        return _Near(left, right, op.distance, op.pos)

    def not_expr(self, pending: _Tok | None) -> _Node:
        if self.tok.kind != "NOT":
            return self.primary(pending)
        op = self.take()
        child = self.not_expr(op)
        return child.child if isinstance(child, _Not) else _Not(child, op.pos)

    def primary(self, pending: _Tok | None) -> _Node:
        tok = self.tok
        if tok.kind == "TERM":
            self.take()
            self.terms += 1
            if self.terms > MAX_TERMS:
                raise _err(tok.pos, f"Query has more than {MAX_TERMS} terms; term {MAX_TERMS + 1} is at position {{p}}",
                           f"Truy vấn có quá {MAX_TERMS} từ khóa; từ khóa thứ {MAX_TERMS + 1} ở {{p}}.")
            assert tok.term is not None
            return tok.term
        if tok.kind == "LPAREN":
            self.take()
            if self.depth >= MAX_DEPTH:
                raise _err(tok.pos, f"Parentheses nested more than {MAX_DEPTH} deep at position {{p}}",
                           f"Quá {MAX_DEPTH} tầng ngoặc lồng nhau ({{p}}).")
            if self.tok.kind == "RPAREN":
                raise _err(tok.pos, "Empty parentheses at position {p}", "Cặp ngoặc ở {p} không chứa gì.")
            if self.tok.kind == "EOF":
                raise _missing_paren(tok)
            self.depth += 1
            node = self.or_expr(None)
            self.depth -= 1
            if self.tok.kind != "RPAREN":
                raise _missing_paren(tok)
            self.take()
            return node
        # No operand where one is needed.
        if pending is not None:
            op = _op_name(pending)
            raise _err(pending.pos, f"{op} at position {{p}} is missing its right operand",
                       f"Toán tử {op} ở {{p}} thiếu từ khóa phía sau.")
        if tok.kind in ("AND", "OR", "NEAR"):
            op = _op_name(tok)
            raise _err(tok.pos, f"{op} at position {{p}} is missing its left operand",
                       f"Toán tử {op} ở {{p}} thiếu từ khóa phía trước.")
        if tok.kind == "RPAREN":
            raise _err(tok.pos, "Unmatched closing parenthesis at position {p}",
                       "Dấu ngoặc đóng “)” ở {p} không có dấu ngoặc mở tương ứng.")
        raise _err(tok.pos, "Query is empty", "Truy vấn đang trống; hãy nhập ít nhất một từ khóa.")


def _missing_paren(lparen: _Tok) -> QueryError:
    return _err(lparen.pos, "Missing closing parenthesis for '(' at position {p}",
                "Thiếu dấu ngoặc đóng “)” cho dấu ngoặc mở ở {p}.")


def _op_name(tok: _Tok) -> str:
    return f"NEAR/{tok.distance}" if tok.kind == "NEAR" else tok.kind


def _flat(kind: type[_And] | type[_Or], items: list[_Node]) -> _Node:
    if len(items) == 1:
        return items[0]
    out: list[_Node] = []
    for item in items:
        out.extend(item.children if isinstance(item, kind) else (item,))
    return kind(tuple(out))


# --------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Hit:
    pos: int  # of the term in the query, for ordering
    term: str
    spans: tuple[tuple[int, int], ...]


def _term_hits(term: _Term, pt: PreparedText) -> list[_Hit]:
    starts = pt.find(term.syllables)
    if not starts:
        return []
    k = len(term.syllables) - 1
    return [_Hit(term.pos, term.text, tuple((pt.starts[i], pt.ends[i + k]) for i in starts))]


def _near_hits(near: _Near, pt: PreparedText) -> list[_Hit]:
    a, b = pt.find(near.left.syllables), pt.find(near.right.syllables)
    if not a or not b:
        return []
    la, lb, n = len(near.left.syllables), len(near.right.syllables), near.distance
    used_a: set[int] = set()
    used_b: set[int] = set()
    for s in a:
        e = s + la - 1
        # b after a: b_start in [e + 1, e + 1 + n]; b before a: b_end = b_start + lb - 1 in [s - 1 - n, s - 1].
        for lo, hi in ((e + 1, e + 1 + n), (s - n - lb, s - lb)):
            found = b[bisect_left(b, lo) : bisect_right(b, hi)]
            if found:
                used_a.add(s)
                used_b.update(found)
    if not used_a:
        return []

    def spans(starts: set[int], length: int) -> tuple[tuple[int, int], ...]:
        return tuple((pt.starts[i], pt.ends[i + length - 1]) for i in sorted(starts))

    return [_Hit(near.left.pos, near.left.text, spans(used_a, la)),
            _Hit(near.right.pos, near.right.text, spans(used_b, lb))]


def _eval(node: _Node, pt: PreparedText, negated: bool) -> tuple[bool, list[_Hit]]:
    """Truth of ``node`` (of ``NOT node`` when ``negated``) and the positive hits that make it true.

    Works on the negation normal form without building it: NOT flips the
    polarity, De Morgan swaps AND/OR under negation, and a negated term never
    contributes hits. AND reports its children's hits only when all hold; OR
    reports those of every child that holds.
    """
    if isinstance(node, _Term | _Near):
        hits = _term_hits(node, pt) if isinstance(node, _Term) else _near_hits(node, pt)
        return (not hits, []) if negated else (bool(hits), hits)
    if isinstance(node, _Not):
        return _eval(node.child, pt, not negated)
    out: list[_Hit] = []
    if isinstance(node, _And) != negated:  # conjunction
        for child in node.children:
            ok, hits = _eval(child, pt, negated)
            if not ok:
                return False, []
            out.extend(hits)
        return True, out
    any_ok = False
    for child in node.children:
        ok, hits = _eval(child, pt, negated)
        if ok:
            any_ok = True
            out.extend(hits)
    return any_ok, out


def _walk_terms(node: _Node, negated: bool) -> list[tuple[int, str, bool]]:
    if isinstance(node, _Term):
        return [(node.pos, node.text, negated)]
    if isinstance(node, _Near):
        return [(node.left.pos, node.left.text, negated), (node.right.pos, node.right.text, negated)]
    if isinstance(node, _Not):
        return _walk_terms(node.child, not negated)
    return [t for child in node.children for t in _walk_terms(child, negated)]


def _ordered_unique(items: list[tuple[int, str]]) -> list[str]:
    seen: dict[str, None] = {}
    for _, text in sorted(items, key=lambda t: t[0]):
        seen.setdefault(text, None)
    return list(seen)


_EMPTY = PreparedText("")

# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    """Why a text matched a query.

    ``terms``: the positive terms and phrases that were found, as written in
    the query (phrases without their quotes), unique, in query order; terms
    only reached through NOT are never listed. ``spans``: ``(start, end)``
    character offsets into the original text (``text[start:end]``) of every
    occurrence that made the match, sorted and unique; a phrase's span runs
    from its first to its last syllable. Spans of different terms may overlap
    or nest (e.g. ``Phú`` inside ``Phú Mỹ``).
    """

    terms: list[str]
    spans: list[tuple[int, int]]


@dataclass(frozen=True, eq=True)
class Query:
    """A parsed query; build it with ``parse``. Immutable and safe to share between threads.

    ``source`` is the query string as given; ``str(query)`` is a normalized
    form (single spaces, explicit AND, minimal parentheses, double negation
    removed) that parses back to an equal query. Two queries are equal when
    their normalized structure is.
    """

    root: _Node
    source: str = field(compare=False)

    def matches(self, text: str | PreparedText) -> Match | None:
        """Match this query against ``text`` (a str, or a ``PreparedText`` from ``prepare``).

        Returns a ``Match`` (terms found and their spans in the original text)
        or None. Raises TypeError if ``text`` is neither.
        """
        pt = text if isinstance(text, PreparedText) else PreparedText(text)
        ok, hits = _eval(self.root, pt, False)
        if not ok:
            return None
        terms = _ordered_unique([(h.pos, h.term) for h in hits])
        spans = sorted({span for h in hits for span in h.spans})
        return Match(terms, spans)

    def positive_terms(self) -> list[str]:
        """Terms and phrases the query looks for (under an even number of NOTs), as written, unique, in query order."""
        return _ordered_unique([(pos, text) for pos, text, neg in _walk_terms(self.root, False) if not neg])

    def __str__(self) -> str:
        return str(self.root)

    def __repr__(self) -> str:
        return f"Query({str(self)!r})"


def parse(query: str) -> Query:
    """Parse a watchlist query (grammar in the module docstring) into a ``Query``.

    Raises ``QueryError`` (``.position`` 0-based, ``.message_vi``) when the
    query is empty or blank; longer than 1000 characters; has more than 50
    terms; has unbalanced parentheses or quotes, empty parentheses or an empty
    phrase; has an operator without an operand; has NEAR without a distance,
    with a distance that is not a whole number from 1 to 50, with an operand
    that is not a term or phrase, or chained; uses a ``*`` wildcard or a
    leading ``-``; or could match a text containing none of its terms (only
    NOT, e.g. ``NOT a`` or ``a OR NOT b``). Raises TypeError for non-str.
    """
    if not isinstance(query, str):
        raise TypeError(f"expected str, got {type(query).__name__}")
    if len(query) > MAX_QUERY_CHARS:
        raise _err(MAX_QUERY_CHARS, f"Query is longer than {MAX_QUERY_CHARS} characters ({len(query)})",
                   f"Truy vấn dài quá {MAX_QUERY_CHARS} ký tự (hiện có {len(query)} ký tự).")
    if not query.strip():
        raise _err(0, "Query is empty", "Truy vấn đang trống; hãy nhập ít nhất một từ khóa.")
    parser = _Parser(query)
    root = parser.parse()
    if _eval(root, _EMPTY, False)[0]:
        at = next(t.pos for t in parser.toks if t.kind == "NOT")
        raise _err(at, "Query would match texts containing none of its terms (because of NOT at position {p}); "
                   "add a term to look for",
                   "Truy vấn sẽ khớp cả những bài không chứa từ khóa nào (do NOT ở {p}); "
                   "hãy thêm ít nhất một từ khóa cần tìm.")
    return Query(root, query)
