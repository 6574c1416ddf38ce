"""Exports of the triage queue and of search results as CSV or XLSX, streamed with no row cap.

Rows are read with ``yield_per`` and written as they come: CSV through the csv
module (UTF-8 with BOM so spreadsheet programs read Vietnamese correctly),
XLSX through openpyxl's write-only workbook (rows go to a temporary file, so
memory stays flat however many rows). Cells that a spreadsheet would execute
as a formula (scraped text starting with ``=``, ``+``, ``-``, ``@``, tab or CR)
are prefixed with an apostrophe (OWASP "CSV injection"). Every export is an
audit event ``export`` with the actor, filters, format and row count.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alerts.digest import CATEGORY_LABELS, TRIAGE_LABELS
from storage.models import AuditEvent, Document, Flag, PlaceMention, Source, TopicTag, TriageItem, Unit

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
QUEUE_COLUMNS = ["Mã mục", "Trạng thái", "Ưu tiên", "Nhóm cờ chính", "Các nhóm cờ", "Tiêu đề", "URL", "Nguồn",
                 "Số bài cùng nội dung", "Đơn vị đề xuất", "Đơn vị đã chuyển", "Người xác nhận", "Tạo lúc",
                 "Hạn xử lý", "Chuyển lúc", "Tiếp nhận lúc", "Giải quyết lúc"]
DOCUMENT_COLUMNS = ["Mã bài", "Trạng thái", "Tiêu đề", "URL", "Nguồn", "Đăng lúc", "Thu thập lúc", "Cụm tin",
                    "Địa danh", "Chủ đề", "Nhóm cờ"]
MAX_CELL_CHARS = 32_000
QUEUE_STATUSES = ("new", "in_review", "routed", "acknowledged", "resolved", "dismissed")
DOCUMENT_STATUSES = ("ok", "dup-url", "dup-text", "off-area", "not-vi", "fetch-error", "parse-error",
                     "robots-disallowed", "quarantined", "debunk", "fetched")  # Excel's cell limit is 32,767 characters


class ExportError(ValueError):
    """Unknown format or filter."""


def safe_cell(value: Any) -> Any:
    """A cell value that no spreadsheet executes: strings starting like a formula get a leading
    apostrophe; strings are cut at 32,000 characters; other values pass through."""
    if isinstance(value, str):
        value = value[:MAX_CELL_CHARS]
        if value.startswith(FORMULA_PREFIXES):
            return "'" + value
    return value


def _category(code: str) -> str:
    return CATEGORY_LABELS.get(code, code).split(" (")[0]


def _fmt(value: dt.datetime | None, tz: ZoneInfo) -> str:
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M") if value else ""


def queue_rows(session: Session, tz: ZoneInfo, status: str | None = None, category: str | None = None,
               since: dt.datetime | None = None) -> Iterator[list[Any]]:
    """Rows (QUEUE_COLUMNS) of triage items, highest priority first, streamed."""
    units = {u.id: u.short_name or u.name for u in session.scalars(select(Unit))}
    outlets = {s.id: s.outlet or s.name for s in session.scalars(select(Source))}
    query = select(TriageItem).order_by(TriageItem.priority.desc(), TriageItem.id)
    if status:
        query = query.where(TriageItem.status == status)
    if category:
        query = query.where(TriageItem.top_category == category)
    if since:
        query = query.where(TriageItem.created_at >= since)
    for item in session.scalars(query.execution_options(yield_per=500)):
        lead = session.execute(select(Document.title, Document.url_canonical, Document.entry_url, Document.source_id)
                               .where(Document.cluster_id == item.cluster_id, Document.status == "ok")
                               .order_by(Document.id).limit(1)).first()
        size = session.scalar(select(func.count(Document.id)).where(Document.cluster_id == item.cluster_id)) or 0
        yield [item.id, TRIAGE_LABELS.get(item.status, item.status), item.priority,
               _category(item.top_category), ", ".join(_category(c) for c in item.categories),
               lead.title if lead else "", (lead.entry_url or lead.url_canonical) if lead else "",
               outlets.get(lead.source_id, "") if lead else "", size, units.get(item.suggested_unit_id, ""),
               units.get(item.routed_unit_id, ""), item.route_confirmed_by or "", _fmt(item.created_at, tz),
               _fmt(item.due_at, tz), _fmt(item.routed_at, tz), _fmt(item.acknowledged_at, tz),
               _fmt(item.resolved_at, tz)]


def document_rows(session: Session, tz: ZoneInfo, query: str | None = None, since: dt.datetime | None = None,
                  until: dt.datetime | None = None, status: str | None = "ok", chunk: int = 500) -> Iterator[list[Any]]:
    """Rows (DOCUMENT_COLUMNS) of documents matching the watchlist-syntax ``query`` (None: all),
    newest first, streamed in chunks of ``chunk``. Raises alerts.watchquery.QueryError for a bad query."""
    from alerts.watchquery import parse

    parsed = parse(query) if query else None
    outlets = {s.id: s.outlet or s.name for s in session.scalars(select(Source))}
    cols = [Document.id, Document.status, Document.title, Document.entry_url, Document.url_canonical,
            Document.source_id, Document.published_at, Document.created_at, Document.cluster_id]
    stmt = select(*cols, Document.text if parsed is not None else Document.id).order_by(
        Document.created_at.desc(), Document.id.desc())
    if status:
        stmt = stmt.where(Document.status == status)
    if since:
        stmt = stmt.where(Document.created_at >= since)
    if until:
        stmt = stmt.where(Document.created_at < until)
    batch: list[Any] = []
    for row in session.execute(stmt.execution_options(yield_per=chunk)):
        if parsed is not None and parsed.matches(f"{row.title or ''}\n{row[-1] or ''}") is None:
            continue
        batch.append(row)
        if len(batch) >= chunk:
            yield from _document_batch(session, batch, outlets, tz)
            batch = []
    if batch:
        yield from _document_batch(session, batch, outlets, tz)


def _document_batch(session: Session, rows: list[Any], outlets: dict[int, str], tz: ZoneInfo) -> Iterator[list[Any]]:
    ids = [r.id for r in rows]
    children: dict[str, dict[int, set[str]]] = {}
    for name, col, key in (("places", PlaceMention.place_name, PlaceMention.document_id),
                           ("topics", TopicTag.topic, TopicTag.document_id),
                           ("flags", Flag.category, Flag.document_id)):
        found: dict[int, set[str]] = {}
        for doc_id, value in session.execute(select(key, col).where(key.in_(ids))):
            found.setdefault(doc_id, set()).add(value)
        children[name] = found
    for r in rows:
        yield [r.id, r.status, r.title or "", r.entry_url or r.url_canonical, outlets.get(r.source_id, ""),
               _fmt(r.published_at, tz), _fmt(r.created_at, tz), r.cluster_id or "",
               ", ".join(sorted(children["places"].get(r.id, ()))), ", ".join(sorted(children["topics"].get(r.id, ()))),
               ", ".join(sorted(children["flags"].get(r.id, ())))]


def write_rows(path: Path, columns: list[str], rows: Iterator[list[Any]], fmt: str, sheet: str = "Dữ liệu") -> int:
    """Stream ``rows`` to ``path`` as ``csv`` or ``xlsx``; returns the number of data rows.
    Raises ExportError for another format."""
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    if fmt == "csv":
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(columns)
            for row in rows:
                writer.writerow([safe_cell(v) for v in row])
                n += 1
        return n
    if fmt == "xlsx":
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font

        wb = Workbook(write_only=True)
        ws = wb.create_sheet(sheet)
        ws.freeze_panes = "A2"
        header = []
        for c in columns:
            cell = WriteOnlyCell(ws, value=c)
            cell.font = Font(bold=True)
            header.append(cell)
        ws.append(header)
        for row in rows:
            ws.append([safe_cell(_xlsx_value(v)) for v in row])
            n += 1
        wb.save(path)
        return n
    raise ExportError(f"Định dạng xuất không hợp lệ: {fmt!r} (chọn csv hoặc xlsx)")


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, str):
        # control characters are illegal in XLSX XML; scraped text can contain them
        return "".join(ch for ch in value if ch in "\t\n" or ord(ch) >= 32)
    return value


def export(session: Session, settings: Any, what: str, path: Path, fmt: str, actor: str,
           filters: dict[str, Any] | None = None) -> int:
    """Export ``what`` (``queue`` or ``documents``) with ``filters`` to ``path`` in ``fmt``; records
    an audit event and returns the row count. Raises ExportError / QueryError."""
    from alerts.watchquery import parse

    tz = ZoneInfo(settings.timezone)
    filters = {k: v for k, v in (filters or {}).items() if v is not None}
    if fmt not in ("csv", "xlsx"):
        raise ExportError(f"Định dạng xuất không hợp lệ: {fmt!r} (chọn csv hoặc xlsx)")
    if filters.get("query"):
        parse(filters["query"])  # a bad query fails before any file is written
    allowed = QUEUE_STATUSES if what == "queue" else DOCUMENT_STATUSES
    if filters.get("status") and filters["status"] not in allowed:
        raise ExportError(f"Trạng thái không hợp lệ: {filters['status']!r} (chọn một trong {', '.join(allowed)})")
    if what == "queue":
        rows, columns = queue_rows(session, tz, **filters), QUEUE_COLUMNS
    elif what == "documents":
        rows, columns = document_rows(session, tz, **filters), DOCUMENT_COLUMNS
    else:
        raise ExportError(f"Không có loại dữ liệu xuất {what!r} (chọn queue hoặc documents)")
    n = write_rows(path, columns, rows, fmt, sheet="Hàng đợi" if what == "queue" else "Bài viết")
    session.add(AuditEvent(actor=actor, action="export", entity_type=what, entity_id=None,
                           after={"format": fmt, "rows": n, "path": str(path),
                                  "filters": {k: (v.isoformat() if isinstance(v, dt.datetime) else v)
                                              for k, v in filters.items()}}))
    session.flush()
    return n
