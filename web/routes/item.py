"""One triage item: GET /items/{id} (documents, flags, cluster, history, notes, evidence)
and its workflow actions (POST, CSRF).

Role rules, all enforced here (and the states by :mod:`mediawatch.workflow`):
analyst/admin review, route, dismiss, correct the category and assign; the liaison
of the routed unit (or an admin) acknowledges; the liaison or an admin/analyst
resolves; everyone who can see the item adds notes. A liaison sees only items
routed to their unit (404 otherwise, see :func:`web.deps.get_item_for`).
"""

from __future__ import annotations

import datetime as dt
import re
import zlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.digest import CATEGORY_LABELS, topic_labels
from classifiers.base import FLAG_CATEGORIES
from mediawatch.workflow import TRANSITIONS, WorkflowError, correct_category, transition
from pipeline.triage import POLICE_CATEGORIES
from storage.models import (
    AuditEvent,
    Document,
    Flag,
    Note,
    PlaceMention,
    Source,
    TopicTag,
    TriageItem,
    Unit,
    User,
    Watchlist,
    WatchlistMatch,
)
from web.app import templates
from web.deps import check_csrf, get_db, get_item_for, require_user
from web.render import (
    ACTION_LABELS,
    actor_label,
    describe_change,
    flag_terms,
    highlight_html,
    highlight_inline,
    local_time,
    number,
    plain,
    safe_href,
    short_category,
    status_label,
    workflow_error_vi,
)
from web.routes.queue import CLOSED_STATES, EDITORS, assign_item

router = APIRouter()
MAX_TEXT_DOCS = 10  # documents of a cluster shown with their full text (the rest are listed)
MAX_LISTED_DOCS = 300
MAX_NOTE = 5000
MAX_REASON = 2000
MAX_EVIDENCE_BYTES = 20 * 1024 * 1024
ALL_ROLES = ("admin", "analyst", "liaison")
URL_VERDICTS = {
    "blocklisted": "nằm trong danh sách chặn lừa đảo",
    "lookalike-gov": "giả dạng tên miền cơ quan nhà nước",
    "brand-lookalike": "giả dạng tên thương hiệu",
    "shortener": "link rút gọn",
    "suspicious-tld": "đuôi tên miền đáng ngờ",
    "unknown": "chưa rõ",
}
DONE = {
    "review": "Đã chuyển mục sang “Đang xem xét”.",
    "route": "Đã chuyển mục cho đơn vị.",
    "acknowledge": "Đơn vị đã tiếp nhận mục này.",
    "resolve": "Đã đánh dấu mục là đã giải quyết.",
    "dismiss": "Đã bỏ qua mục này.",
    "correct": "Đã sửa loại cảnh báo.",
    "assign": "Đã cập nhật người xử lý.",
    "note": "Đã thêm ghi chú.",
}


def allowed_actions(user: User, item: TriageItem) -> set[str]:
    """Actions ``user`` may take on ``item`` now (role and state); the POST handlers enforce the
    same role rules and the workflow the states."""
    nxt = TRANSITIONS.get(item.status, set())
    acts = {"note"}
    own_unit = user.role == "liaison" and user.unit_id is not None and item.routed_unit_id == user.unit_id
    if user.role in EDITORS:
        acts.add("assign")
        if "in_review" in nxt:
            acts.add("review")
        if "routed" in nxt:
            acts.add("route")
        if "dismissed" in nxt:
            acts.add("dismiss")
        if item.status not in CLOSED_STATES:
            acts.add("correct")
    if "acknowledged" in nxt and (user.role == "admin" or own_unit):
        acts.add("acknowledge")
    if "resolved" in nxt and (user.role in EDITORS or own_unit):
        acts.add("resolve")
    return acts


@dataclass
class FlagView:
    category: str
    label: str
    score: str
    model_version: str
    rule: str
    rules: list[str]
    terms: list[tuple[str, str]]
    debunk: dict[str, Any] | None
    urls: list[dict[str, str]]
    threshold: str


@dataclass
class DocView:
    id: int
    lead: bool
    title: Markup
    url: str | None
    outlet: str
    published: str
    status: str
    text: Markup | None
    flags: list[FlagView] = field(default_factory=list)
    model_versions: list[tuple[str, str]] = field(default_factory=list)
    fetched: str = ""
    sha256: str | None = None
    has_raw: bool = False
    tip_by: str | None = None  # tips: who submitted it


def _flag_view(flag: Flag) -> FlagView:
    exp = flag.explanation or {}
    terms = []
    for t in exp.get("matched_terms") or []:
        if isinstance(t, dict) and isinstance(t.get("term"), str):
            weight = t.get("weight")
            terms.append((plain(t["term"]), number(weight) if isinstance(weight, int | float) else ""))
    debunk = None
    d = exp.get("debunk")
    if isinstance(d, dict):
        debunk = _debunk_view(d)
    urls = [{"host": plain(str(u.get("host", ""))),
             "verdict": URL_VERDICTS.get(str(u.get("verdict", "")), plain(str(u.get("verdict", "")))),
             "reason": plain(str(u.get("reason", "")))} for u in exp.get("urls") or [] if isinstance(u, dict)]
    threshold = exp.get("threshold")
    return FlagView(category=flag.category, label=short_category(flag.category), score=number(flag.score),
                    model_version=plain(flag.model_version), rule=plain(str(exp.get("rule", ""))),
                    rules=[plain(str(r)) for r in exp.get("rules") or []], terms=terms, debunk=debunk, urls=urls,
                    threshold=number(threshold) if isinstance(threshold, int | float) else "")


def _debunk_view(d: dict[str, Any]) -> dict[str, Any]:
    sim = d.get("similarity")
    return {"id": plain(str(d.get("id", ""))), "claim": plain(str(d.get("claim", ""))),
            "verdict": plain(str(d.get("verdict_label") or d.get("verdict") or "")),
            "similarity": number(sim) if isinstance(sim, int | float) else "—",
            "url": safe_href(str(d.get("url") or "")), "source": plain(str(d.get("source", ""))),
            "date": plain(str(d.get("date", ""))), "sentence": plain(str(d.get("sentence", ""))),
            "auto": d.get("link") == "auto"}


def _outlet(src: Source | None, url: str) -> str:
    if src is not None and (src.outlet or src.name):
        return plain(src.outlet or src.name)
    return urlsplit(url).hostname or ""


def _history(db: Session, item: TriageItem, units: list[Unit], tz: ZoneInfo) -> list[dict[str, Any]]:
    names: dict[Any, str] = {}
    for u in units:
        names[u.id] = names[u.code] = plain(u.short_name or u.name)
    events = db.scalars(select(AuditEvent).where(AuditEvent.entity_type == "triage_item",
                                                 AuditEvent.entity_id == item.id)
                        .order_by(AuditEvent.at, AuditEvent.id))
    return [{"at": local_time(e.at, tz, with_seconds=True), "actor": plain(actor_label(e.actor)),
             "action": ACTION_LABELS.get(e.action, e.action), "code": e.action,
             "changes": describe_change(e.before, e.after, names)} for e in events]


def _notes(db: Session, item: TriageItem, tz: ZoneInfo) -> list[dict[str, str]]:
    return [{"author": plain(n.author), "at": local_time(n.created_at, tz), "text": plain(n.text)}
            for n in db.scalars(select(Note).where(Note.triage_item_id == item.id)
                                .order_by(Note.created_at, Note.id))]


def item_context(request: Request, db: Session, user: User, item: TriageItem) -> dict[str, Any]:
    """Everything the item page shows, in a fixed number of queries."""
    settings = request.app.state.settings
    tz = ZoneInfo(settings.timezone)
    now = dt.datetime.now(dt.UTC)
    cluster = item.cluster
    docs = list(db.scalars(select(Document).where(Document.cluster_id == item.cluster_id)
                           .order_by(Document.id).limit(MAX_LISTED_DOCS)))
    lead_id = cluster.representative_id if cluster is not None else None
    docs.sort(key=lambda d: (d.id != lead_id, d.status not in ("ok", "dup-text"),
                             d.published_at or d.created_at, d.id))
    ids = [d.id for d in docs]
    flags: dict[int, list[Flag]] = {}
    for f in db.scalars(select(Flag).where(Flag.document_id.in_(ids)).order_by(Flag.score.desc())):
        flags.setdefault(f.document_id, []).append(f)
    sources = {s.id: s for s in db.scalars(select(Source).where(
        Source.id.in_({d.source_id for d in docs if d.source_id})))}
    with_raw = set(db.scalars(select(Document.id).where(Document.id.in_(ids), Document.raw_gzip.is_not(None))))
    matches = db.execute(select(WatchlistMatch, Watchlist.name).join(Watchlist,
                         Watchlist.id == WatchlistMatch.watchlist_id)
                         .where(WatchlistMatch.document_id.in_(ids)).order_by(Watchlist.name)).all()
    terms: list[str] = []
    for fl in flags.values():
        for f in fl:
            terms += flag_terms(f.explanation)
    watch: dict[str, set[str]] = {}
    for m, name in matches:
        terms += [t for t in m.terms or [] if isinstance(t, str)]
        watch.setdefault(plain(name), set()).update(plain(t) for t in m.terms or [] if isinstance(t, str))
    views = []
    for n, d in enumerate(docs):
        url = d.entry_url or d.fetch_url or d.url_canonical
        views.append(DocView(
            id=d.id, lead=d.id == lead_id or (lead_id is None and n == 0),
            title=highlight_inline(d.title or d.entry_title or d.url_canonical, terms), url=safe_href(url),
            outlet=_outlet(sources.get(d.source_id) if d.source_id else None, d.url_canonical),
            published=local_time(d.published_at or d.entry_published_at, tz), status=d.status,
            text=highlight_html(d.text or d.entry_summary, terms) if n < MAX_TEXT_DOCS else None,
            flags=[_flag_view(f) for f in flags.get(d.id, [])],
            model_versions=sorted((plain(str(k)), plain(str(v))) for k, v in (d.model_versions or {}).items()),
            fetched=local_time(d.fetched_at, tz, with_seconds=True), sha256=d.raw_sha256, has_raw=d.id in with_raw,
            tip_by=(d.submitted_by or "không rõ") if d.origin == "tip" else None))
    debunks: dict[str, dict[str, Any]] = {}
    for fl in flags.values():
        for f in fl:
            d = (f.explanation or {}).get("debunk")
            if isinstance(d, dict):
                view = _debunk_view(d)
                debunks.setdefault(view["id"] or view["claim"], view)
    places: dict[str, dict[str, Any]] = {}
    for p in db.scalars(select(PlaceMention).where(PlaceMention.document_id.in_(ids))
                        .order_by(PlaceMention.place_name)):
        entry = places.setdefault(p.place_id, {"name": plain(p.place_name), "matched": set(), "ambiguous": False})
        entry["matched"].add(plain(p.matched_text))
        entry["ambiguous"] = entry["ambiguous"] or p.ambiguous
    labels = topic_labels(settings)
    topics: dict[str, float] = {}
    for t in db.scalars(select(TopicTag).where(TopicTag.document_id.in_(ids))):
        topics[t.topic] = max(topics.get(t.topic, 0.0), t.score)
    units = list(db.scalars(select(Unit).order_by(Unit.id)))
    unit_by_id = {u.id: u for u in units}
    police_ok = item.top_category in POLICE_CATEGORIES
    route_units = [u for u in units if police_ok or not u.is_police]
    suggested = unit_by_id.get(item.suggested_unit_id or -1)
    preselect = suggested.code if suggested is not None and suggested in route_units else (
        route_units[0].code if route_units else "")
    assignees = [] if user.role not in EDITORS else [
        (u.username, plain(u.display_name)) for u in db.scalars(
            select(User).where(User.active.is_(True), User.role.in_(EDITORS)).order_by(User.username))]
    done = request.query_params.get("done", "")
    return {
        "item": item, "docs": views, "lead": views[0] if views else None,
        "title": views[0].title if views else Markup("(không có tài liệu)"),
        "status_label": status_label(item.status), "categories": [short_category(c) for c in item.categories or []],
        "top_category": short_category(item.top_category),
        "suggested_unit": (suggested.short_name or suggested.name) if suggested else "—",
        "routed_unit": (lambda u: (u.short_name or u.name) if u else "")(unit_by_id.get(item.routed_unit_id or -1)),
        "due": local_time(item.due_at, tz),
        "overdue": bool(item.due_at and item.due_at < now and item.status not in CLOSED_STATES),
        "created": local_time(item.created_at, tz), "routed_at": local_time(item.routed_at, tz),
        "acknowledged_at": local_time(item.acknowledged_at, tz), "resolved_at": local_time(item.resolved_at, tz),
        "route_reason": plain(item.route_reason), "closed_reason": plain(item.closed_reason),
        "debunks": list(debunks.values()), "places": list(places.values()),
        "topics": sorted(((labels.get(k, k), number(v)) for k, v in topics.items()), key=lambda x: x[0]),
        "watch": sorted((name, sorted(ts)) for name, ts in watch.items()),
        "notes": _notes(db, item, tz), "history": _history(db, item, units, tz),
        "actions": allowed_actions(user, item), "route_units": route_units, "preselect": preselect,
        "police_ok": police_ok, "assignees": assignees, "category_choices": list(CATEGORY_LABELS.items()),
        "cluster_size": cluster.size if cluster is not None else len(docs),
        "done": DONE.get(done, ""), "error": None, "form": {},
    }


def render_item(request: Request, db: Session, user: User, item: TriageItem, error: str | None = None,
                form: dict[str, str] | None = None, status_code: int = 200) -> Response:
    ctx = item_context(request, db, user, item)
    ctx.update(error=error, form=form or {})
    if error:
        ctx["done"] = ""
    return templates.TemplateResponse(request, "item.html", ctx, status_code=status_code)


@router.get("/items/{item_id}", include_in_schema=False)
def item_page(request: Request, item_id: int, db: Session = Depends(get_db, scope="function"),  # noqa: B008
              user: User = Depends(require_user())) -> Response:  # noqa: B008
    return render_item(request, db, user, get_item_for(db, user, item_id))


@router.get("/items/{item_id}/history", include_in_schema=False)
def item_history(request: Request, item_id: int, db: Session = Depends(get_db, scope="function"),  # noqa: B008
                 user: User = Depends(require_user())) -> Response:  # noqa: B008
    """The item's full audit history as its own page (printable)."""
    item = get_item_for(db, user, item_id)
    tz = ZoneInfo(request.app.state.settings.timezone)
    units = list(db.scalars(select(Unit)))
    lead = db.scalar(select(Document).where(Document.id == item.cluster.representative_id)) if item.cluster else None
    return templates.TemplateResponse(request, "item_history_page.html", {
        "item": item, "history": _history(db, item, units, tz),
        "title": plain((lead.title if lead else None) or (item.cluster.title if item.cluster else "") or "")})


@router.get("/items/{item_id}/evidence/{doc_id}", include_in_schema=False)
def evidence(request: Request, item_id: int, doc_id: int, db: Session = Depends(get_db, scope="function"),  # noqa: B008
             user: User = Depends(require_user())) -> Response:  # noqa: B008
    """The stored raw HTML of one document of the item, as a plain-text attachment (never rendered).

    The bytes are sent as fetched when they are UTF-8 (so their SHA-256 matches the one shown);
    a page in a legacy encoding is transcoded to UTF-8 and says so in ``X-Evidence-Transcoded-From``."""
    item = get_item_for(db, user, item_id)
    doc = db.scalar(select(Document).where(Document.id == doc_id, Document.cluster_id == item.cluster_id))
    if doc is None or doc.raw_gzip is None:
        raise HTTPException(status_code=404, detail="Không có bản lưu trang gốc cho tài liệu này")
    try:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        raw = inflater.decompress(doc.raw_gzip, MAX_EVIDENCE_BYTES)
    except zlib.error as exc:
        raise HTTPException(status_code=500, detail="Bản lưu trang gốc bị hỏng") from exc
    headers = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'; sandbox",
               "X-Evidence-SHA256": doc.raw_sha256 or ""}
    try:
        raw.decode("utf-8")
        body = raw
    except UnicodeDecodeError:
        encoding = doc.encoding or "utf-8"
        try:
            body = raw.decode(encoding, errors="replace").encode("utf-8")
        except LookupError:
            encoding, body = "latin-1", raw.decode("latin-1").encode("utf-8")
        headers["X-Evidence-Transcoded-From"] = re.sub(r"[^A-Za-z0-9._-]", "", encoding)[:40]
    name = f"bang-chung-muc{item.id}-tailieu{doc.id}-{(doc.raw_sha256 or 'raw')[:12]}.html.txt"
    headers["Content-Disposition"] = f'attachment; filename="{name}"'
    db.add(AuditEvent(actor=user.username, action="evidence.downloaded", entity_type="document", entity_id=doc.id,
                      after={"triage_item": item.id, "sha256": doc.raw_sha256}))
    return Response(body, media_type="text/plain; charset=utf-8", headers=headers)


# --------------------------------------------------------------------------
# Workflow actions
# --------------------------------------------------------------------------

def _act(request: Request, db: Session, user: User, item_id: int, csrf_token: str, action: str,
         change: Any, form: dict[str, str] | None = None) -> Response:
    """Run ``change(item)`` for ``action``; WorkflowError → the page again with a Vietnamese message (400)."""
    check_csrf(request, csrf_token)
    item = get_item_for(db, user, item_id)
    try:
        change(item)
    except WorkflowError as exc:
        db.rollback()
        item = get_item_for(db, user, item_id)
        return render_item(request, db, user, item, error=workflow_error_vi(exc), form=form, status_code=400)
    return RedirectResponse(f"/items/{item_id}?done={action}", status_code=303)


def _require_own_unit_or(user: User, item: TriageItem, roles: tuple[str, ...]) -> None:
    """A liaison acts only on items routed to their unit (get_item_for already hides the others)."""
    if user.role in roles:
        return
    if user.role == "liaison" and user.unit_id is not None and item.routed_unit_id == user.unit_id:
        return
    raise HTTPException(status_code=403, detail="Bạn không có quyền thực hiện thao tác này")


@router.post("/items/{item_id}/review", include_in_schema=False)
def review(request: Request, item_id: int, csrf_token: str = Form(""), db: Session = Depends(get_db, scope="function"),  # noqa: B008
           user: User = Depends(require_user(*EDITORS))) -> Response:  # noqa: B008
    return _act(request, db, user, item_id, csrf_token, "review",
                lambda item: transition(db, item, "in_review", user.username))


@router.post("/items/{item_id}/route", include_in_schema=False)
def route(request: Request, item_id: int, unit: str = Form(""), reason: str = Form(""),
          csrf_token: str = Form(""), db: Session = Depends(get_db, scope="function"),  # noqa: B008
          user: User = Depends(require_user(*EDITORS))) -> Response:  # noqa: B008
    reason = reason.strip()[:MAX_REASON]
    return _act(request, db, user, item_id, csrf_token, "route",
                lambda item: transition(db, item, "routed", user.username, unit_code=unit.strip(), reason=reason),
                form={"unit": unit, "reason": reason})


@router.post("/items/{item_id}/acknowledge", include_in_schema=False)
def acknowledge(request: Request, item_id: int, csrf_token: str = Form(""),
                db: Session = Depends(get_db, scope="function"),  # noqa: B008
                user: User = Depends(require_user("admin", "liaison"))) -> Response:  # noqa: B008
    def change(item: TriageItem) -> None:
        _require_own_unit_or(user, item, ("admin",))
        transition(db, item, "acknowledged", user.username)

    return _act(request, db, user, item_id, csrf_token, "acknowledge", change)


@router.post("/items/{item_id}/resolve", include_in_schema=False)
def resolve(request: Request, item_id: int, reason: str = Form(""), csrf_token: str = Form(""),
            db: Session = Depends(get_db, scope="function"),  # noqa: B008
            user: User = Depends(require_user(*ALL_ROLES))) -> Response:  # noqa: B008
    def change(item: TriageItem) -> None:
        _require_own_unit_or(user, item, EDITORS)
        transition(db, item, "resolved", user.username, reason=reason.strip()[:MAX_REASON])

    return _act(request, db, user, item_id, csrf_token, "resolve", change, form={"resolve_reason": reason})


@router.post("/items/{item_id}/dismiss", include_in_schema=False)
def dismiss(request: Request, item_id: int, reason: str = Form(""), csrf_token: str = Form(""),
            db: Session = Depends(get_db, scope="function"),  # noqa: B008
            user: User = Depends(require_user(*EDITORS))) -> Response:  # noqa: B008
    return _act(request, db, user, item_id, csrf_token, "dismiss",
                lambda item: transition(db, item, "dismissed", user.username, reason=reason.strip()[:MAX_REASON]),
                form={"dismiss_reason": reason})


@router.post("/items/{item_id}/correct", include_in_schema=False)
def correct(request: Request, item_id: int, category: str = Form(""), csrf_token: str = Form(""),
            db: Session = Depends(get_db, scope="function"),  # noqa: B008
            user: User = Depends(require_user(*EDITORS))) -> Response:  # noqa: B008
    def change(item: TriageItem) -> None:
        if category not in FLAG_CATEGORIES:
            raise WorkflowError(f"unknown category {category!r}")
        correct_category(db, item, category, user.username)

    return _act(request, db, user, item_id, csrf_token, "correct", change)


@router.post("/items/{item_id}/assign", include_in_schema=False)
def assign(request: Request, item_id: int, assignee: str = Form(""), csrf_token: str = Form(""),
           db: Session = Depends(get_db, scope="function"),  # noqa: B008
           user: User = Depends(require_user(*EDITORS))) -> Response:  # noqa: B008
    check_csrf(request, csrf_token)
    item = get_item_for(db, user, item_id)
    name = assignee.strip().lower()
    if name:
        target = db.scalar(select(User).where(User.username == name, User.active.is_(True),
                                              User.role.in_(EDITORS)))
        if target is None:
            return render_item(request, db, user, item, status_code=400,
                               error="Chỉ có thể giao cho một chuyên viên hoặc quản trị viên đang hoạt động.")
    assign_item(db, item, name or None, user.username)
    return RedirectResponse(f"/items/{item_id}?done=assign", status_code=303)


@router.post("/items/{item_id}/notes", include_in_schema=False)
def add_note(request: Request, item_id: int, text: str = Form(""), csrf_token: str = Form(""),
             db: Session = Depends(get_db, scope="function"),  # noqa: B008
             user: User = Depends(require_user(*ALL_ROLES))) -> Response:  # noqa: B008
    """Add a note (every role that can see the item); audited as ``note.added`` on the item.
    An HTMX request gets the notes section back, a form post a redirect."""
    check_csrf(request, csrf_token)
    item = get_item_for(db, user, item_id)
    text = text.strip()
    htmx = request.headers.get("hx-request") == "true"
    tz = ZoneInfo(request.app.state.settings.timezone)
    if not text or len(text) > MAX_NOTE:
        error = f"Ghi chú cần từ 1 đến {MAX_NOTE} ký tự."
        if htmx:  # htmx swaps only 2xx responses: the section comes back with the message in it
            return templates.TemplateResponse(request, "item_notes.html", {
                "item": item, "notes": _notes(db, item, tz), "note_error": error, "note_text": text[:MAX_NOTE]})
        return render_item(request, db, user, item, error=error, status_code=400)
    now = dt.datetime.now(dt.UTC)
    note = Note(triage_item_id=item.id, author=user.username, text=text, created_at=now)
    db.add(note)
    db.flush()
    db.add(AuditEvent(at=now, actor=user.username, action="note.added", entity_type="triage_item",
                      entity_id=item.id, before=None, after={"note_id": note.id, "note": text[:1000]}))
    if htmx:
        return templates.TemplateResponse(request, "item_notes.html", {
            "item": item, "notes": _notes(db, item, tz), "note_error": None, "note_text": ""})
    return RedirectResponse(f"/items/{item_id}?done=note#notes", status_code=303)
