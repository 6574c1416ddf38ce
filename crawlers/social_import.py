"""Import platform exports of public page/group posts and comments (``mediawatch import-social``).

An export file (CSV or JSON) is read through a small declarative :class:`ExportFormat`
(which list holds the rows, which column or dotted JSON path holds each field), so a
new export format is one entry of :data:`FORMATS`. Shipped formats:

* ``crowdtangle-csv``: CrowdTangle's CSV export (Page Name, User Name, Post Created,
  Type, URL/Post URL, Message, Likes, Total Interactions, Shares, Comments, ...).
* ``graph-json``: Facebook Graph API ``/{page}/posts`` (``data[]`` with ``message``,
  ``created_time``, ``permalink_url``, ``shares.count``, ``reactions.summary.total_count``
  and nested ``comments.data[]``).
* ``facebook-dyi-posts`` / ``facebook-dyi-comments``: Facebook "Download Your
  Information" JSON (a list of ``{timestamp, data: [{post}]}``; ``comments_v2``).

Facebook's DYI JSON writes UTF-8 bytes as latin-1 ``\\u00XX`` escapes ("Ph\\u00c3\\u00b2ng"
for "Phòng"); every string of every format is checked and repaired
(:func:`repair_mojibake`).

Each post and comment becomes one crawl ``page`` record (see :mod:`crawlers.items`)
with the text in its entry (no body, so nothing is fetched), ``origin="import"`` and
the platform figures in ``engagement``; :func:`import_social` then runs the same
ingest and processing as a crawl (:mod:`pipeline.ingest`, :mod:`mediawatch.cycle`).
The source is always a social one: authors are stored only as keyed hashes, and
they are never written to run items, logs or summaries. A row that cannot be read
ends as a ``parse-error`` run item naming its row; the other rows still import.
Rerunning the same file gives ``dup-url`` for every row (URLs are the identity).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import html
import io
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from dateutil import parser as dateutil_parser

from crawlers import items

log = logging.getLogger(__name__)
MAX_TITLE = 120
# time zone abbreviations found in exports (CrowdTangle writes its account's zone, e.g. "EST")
_TZ_ABBR = {"UTC": 0, "GMT": 0, "Z": 0, "ICT": 7 * 3600, "EST": -5 * 3600, "EDT": -4 * 3600,
            "CST": -6 * 3600, "CDT": -5 * 3600, "MST": -7 * 3600, "MDT": -6 * 3600,
            "PST": -8 * 3600, "PDT": -7 * 3600}
_MOJIBAKE = re.compile(r"[\xc2-\xf4][\x80-\xbf]")


class SocialImportError(ValueError):
    """The file as a whole cannot be imported (unreadable, too large, unknown format).
    ``message_vi`` is the Vietnamese message for people."""

    def __init__(self, message: str, message_vi: str) -> None:
        super().__init__(message)
        self.message_vi = message_vi


@dataclass(frozen=True)
class ExportFormat:
    """How one export format maps to the canonical fields.

    ``rows``: dotted path of the list of posts in a JSON export ("" = the file is the list;
    unused for CSV). ``fields``: canonical field -> candidate column names (CSV) or dotted
    paths (JSON, list indexes allowed: ``data.0.post``); the first non-empty one wins.
    Canonical fields: id, text, time, url, author, link, type, reactions, likes, shares,
    comments. ``comments``: dotted path, in a post, of its comment list, read with
    ``comment_fields``. ``signature``: fields whose presence in the first row identifies
    the format. ``kind``: what a row is (post or comment). ``epoch``: times are Unix seconds.
    """

    name: str
    container: Literal["csv", "json"]
    fields: Mapping[str, tuple[str, ...]]
    signature: tuple[str, ...]
    rows: str = ""
    comments: str | None = None
    comment_fields: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    kind: Literal["post", "comment"] = "post"
    epoch: bool = False


FORMATS: dict[str, ExportFormat] = {f.name: f for f in (
    ExportFormat(
        name="crowdtangle-csv", container="csv", signature=("Post Created", "Message"),
        fields={"id": ("Post ID", "Facebook Id Post"), "text": ("Message",), "time": ("Post Created",),
                "url": ("URL", "Post URL"), "author": ("Page Name", "User Name"), "link": ("Link", "Final Link"),
                "type": ("Type",), "reactions": ("Total Interactions",), "likes": ("Likes",),
                "shares": ("Shares",), "comments": ("Comments",)}),
    ExportFormat(
        name="graph-json", container="json", rows="data", signature=("created_time",),
        fields={"id": ("id",), "text": ("message", "story"), "time": ("created_time",),
                "url": ("permalink_url",), "author": ("from.name",), "link": ("link",), "type": ("status_type",),
                "reactions": ("reactions.summary.total_count",), "likes": ("likes.summary.total_count",),
                "shares": ("shares.count",), "comments": ("comments.summary.total_count",)},
        comments="comments.data",
        comment_fields={"id": ("id",), "text": ("message",), "time": ("created_time",),
                        "url": ("permalink_url",), "author": ("from.name",), "likes": ("like_count",),
                        "reactions": ("reactions.summary.total_count",), "comments": ("comment_count",)}),
    ExportFormat(
        name="facebook-dyi-posts", container="json", rows="", signature=("timestamp", "data"), epoch=True,
        fields={"text": ("data.0.post", "data.1.post"), "time": ("timestamp",),
                "link": ("attachments.0.data.0.external_context.url",)}),
    ExportFormat(
        name="facebook-dyi-comments", container="json", rows="comments_v2", signature=("timestamp", "data"),
        epoch=True, kind="comment",
        fields={"text": ("data.0.comment.comment",), "time": ("data.0.comment.timestamp", "timestamp"),
                "author": ("data.0.comment.author",)}),
)}


@dataclass
class ParsedRow:
    """One post or comment read from an export: a page record, or the reason it was refused."""

    row: str  # "row 3" or "row 3, comment 2" (1-based, data rows only)
    record: dict[str, Any] | None = None
    error: str | None = None


@dataclass
class ParsedExport:
    format: str
    rows: list[ParsedRow]
    repaired_strings: int = 0


def repair_mojibake(value: str) -> str:
    """Undo UTF-8 read as latin-1 ("PhÃ²ng" -> "Phòng"); other strings are returned unchanged.

    Repairs only strings made of code points < 256 that contain a UTF-8 lead/continuation
    pair and decode as UTF-8 without error, so correct Vietnamese text (which has code
    points above 255, or latin-1 letters that are not valid UTF-8 sequences) is never touched.
    """
    if not value or not _MOJIBAKE.search(value):
        return value
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def _repair_all(obj: Any, counter: list[int]) -> Any:
    if isinstance(obj, str):
        fixed = repair_mojibake(obj)
        if fixed is not obj and fixed != obj:
            counter[0] += 1
        return fixed
    if isinstance(obj, list):
        return [_repair_all(v, counter) for v in obj]
    if isinstance(obj, dict):
        return {_repair_all(k, counter): _repair_all(v, counter) for k, v in obj.items()}
    return obj


def _get(obj: Any, path: str) -> Any:
    """Value at a dotted path (``a.b.0.c``) in nested dicts/lists, else None."""
    cur = obj
    for part in path.split("."):
        if isinstance(cur, dict):
            cur = cur.get(part)
        elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        else:
            return None
        if cur is None:
            return None
    return cur


def _first(row: Any, paths: tuple[str, ...], csv_row: bool) -> Any:
    for path in paths:
        value = row.get(path) if csv_row else _get(row, path)
        if isinstance(value, str):
            value = value.strip()
        if value not in (None, ""):
            return value
    return None


def _count(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value)
    try:
        return int(float(str(value).replace(",", "").strip()))
    except ValueError:
        return None


def parse_time(value: Any, epoch: bool) -> str | None:
    """An export's time as an ISO 8601 string with offset; raises ValueError when unreadable.

    Unix seconds (DYI) are UTC; text with a zone abbreviation (CrowdTangle's "EST") gets
    that offset; text without any zone is left to :func:`pipeline.dates.parse_date`
    (Asia/Ho_Chi_Minh)."""
    if value is None:
        return None
    if epoch or isinstance(value, int | float):
        try:
            return dt.datetime.fromtimestamp(float(value), dt.UTC).isoformat()
        except (TypeError, ValueError, OverflowError, OSError) as exc:
            raise ValueError(f"unreadable time {str(value)[:40]!r}") from exc
    text = str(value).strip()
    try:
        parsed = dateutil_parser.parse(text, tzinfos=_TZ_ABBR)
    except (ValueError, OverflowError, dateutil_parser.ParserError) as exc:
        raise ValueError(f"unreadable time {text[:40]!r}") from exc
    return parsed.isoformat()


def _short_title(text: str) -> str:
    first = text.strip().splitlines()[0].strip() if text.strip() else ""
    if len(first) <= MAX_TITLE:
        return first
    return first[:MAX_TITLE].rsplit(" ", 1)[0].rstrip(",;:–- ") + "…"


def _http_url(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    parts = urlsplit(value.strip())
    return value.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def comment_url(post_url: str, comment_id: str) -> str:
    """URL of a comment that has none of its own: the post's URL with ``comment_id`` (Facebook's own
    form). A ``#comment-<id>`` fragment would not do: canonical URLs drop fragments, so every comment
    would collide with its post."""
    sep = "&" if urlsplit(post_url).query else "?"
    return f"{post_url}{sep}comment_id={comment_id}"


def _synthetic_url(source_key: str, *parts: Any) -> str:
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:40]
    return f"social-import:{source_key}/{digest}"


def _to_record(source_key: str, fmt: ExportFormat, fields: Mapping[str, tuple[str, ...]], row: Any,
               csv_row: bool, kind: str, max_chars: int, parent: dict[str, Any] | None = None) -> dict[str, Any]:
    """A page record for one post/comment; raises ValueError (English, no personal data) when unreadable."""
    if not isinstance(row, dict):
        raise ValueError(f"not an object but {type(row).__name__}")
    get = {name: _first(row, paths, csv_row) for name, paths in fields.items()}
    text = get.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("no text")
    text = text.strip()[:max_chars]
    published = parse_time(get.get("time"), fmt.epoch) if get.get("time") is not None else None
    raw_url = get.get("url")
    url = _http_url(raw_url)
    if raw_url is not None and url is None:
        raise ValueError(f"URL is not http(s): {str(raw_url)[:80]!r}")
    ident = str(get["id"]) if get.get("id") is not None else None
    if url is None and parent is not None and parent.get("url", "").startswith(("http://", "https://")):
        url = comment_url(parent["url"], ident or hashlib.sha256(f"{published}|{text}".encode()).hexdigest()[:16])
    if url is None:
        url = _synthetic_url(source_key, fmt.name, kind, ident or "", published or "", text)
    engagement = {k: _count(get.get(k)) for k in ("reactions", "likes", "shares", "comments")}
    engagement = {k: v for k, v in engagement.items() if v is not None}
    engagement["kind"] = kind
    if get.get("type"):
        engagement["type"] = str(get["type"])[:40]
    if _http_url(get.get("link")):
        engagement["link"] = _http_url(get.get("link"))
    if parent is not None:
        engagement["parent_url"] = parent.get("url")
    author = get.get("author")
    entry = {"url": url, "guid": ident, "title": _short_title(text), "summary": html.escape(text),
             "published": published, "author": str(author) if author is not None else None}
    rec = items.page(source_key, url, entry=entry)
    rec["origin"], rec["engagement"] = "import", engagement
    return rec


def detect_format(data: Any, container: str) -> ExportFormat:
    """The format whose signature the first row carries; raises SocialImportError."""
    for fmt in FORMATS.values():
        if fmt.container != container:
            continue
        if container == "csv":
            if all(col in data for col in fmt.signature):
                return fmt
            continue
        rows = _get(data, fmt.rows) if fmt.rows else data
        if isinstance(rows, list) and rows and isinstance(rows[0], dict) and all(k in rows[0] for k in fmt.signature):
            if fmt.rows == "" and not isinstance(data, list):
                continue
            return fmt
    raise SocialImportError(f"unknown {container} export format",
                            "Không nhận ra định dạng tệp xuất (CSV CrowdTangle, JSON Graph API, JSON Facebook "
                            "“Tải thông tin của bạn”).")


def _read_text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SocialImportError(f"not UTF-8: {exc}", "Tệp không ở mã UTF-8.") from exc


def parse_export(raw: bytes, source_key: str, *, container: str | None = None, fmt_name: str | None = None,
                 max_rows: int = 100_000, max_chars: int = 200_000) -> ParsedExport:
    """Read an export's bytes into one :class:`ParsedRow` per post and comment, in file order.

    ``container``: "csv" or "json" (default: guessed from the first byte). ``fmt_name``: a key
    of :data:`FORMATS` (default: detected). Raises SocialImportError for an unreadable file,
    an unknown format or more than ``max_rows`` posts and comments."""
    text = _read_text(raw)
    if container is None:
        container = "json" if text.lstrip()[:1] in ("{", "[") else "csv"
    counter = [0]
    out: list[ParsedRow] = []
    if container == "csv":
        csv.field_size_limit(max(131_072, max_chars * 4))
        try:
            reader = csv.DictReader(io.StringIO(text, newline=""))
            header = reader.fieldnames or []
            fmt = FORMATS[fmt_name] if fmt_name else detect_format(header, "csv")
            rows = list(reader)
        except csv.Error as exc:
            raise SocialImportError(f"unreadable CSV: {exc}", f"Không đọc được tệp CSV: {exc}") from exc
        if len(rows) > max_rows:
            raise _too_many(len(rows), max_rows)
        for n, row in enumerate(rows, 1):
            row = _repair_all({k: v for k, v in row.items() if k is not None}, counter)
            out.append(_parsed(f"row {n}", lambda r=row: _to_record(source_key, fmt, fmt.fields, r, True, fmt.kind,
                                                                      max_chars)))
        return ParsedExport(fmt.name, out, counter[0])
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise SocialImportError(f"unreadable JSON: {exc}", f"Không đọc được tệp JSON: {exc}") from exc
    fmt = FORMATS[fmt_name] if fmt_name else detect_format(data, "json")
    rows = _get(data, fmt.rows) if fmt.rows else data
    if not isinstance(rows, list):
        raise SocialImportError(f"{fmt.name}: no list at {fmt.rows!r}", "Tệp JSON không có danh sách bài viết.")
    total = len(rows) + sum(len(_get(r, fmt.comments) or []) for r in rows
                            if fmt.comments and isinstance(r, dict) and isinstance(_get(r, fmt.comments), list))
    if total > max_rows:
        raise _too_many(total, max_rows)
    for n, row in enumerate(rows, 1):
        row = _repair_all(row, counter)
        parsed = _parsed(f"row {n}", lambda r=row: _to_record(source_key, fmt, fmt.fields, r, False, fmt.kind,
                                                               max_chars))
        out.append(parsed)
        comments = _get(row, fmt.comments) if fmt.comments and isinstance(row, dict) else None
        if isinstance(comments, list):
            parent = {"url": parsed.record["url"]} if parsed.record else {"url": ""}
            for m, comment in enumerate(comments, 1):
                out.append(_parsed(f"row {n}, comment {m}",
                                   lambda c=comment, p=parent: _to_record(source_key, fmt, fmt.comment_fields, c,
                                                                          False, "comment", max_chars, p)))
    return ParsedExport(fmt.name, out, counter[0])


def _too_many(n: int, limit: int) -> SocialImportError:
    return SocialImportError(f"{n} posts and comments, more than the limit {limit}",
                             f"Tệp có {n} bài viết và bình luận, vượt giới hạn {limit} "
                             "(MEDIAWATCH_IMPORT_MAX_ROWS); hãy chia nhỏ tệp.")


_VI_ROW_ERRORS = ((re.compile(r"^row (\d+), comment (\d+): "), r"dòng \1, bình luận \2: "),
                  (re.compile(r"^row (\d+): "), r"dòng \1: "),
                  (re.compile(r"no text$"), "không có nội dung"),
                  (re.compile(r"unreadable time "), "không đọc được thời gian "),
                  (re.compile(r"not an object but (\w+)"), r"không phải đối tượng JSON (\1)"),
                  (re.compile(r"URL is not http\(s\): "), "URL không phải http(s): "))


def row_error_vi(message: str) -> str:
    """A per-row error (English, as stored in run items) in Vietnamese, for people reading the CLI."""
    for rx, repl in _VI_ROW_ERRORS:
        message = rx.sub(repl, message)
    return message


def _parsed(label: str, build: Any) -> ParsedRow:
    try:
        return ParsedRow(label, record=build())
    except ValueError as exc:
        return ParsedRow(label, error=f"{label}: {exc}")


@dataclass
class ImportSummary:
    """What one import did: ``statuses`` (status -> count of this run's items, one per row),
    ``errors`` (per-row messages, in English, without personal data)."""

    run_id: int
    format: str
    rows: int
    documents: int
    statuses: dict[str, int]
    errors: list[str]
    repaired_strings: int

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def import_social(settings: Any, path: Path, source_key: str, *, container: str | None = None,
                  fmt_name: str | None = None, factory: Any = None) -> ImportSummary:
    """Import one export file into the database through ingest and processing.

    ``source_key``: a source of config/sources.yaml (it must have ``outlet_type: social``)
    or a new key (a disabled social source of kind ``import`` is created). Raises
    SocialImportError (with ``message_vi``) for a file that cannot be imported as a whole:
    missing, larger than ``settings.import_max_bytes``, more rows than
    ``settings.import_max_rows``, unreadable, unknown format, or a non-social source."""
    from contextlib import nullcontext

    from sqlalchemy import func, select

    from crawlers.sources import SourceConfigError, SourceSpec, load_sources
    from mediawatch.cycle import finish_run, open_database, process_into
    from pipeline.ingest import ingest, sync_sources
    from storage.db import session_scope
    from storage.models import CrawlRun, RunItem, Source

    try:
        size = path.stat().st_size
    except OSError as exc:
        raise SocialImportError(f"{path}: {exc}", f"Không mở được tệp {path}.") from exc
    if size > settings.import_max_bytes:
        raise SocialImportError(f"{path}: {size} bytes, more than {settings.import_max_bytes}",
                                f"Tệp lớn {size} byte, vượt giới hạn {settings.import_max_bytes} byte "
                                "(MEDIAWATCH_IMPORT_MAX_BYTES).")
    parsed = parse_export(path.read_bytes(), source_key, container=container, fmt_name=fmt_name,
                          max_rows=settings.import_max_rows, max_chars=settings.max_text_chars)
    try:
        configured = {s.key: s for s in load_sources(settings.config_dir / "sources.yaml", enabled_only=False)}
    except SourceConfigError:
        configured = {}
    spec = configured.get(source_key)
    if spec is None:
        spec = SourceSpec(name=f"Nhập từ tệp xuất: {source_key}", key=source_key, kind="import",
                          outlet_type="social", enabled=False, language="vi")
    elif spec.outlet_type != "social":
        raise SocialImportError(f"source {source_key} is not social (outlet_type {spec.outlet_type})",
                                f"Nguồn “{source_key}” không phải nguồn mạng xã hội (outlet_type: social); "
                                "không nhập bài mạng xã hội vào nguồn này.")
    with (nullcontext(factory) if factory else open_database(settings)) as fac, session_scope(fac) as session:
        existing = session.scalar(select(Source).where(Source.key == spec.key))
        if existing is not None and (existing.outlet_type != "social" or existing.kind != spec.kind):
            # a stored source that is not this import's (the tips source, a demo or removed feed): never take it over
            raise SocialImportError(
                f"source {source_key} exists as kind {existing.kind}, outlet_type {existing.outlet_type}",
                f"Mã nguồn “{source_key}” đã được dùng cho nguồn “{existing.name}” (không phải nguồn nhập "
                "mạng xã hội); hãy chọn mã khác.")
        rows = sync_sources(session, [spec])
        source = rows[spec.key]
        run = CrawlRun(kind="import")
        session.add(run)
        session.flush()
        for p in parsed.rows:
            if p.error is not None:
                session.add(RunItem(run_id=run.id, source_id=source.id, url=f"{path.name}#{p.row.replace(' ', '-')}",
                                    status="parse-error", detail=p.error[:2000]))
        records = [p.record for p in parsed.rows if p.record is not None]
        records.append(items.source_result(spec.key, ok=True, entries=len(parsed.rows)))
        result = ingest(session, run, records, rows, settings)
        run.source_results = result.source_results
        run.sources_failed = []
        session.commit()
        process_into(session, settings, run, result.new_documents)
        summary = finish_run(session, settings, run, with_digest=False)
        n_items = session.scalar(select(func.count()).select_from(RunItem).where(RunItem.run_id == run.id))
        if n_items != len(parsed.rows):  # every row must end with exactly one status
            log.error("import run %s: %s run items for %s rows", run.id, n_items, len(parsed.rows))
        return ImportSummary(run_id=run.id, format=parsed.format, rows=len(parsed.rows),
                             documents=summary.documents, statuses=summary.statuses,
                             errors=[p.error for p in parsed.rows if p.error], repaired_strings=parsed.repaired_strings)
