"""Keyword watchlists (admin, analyst): list, create, edit, delete, and a live preview.

The query language is :mod:`alerts.watchquery`; a watchlist is checked with
:func:`alerts.watchlists.validate_watchlist` before it is saved, and a bad query
is shown with its Vietnamese message next to the query field (the form keeps
what the user typed). The preview (HTMX, ``GET /watchlists/preview``) lists the
newest matching documents of the last 7 days with the matched terms
highlighted; that HTML is built from escaped plain text and cleaned with nh3.
Every change is an audit event (``watchlist.saved`` / ``watchlist.deleted``).

The helpers :func:`watchlist_state`, :func:`save_watchlist`, :func:`delete_watchlist`
and :func:`recent_match_counts` are shared with the JSON API (web/routes/api.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import nh3
from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup, escape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alerts.mail import MailError
from alerts.watchlists import MAX_MATCH_CHARS, preview, validate_watchlist
from alerts.watchquery import QueryError, parse
from storage.models import AuditEvent, Source, User, Watchlist, WatchlistMatch
from web.app import templates
from web.deps import check_csrf, get_db, require_user

router = APIRouter(include_in_schema=False)
EDITORS = ("admin", "analyst")
PREVIEW_DAYS = 7
PREVIEW_LIMIT = 20
MAX_THROTTLE_MINUTES = 7 * 24 * 60
SNIPPET_BEFORE, SNIPPET_AFTER = 90, 210


class WatchlistInvalid(ValueError):
    """A watchlist that cannot be saved; ``field`` names the form field, ``position`` the
    0-based offset in the query for a query error."""

    def __init__(self, field: str, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.field, self.message, self.position = field, message, position


# --------------------------------------------------------------------------
# Shared helpers (also used by the sources page and the API)
# --------------------------------------------------------------------------


def local_time(value: dt.datetime | None, tz: ZoneInfo, fmt: str = "%d/%m/%Y %H:%M") -> str:
    return value.astimezone(tz).strftime(fmt) if value else "—"


def safe_url(url: str | None) -> str | None:
    """``url`` when it is an http(s) URL (safe in an href), else None."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    return url.strip() if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def highlight(text: str, spans: list[tuple[int, int]]) -> Markup:
    """``text`` escaped, with the character ranges ``spans`` wrapped in <mark>; cleaned with nh3."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        start, end = max(0, start), min(len(text), end)
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    parts: list[str] = []
    pos = 0
    for start, end in merged:
        parts.append(str(escape(text[pos:start])))
        parts.append(f"<mark>{escape(text[start:end])}</mark>")
        pos = end
    parts.append(str(escape(text[pos:])))
    return Markup(nh3.clean("".join(parts), tags={"mark"}, attributes={}))


def parse_recipients(raw: str) -> list[str]:
    """One address per line (commas and semicolons also separate); blanks dropped, duplicates removed."""
    out: list[str] = []
    for line in raw.replace(",", "\n").replace(";", "\n").splitlines():
        line = line.strip()
        if line and line not in out:
            out.append(line)
    return out


def watchlist_state(wl: Watchlist) -> dict[str, Any]:
    return {"name": wl.name, "query": wl.query, "owner": wl.owner, "recipients": list(wl.recipients or []),
            "enabled": bool(wl.enabled), "throttle_minutes": wl.throttle_minutes}


def recent_match_counts(db: Session, now: dt.datetime, days: int = PREVIEW_DAYS) -> dict[int, int]:
    """{watchlist id: matches in the last ``days``}, one aggregate query."""
    rows = db.execute(select(WatchlistMatch.watchlist_id, func.count(WatchlistMatch.id))
                      .where(WatchlistMatch.matched_at >= now - dt.timedelta(days=days))
                      .group_by(WatchlistMatch.watchlist_id)).all()
    return {wl_id: int(n) for wl_id, n in rows}


def save_watchlist(db: Session, actor: User, wl: Watchlist | None, name: str, query: str, recipients: list[str],
                   throttle_minutes: int, enabled: bool) -> Watchlist:
    """Validate and create (``wl`` None; owner = ``actor``) or update ``wl``; audited as
    ``watchlist.saved`` with before/after. Raises WatchlistInvalid."""
    name = name.strip()
    try:
        validate_watchlist(name, query, recipients)
    except QueryError as exc:
        raise WatchlistInvalid("query", exc.message_vi, exc.position) from exc
    except MailError as exc:
        raise WatchlistInvalid("recipients", str(exc)) from exc
    except ValueError as exc:
        raise WatchlistInvalid("name", str(exc)) from exc
    if not 0 <= throttle_minutes <= MAX_THROTTLE_MINUTES:
        raise WatchlistInvalid("throttle_minutes",
                               f"Khoảng cách giữa hai thư cảnh báo phải từ 0 đến {MAX_THROTTLE_MINUTES} phút")
    own_id = wl.id if wl is not None else None
    names = db.execute(select(Watchlist.id, Watchlist.name)).tuples()  # few rows; casefold in Python (Unicode)
    if any(other_id != own_id and other.casefold() == name.casefold() for other_id, other in names):
        raise WatchlistInvalid("name", f"Đã có danh sách theo dõi tên “{name}”; hãy chọn tên khác")
    before = watchlist_state(wl) if wl is not None else None
    now = dt.datetime.now(dt.UTC)
    if wl is None:
        wl = Watchlist(owner=actor.username, created_at=now)
        db.add(wl)
    wl.name, wl.query, wl.recipients = name, query.strip(), recipients
    wl.throttle_minutes, wl.enabled, wl.updated_at = throttle_minutes, enabled, now
    db.flush()
    db.add(AuditEvent(at=now, actor=actor.username, action="watchlist.saved", entity_type="watchlist",
                      entity_id=wl.id, before=before, after=watchlist_state(wl)))
    db.flush()
    return wl


def delete_watchlist(db: Session, actor: User, wl: Watchlist) -> None:
    before = watchlist_state(wl)
    wl_id = wl.id
    db.delete(wl)
    db.add(AuditEvent(actor=actor.username, action="watchlist.deleted", entity_type="watchlist", entity_id=wl_id,
                      before=before, after=None))
    db.flush()


# --------------------------------------------------------------------------
# Preview
# --------------------------------------------------------------------------


@dataclass
class PreviewHit:
    title: Markup
    snippet: Markup | None
    url: str | None
    outlet: str
    date: str


@dataclass
class PreviewResult:
    query: str
    count: int = 0
    hits: list[PreviewHit] | None = None
    error: str | None = None
    position: int | None = None
    days: int = PREVIEW_DAYS


def _snippet(text: str, spans: list[tuple[int, int]]) -> Markup | None:
    if not text:
        return None
    first = spans[0][0] if spans else 0
    start = max(0, first - SNIPPET_BEFORE)
    end = min(len(text), first + SNIPPET_AFTER)
    if start > 0:  # begin and end on whole words
        space = text.find(" ", start, first)
        start = space + 1 if space != -1 else start
    if end < len(text):
        space = text.rfind(" ", max(first, end - 40), end)
        end = space if space != -1 else end
    inner = [(s - start, e - start) for s, e in spans if s >= start and e <= end]
    body = highlight(text[start:end], inner)
    prefix, suffix = ("… " if start > 0 else ""), (" …" if end < len(text) else "")
    return Markup(f"{escape(prefix)}{body}{escape(suffix)}")


def build_preview(db: Session, query: str, tz: ZoneInfo, now: dt.datetime | None = None) -> PreviewResult:
    """Count and the newest ``PREVIEW_LIMIT`` documents of the last 7 days matching ``query``."""
    result = PreviewResult(query=query)
    if not query.strip():
        return result
    now = now or dt.datetime.now(dt.UTC)
    try:
        parsed = parse(query)
        result.count, docs = preview(db, query, now, days=PREVIEW_DAYS, limit=PREVIEW_LIMIT)
    except QueryError as exc:
        result.error, result.position = exc.message_vi, exc.position
        return result
    outlets = {s.id: s.outlet or s.name for s in db.scalars(select(Source))}
    hits = []
    for doc in docs:
        title = doc.title or doc.url_canonical
        body = doc.text or ""
        combined = f"{title}\n{body}"[:MAX_MATCH_CHARS]
        match = parsed.matches(combined)
        spans = match.spans if match else []
        offset = len(title) + 1
        url = doc.entry_url or doc.fetch_url or doc.url_canonical
        hits.append(PreviewHit(
            title=highlight(title, [(s, e) for s, e in spans if e <= len(title)]),
            snippet=_snippet(combined[offset:], [(s - offset, e - offset) for s, e in spans if s >= offset]),
            url=safe_url(url), outlet=outlets.get(doc.source_id) or urlsplit(doc.url_canonical).hostname or "",
            date=local_time(doc.published_at or doc.created_at, tz)))
    result.hits = hits
    return result


# --------------------------------------------------------------------------
# Pages
# --------------------------------------------------------------------------


def _tz(request: Request) -> ZoneInfo:
    return ZoneInfo(request.app.state.settings.timezone)


def _get_watchlist(db: Session, wl_id: int) -> Watchlist:
    wl = db.get(Watchlist, wl_id)
    if wl is None:
        raise HTTPException(status_code=404, detail="Không tìm thấy danh sách theo dõi này")
    return wl


@router.get("/watchlists")
def list_watchlists(request: Request, saved: str | None = None, deleted: str | None = None,
                    db: Session = Depends(get_db, scope="function"),  # noqa: B008
                    user: User = Depends(require_user(*EDITORS))) -> Response:  # noqa: B008
    tz = _tz(request)
    counts = recent_match_counts(db, dt.datetime.now(dt.UTC))
    rows = [{"wl": wl, "matches": counts.get(wl.id, 0), "updated": local_time(wl.updated_at, tz)}
            for wl in db.scalars(select(Watchlist).order_by(Watchlist.name))]
    notice = ("Đã lưu danh sách theo dõi." if saved else None) or ("Đã xóa danh sách theo dõi." if deleted else None)
    return templates.TemplateResponse(request, "watchlists.html", {"rows": rows, "notice": notice,
                                                                   "days": PREVIEW_DAYS})


def _form(request: Request, db: Session, wl: Watchlist | None, values: dict[str, Any],
          error: WatchlistInvalid | None = None, status_code: int = 200) -> Response:
    query = values.get("query", "")
    pv = build_preview(db, query, _tz(request)) if query.strip() else None
    ctx = {"wl": wl, "values": values, "error": error, "preview": pv,
           "error_before": query[:error.position] if error and error.position is not None else None,
           "error_at": query[error.position:error.position + 1] if error and error.position is not None else None,
           "error_after": query[error.position + 1:] if error and error.position is not None else None}
    return templates.TemplateResponse(request, "watchlist_form.html", ctx, status_code=status_code)


@router.get("/watchlists/new")
def new_watchlist(request: Request, db: Session = Depends(get_db, scope="function"),  # noqa: B008
                  user: User = Depends(require_user(*EDITORS))) -> Response:  # noqa: B008
    values = {"name": "", "query": "", "recipients": "", "throttle_minutes": "60", "enabled": True}
    return _form(request, db, None, values)


@router.get("/watchlists/preview")
def preview_watchlist(request: Request, query: str = Query("", max_length=5000),
                      db: Session = Depends(get_db, scope="function"),  # noqa: B008
                      user: User = Depends(require_user(*EDITORS))) -> Response:  # noqa: B008
    pv = build_preview(db, query, _tz(request))
    return templates.TemplateResponse(request, "_watchlist_preview.html", {"preview": pv})


@router.get("/watchlists/{wl_id}/edit")
def edit_watchlist(request: Request, wl_id: int, db: Session = Depends(get_db, scope="function"),  # noqa: B008
                   user: User = Depends(require_user(*EDITORS))) -> Response:  # noqa: B008
    wl = _get_watchlist(db, wl_id)
    values = {"name": wl.name, "query": wl.query, "recipients": "\n".join(wl.recipients or []),
              "throttle_minutes": str(wl.throttle_minutes), "enabled": wl.enabled}
    return _form(request, db, wl, values)


def _submit(request: Request, db: Session, user: User, wl: Watchlist | None, name: str, query: str,
            recipients: str, throttle_minutes: str, enabled: str) -> Response:
    values = {"name": name, "query": query, "recipients": recipients, "throttle_minutes": throttle_minutes,
              "enabled": bool(enabled)}
    try:
        try:
            throttle = int(throttle_minutes.strip() or "60")
        except ValueError as exc:
            raise WatchlistInvalid("throttle_minutes", "Khoảng cách giữa hai thư cảnh báo phải là số phút") from exc
        save_watchlist(db, user, wl, name, query, parse_recipients(recipients), throttle, bool(enabled))
    except WatchlistInvalid as exc:  # raised before anything was changed
        return _form(request, db, wl, values, exc, status_code=422)
    return RedirectResponse("/watchlists?saved=1", status_code=303)


@router.post("/watchlists")
def create_watchlist(request: Request, csrf_token: str = Form(""), name: str = Form(""), query: str = Form(""),
                     recipients: str = Form(""), throttle_minutes: str = Form("60"), enabled: str = Form(""),
                     db: Session = Depends(get_db, scope="function"),  # noqa: B008
                     user: User = Depends(require_user(*EDITORS))) -> Response:  # noqa: B008
    check_csrf(request, csrf_token)
    return _submit(request, db, user, None, name, query, recipients, throttle_minutes, enabled)


@router.post("/watchlists/{wl_id}")
def update_watchlist(request: Request, wl_id: int, csrf_token: str = Form(""), name: str = Form(""),
                     query: str = Form(""), recipients: str = Form(""), throttle_minutes: str = Form("60"),
                     enabled: str = Form(""), db: Session = Depends(get_db, scope="function"),  # noqa: B008
                     user: User = Depends(require_user(*EDITORS))) -> Response:  # noqa: B008
    check_csrf(request, csrf_token)
    wl = _get_watchlist(db, wl_id)
    return _submit(request, db, user, wl, name, query, recipients, throttle_minutes, enabled)


@router.post("/watchlists/{wl_id}/delete")
def remove_watchlist(request: Request, wl_id: int, csrf_token: str = Form(""),
                     db: Session = Depends(get_db, scope="function"),  # noqa: B008
                     user: User = Depends(require_user(*EDITORS))) -> Response:  # noqa: B008
    check_csrf(request, csrf_token)
    delete_watchlist(db, user, _get_watchlist(db, wl_id))
    if request.headers.get("hx-request"):  # the button asks for confirmation through HTMX
        return Response(status_code=200, headers={"HX-Redirect": "/watchlists?deleted=1"})
    return RedirectResponse("/watchlists?deleted=1", status_code=303)
