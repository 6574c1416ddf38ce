"""Rendering helpers for the queue and item pages: sanitizing, highlighting, labels, times.

Scraped text is untrusted. :func:`highlight_html` is the only place that turns it into
markup: it escapes the plain text, wraps the matched terms in ``<mark>`` and runs the
result through ``nh3.clean`` allowing only ``mark``, ``p`` and ``br`` (no attributes),
so injected tags, event handlers and ``javascript:`` URLs can only ever be text.
:func:`safe_href` lets only http(s) URLs become links.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import nh3
from markupsafe import Markup, escape

from alerts.digest import CATEGORY_LABELS, TRIAGE_LABELS, vn_number
from alerts.watchquery import prepare

ALLOWED_TAGS = frozenset({"mark", "p", "br"})
MAX_TERMS = 200
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

ACTION_LABELS = {
    "triage.created": "Tạo mục xử lý",
    "triage.updated": "Hệ thống cập nhật mục",
    "triage.new": "Trả về trạng thái mới",
    "triage.in_review": "Bắt đầu xem xét",
    "triage.routed": "Chuyển đơn vị xử lý",
    "triage.acknowledged": "Đơn vị tiếp nhận",
    "triage.resolved": "Đã giải quyết",
    "triage.dismissed": "Bỏ qua",
    "triage.corrected": "Sửa loại cảnh báo",
    "triage.assigned": "Phân công người xử lý",
    "note.added": "Thêm ghi chú",
}
FIELD_LABELS = {
    "status": "Trạng thái",
    "routed_unit_id": "Đơn vị được chuyển",
    "suggested_unit": "Đơn vị đề xuất",
    "assigned_to": "Người xử lý",
    "reason": "Lý do",
    "top_category": "Loại chính",
    "categories": "Các loại cảnh báo",
    "priority": "Độ ưu tiên",
    "note": "Ghi chú",
    "text": "Nội dung",
}


def short_category(category: str) -> str:
    """Vietnamese label of a flag category without the parenthesised detail."""
    return CATEGORY_LABELS.get(category, category).split(" (")[0]


def status_label(status: str) -> str:
    return TRIAGE_LABELS.get(status, status)


def number(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else vn_number(float(value), digits)


def local_time(value: dt.datetime | None, tz: str | ZoneInfo = "Asia/Ho_Chi_Minh", with_seconds: bool = False) -> str:
    """``dd/mm/yyyy HH:MM`` in ``tz`` (naive values are taken as UTC); "—" for None."""
    if value is None:
        return "—"
    zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(zone).strftime("%d/%m/%Y %H:%M:%S" if with_seconds else "%d/%m/%Y %H:%M")


def safe_href(url: str | None) -> str | None:
    """``url`` when it is an absolute http(s) URL with a host, else None (never a javascript:/data: link)."""
    if not url:
        return None
    url = url.strip()
    if _CONTROL_RE.search(url) or any(c.isspace() for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def plain(text: str | None) -> str:
    """Scraped text with control characters removed (still to be autoescaped)."""
    return _CONTROL_RE.sub("", text or "")


# --------------------------------------------------------------------------
# Highlighting
# --------------------------------------------------------------------------

def term_keys(terms: Iterable[str]) -> list[tuple[str, ...]]:
    """Folded syllable sequences of ``terms`` (case and diacritics removed), longest first, unique.
    Terms of a single character are skipped (they would mark every other word)."""
    keys: set[tuple[str, ...]] = set()
    for term in terms:
        if not isinstance(term, str):
            continue
        key = tuple(prepare(term[:300]).syllables)  # the watchlists' folding: "Công An" -> ("cong", "an")
        if key and len("".join(key)) >= 2:
            keys.add(key)
        if len(keys) >= MAX_TERMS:
            break
    return sorted(keys, key=lambda k: (-len(k), k))


def term_spans(text: str, terms: Iterable[str]) -> list[tuple[int, int]]:
    """Merged, sorted (start, end) character spans of ``text`` where a term occurs on syllable
    boundaries, case- and diacritic-insensitively ("cong an" finds "Công an")."""
    keys = term_keys(terms)
    if not keys or not text:
        return []
    pt = prepare(text)
    spans = []
    for key in keys:
        n = len(key)
        for i in pt.find(key):
            spans.append((pt.starts[i], pt.ends[i + n - 1]))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _marked(text: str, offset: int, spans: list[tuple[int, int]]) -> str:
    """Escaped ``text`` (a slice of the whole starting at ``offset``) with the spans inside it marked."""
    out, pos, end = [], 0, len(text)
    for s, e in spans:
        s, e = max(s - offset, 0), min(e - offset, end)
        if e <= 0 or s >= end or s >= e:
            continue
        if s > pos:
            out.append(str(escape(text[pos:s])))
        out.append(f"<mark>{escape(text[s:e])}</mark>")
        pos = e
    out.append(str(escape(text[pos:])))
    return "".join(out)


def sanitize(html: str) -> Markup:
    """``html`` reduced to ``<p>``, ``<br>`` and ``<mark>`` without attributes (nh3)."""
    return Markup(nh3.clean(html, tags=set(ALLOWED_TAGS), attributes={}, strip_comments=True, link_rel=None))


def highlight_html(text: str | None, terms: Iterable[str] = ()) -> Markup:
    """Article text as safe HTML: one ``<p>`` per line, matched ``terms`` in ``<mark>``.

    Built from the escaped plain text, then sanitized with nh3 (only mark/p/br allowed),
    so the result is safe to insert into a page whatever the text contains.
    """
    text = plain(text)
    spans = term_spans(text, terms)
    parts, offset = [], 0
    for line in text.split("\n"):
        if line.strip():
            parts.append(f"<p>{_marked(line, offset, spans)}</p>")
        offset += len(line) + 1
    return sanitize("".join(parts))


def highlight_inline(text: str | None, terms: Iterable[str] = ()) -> Markup:
    """A one-line string (e.g. a title) escaped, with matched ``terms`` in ``<mark>``."""
    text = plain(text).replace("\n", " ")
    return sanitize(_marked(text, 0, term_spans(text, terms)))


def flag_terms(explanation: Mapping[str, Any] | None) -> list[str]:
    """The matched terms of a flag explanation (model-only features are left out of highlighting)."""
    out = []
    for t in (explanation or {}).get("matched_terms") or []:
        if isinstance(t, dict) and isinstance(t.get("term"), str) and t.get("source") != "model":
            out.append(t["term"])
        elif isinstance(t, str):
            out.append(t)
    return out


# --------------------------------------------------------------------------
# Workflow errors and history
# --------------------------------------------------------------------------

_ERRORS: list[tuple[re.Pattern[str], Any]] = [
    (re.compile(r"^a person must make this change$"), lambda m: "Thay đổi này phải do một người thực hiện."),
    (re.compile(r"^cannot go from (\w+) to (\w+)$"),
     lambda m: f"Không thể chuyển trạng thái từ “{status_label(m[1])}” sang “{status_label(m[2])}”."),
    (re.compile(r"^unknown unit (.*)$"), lambda m: "Không có đơn vị này; hãy chọn một đơn vị trong danh sách."),
    (re.compile(r"^the police route is only for .*, not (\w+)$"),
     lambda m: ("Chỉ được chuyển cho công an các mục lừa đảo hoặc đe dọa, bạo lực; mục này thuộc loại "
                f"“{short_category(m[1])}”.")),
    (re.compile(r"^a police route needs a written reason$"), lambda m: "Chuyển cho công an phải ghi rõ lý do."),
    (re.compile(r"^dismissing needs a reason$"), lambda m: "Bỏ qua một mục phải ghi lý do."),
    (re.compile(r"^unknown category (.*)$"), lambda m: "Loại cảnh báo không hợp lệ."),
    (re.compile(r"^a closed item cannot be corrected$"),
     lambda m: "Mục đã đóng (đã giải quyết hoặc đã bỏ qua) không thể sửa loại."),
]


def workflow_error_vi(exc: Exception) -> str:
    """A Vietnamese message for a :class:`mediawatch.workflow.WorkflowError`."""
    msg = str(exc)
    for pattern, make in _ERRORS:
        m = pattern.match(msg)
        if m:
            return str(make(m))
    return "Không thực hiện được thao tác này."


def _value(key: str, value: Any, units: Mapping[Any, str]) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if key == "status":
        return status_label(str(value))
    if key in ("routed_unit_id", "suggested_unit"):
        return units.get(value, str(value))
    if key == "top_category":
        return short_category(str(value))
    if key == "categories" and isinstance(value, list):
        return ", ".join(short_category(str(c)) for c in value)
    if isinstance(value, float):
        return number(value)
    return plain(str(value))


def describe_change(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None,
                    units: Mapping[Any, str]) -> list[tuple[str, str, str]]:
    """(field label, before, after) for each field that an audit event changed or set;
    ``units`` maps unit ids and codes to names."""
    before, after = before or {}, after or {}
    rows = []
    for key in list(dict.fromkeys([*before.keys(), *after.keys()])):
        if key == "note_id":
            continue
        b, a = before.get(key), after.get(key)
        if key in before and key in after and b == a:
            continue
        if key not in before and a in (None, ""):
            continue
        rows.append((FIELD_LABELS.get(key, key), _value(key, b, units) if key in before else "",
                     _value(key, a, units)))
    return rows


def actor_label(actor: str) -> str:
    return "Hệ thống" if actor == "system" else actor
