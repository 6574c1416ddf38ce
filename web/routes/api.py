"""The JSON API (``/api``), documented at ``/api/openapi.json`` (interactive: ``/api/docs``).

Authentication: ``Authorization: Bearer <token>`` (tokens are created on the page
``/account/tokens``; see :mod:`web.routes.admin`) or the session cookie of a signed-in
user; with the cookie, every state-changing call also needs the ``X-CSRF-Token``
header (the session's CSRF token). Anonymous calls get 401.

The same rules as the pages apply, checked here on the server: a liaison sees only
items routed to their unit (another unit's item is 404); analysts and admins review,
route, dismiss, correct and assign; a liaison acknowledges and resolves items routed
to their unit; status and route change only through :mod:`mediawatch.workflow`, which
accepts the police route only for ``scam_fraud`` / ``threat_violence`` items and only
with a written reason (a refused change is 422 with a Vietnamese message).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPBearer
from pydantic import BaseModel, Field
from sqlalchemy import String, cast, exists, func, or_, select
from sqlalchemy.orm import Session

from alerts.digest import CATEGORY_LABELS, TRIAGE_LABELS
from classifiers.base import FLAG_CATEGORIES
from mediawatch.workflow import WorkflowError, correct_category, transition
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
from web.deps import check_csrf, get_db, get_item_for, require_user, visible_items
from web.routes.watchlists import (
    WatchlistInvalid,
    delete_watchlist,
    recent_match_counts,
    save_watchlist,
)

bearer = HTTPBearer(auto_error=False, scheme_name="bearerToken",
                    description="Mã truy cập tạo ở trang /account/tokens (hoặc cookie phiên đăng nhập + X-CSRF-Token)")
router = APIRouter(prefix="/api", dependencies=[Depends(bearer)])
EDITORS = ("admin", "analyst")
OPEN_STATES = ("new", "in_review", "routed", "acknowledged")
VISIBLE_DOC_STATES = ("ok", "dup-text")
MAX_PER_PAGE = 200
MAX_NOTE = 5000

StatusFilter = Literal["open", "all", "new", "in_review", "routed", "acknowledged", "resolved", "dismissed"]
CategoryFilter = Literal["misinformation", "scam_fraud", "threat_violence", "hate_abuse", "public_concern"]
SortOrder = Literal["priority", "recent", "oldest", "due", "updated"]
ActionName = Literal["start_review", "route", "acknowledge", "resolve", "dismiss", "correct", "assign", "note"]
ANALYST_ACTIONS = {"start_review", "route", "dismiss", "correct", "assign"}
LIAISON_ACTIONS = {"acknowledge", "resolve"}

# --------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------


class Problem(BaseModel):
    """An error: ``detail`` is a Vietnamese message for people."""

    detail: str = Field(description="Thông báo lỗi (tiếng Việt)")
    error: str | None = Field(None, description="Original (English) message of the workflow, when there is one")


class WatchlistProblem(Problem):
    field: str = Field(description="The invalid field: name, query, recipients or throttle_minutes")
    position: int | None = Field(None, description="0-based character offset of the error in the query")


class QueueItem(BaseModel):
    """One triage item (a near-duplicate cluster) as listed in the queue."""

    id: int
    status: str = Field(description="new, in_review, routed, acknowledged, resolved or dismissed")
    status_label: str = Field(description="Trạng thái (tiếng Việt)")
    priority: int
    top_category: str = Field(description="Main flag category")
    category_label: str = Field(description="Nhóm cờ chính (tiếng Việt)")
    categories: list[str] = Field(description="All flag categories, most important first")
    title: str = Field(description="Title of the cluster's first analysed document")
    url: str | None = Field(description="Source URL of that document")
    outlet: str
    cluster_size: int = Field(description="Documents carrying the same story")
    suggested_unit: str | None = Field(description="Code of the unit the rules suggest")
    routed_unit: str | None = Field(description="Code of the unit a person routed the item to")
    assigned_to: str | None
    due_at: dt.datetime | None
    overdue: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class QueuePage(BaseModel):
    total: int = Field(description="Items matching the filters (all pages)")
    page: int
    per_page: int
    items: list[QueueItem]


class DocumentOut(BaseModel):
    id: int
    title: str | None
    url: str | None
    outlet: str
    published: dt.datetime | None
    status: str
    text: str | None


class FlagOut(BaseModel):
    document_id: int
    category: str
    category_label: str
    score: float = Field(description="0..1")
    model_version: str
    explanation: dict[str, Any] = Field(description="Why the classifier raised the flag (evidence, rules, weights)")


class PlaceOut(BaseModel):
    document_id: int
    place_id: str
    place_name: str
    matched_text: str
    field: str
    ambiguous: bool
    evidence: str


class TopicOut(BaseModel):
    document_id: int
    topic: str
    score: float
    model_version: str
    explanation: dict[str, Any]


class NoteOut(BaseModel):
    id: int
    author: str
    text: str
    created_at: dt.datetime


class HistoryEvent(BaseModel):
    at: dt.datetime
    actor: str
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class ItemDetail(QueueItem):
    """A triage item with its documents, flags (explanations and model versions), places, topics,
    notes and audit history."""

    route_reason: str | None
    closed_reason: str | None
    route_confirmed_by: str | None
    routed_at: dt.datetime | None
    acknowledged_at: dt.datetime | None
    resolved_at: dt.datetime | None
    documents: list[DocumentOut]
    flags: list[FlagOut]
    places: list[PlaceOut]
    topics: list[TopicOut]
    notes: list[NoteOut]
    history: list[HistoryEvent]


class ActionIn(BaseModel):
    """A person's action on a triage item."""

    action: ActionName = Field(description=(
        "start_review, route (unit; reason required for the police), dismiss (reason), correct (category), "
        "assign (assignee; empty to unassign): admin/analyst. acknowledge, resolve (reason optional): the liaison "
        "of the unit the item was routed to (or an admin). note (text): anyone who can see the item."))
    unit: str | None = Field(None, max_length=40, description="Unit code, for route (e.g. so-tttt, cong-an)")
    reason: str | None = Field(None, max_length=4000, description="Reason for route / dismiss / resolve")
    category: str | None = Field(None, max_length=60, description="New main category, for correct")
    assignee: str | None = Field(None, max_length=100, description="Username to assign, for assign")
    text: str | None = Field(None, max_length=10000, description="Text of the note, for note")


class WatchlistIn(BaseModel):
    name: str = Field(max_length=1000, description="1..200 characters, unique")
    query: str = Field(max_length=5000, description='Query: AND, OR, NOT, "cụm từ", ( ), NEAR/n; '
                                                     "case- and diacritic-insensitive")
    recipients: list[str] = Field(default_factory=list, max_length=100, description="E-mail addresses of the alerts")
    throttle_minutes: int = Field(60, description="At most one alert mail per this many minutes (0..10080)")
    enabled: bool = True


class WatchlistOut(BaseModel):
    id: int
    name: str
    query: str
    owner: str
    recipients: list[str]
    enabled: bool
    throttle_minutes: int
    matches_7d: int = Field(description="Matching documents in the last 7 days")
    last_alert_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


# --------------------------------------------------------------------------
# Queue
# --------------------------------------------------------------------------


def _cluster_has(*conditions: Any) -> Any:
    """WHERE conditions: an analysed document of the item's cluster that also meets ``conditions``."""
    return Document.cluster_id == TriageItem.cluster_id, Document.status == "ok", *conditions


def queue_query(db: Session, user: User, tz: ZoneInfo, *, status: str | None = None, category: str | None = None,
                topic: str | None = None, place: str | None = None, source: str | None = None,
                date_from: dt.date | None = None, date_to: dt.date | None = None, watchlist: str | None = None,
                overdue: bool = False, sort: str = "priority", now: dt.datetime | None = None) -> Any:
    """The select of triage items ``user`` may see, filtered and sorted like the queue page."""
    query = visible_items(user)
    if status == "open":
        query = query.where(TriageItem.status.in_(OPEN_STATES))
    elif status and status != "all":
        query = query.where(TriageItem.status == status)
    if category:
        if category not in FLAG_CATEGORIES:  # never reaches LIKE with anything but a known code
            raise HTTPException(status_code=422, detail="Nhóm cờ không hợp lệ")
        query = query.where(or_(TriageItem.top_category == category,
                                cast(TriageItem.categories, String).like(f'%"{category}"%')))
    if topic:
        query = query.where(exists(select(TopicTag.id).join(Document, TopicTag.document_id == Document.id)
                                   .where(*_cluster_has(TopicTag.topic == topic))))
    if place:
        query = query.where(exists(select(PlaceMention.id).join(Document, PlaceMention.document_id == Document.id)
                                   .where(*_cluster_has(or_(PlaceMention.place_id == place,
                                                            PlaceMention.place_name == place)))))
    if source:
        source_id = int(source) if source.isdigit() else db.scalar(select(Source.id).where(Source.key == source))
        query = query.where(exists(select(Document.id).where(*_cluster_has(Document.source_id == (source_id or -1)))))
    if date_from:
        query = query.where(TriageItem.created_at >= dt.datetime.combine(date_from, dt.time(), tzinfo=tz))
    if date_to:
        end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(), tzinfo=tz)
        query = query.where(TriageItem.created_at < end)
    if watchlist:
        hit = select(WatchlistMatch.id).join(Document, WatchlistMatch.document_id == Document.id).where(
            Document.cluster_id == TriageItem.cluster_id)
        if watchlist != "any":
            hit = hit.where(WatchlistMatch.watchlist_id == int(watchlist))
        query = query.where(exists(hit))
    if overdue:
        query = query.where(TriageItem.due_at < (now or dt.datetime.now(dt.UTC)),
                            TriageItem.status.not_in(("resolved", "dismissed")))
    order = {
        "priority": (TriageItem.priority.desc(), TriageItem.due_at, TriageItem.id.desc()),
        "recent": (TriageItem.created_at.desc(), TriageItem.id.desc()),
        "oldest": (TriageItem.created_at, TriageItem.id),
        "due": (TriageItem.due_at.is_(None), TriageItem.due_at, TriageItem.priority.desc(), TriageItem.id),
        "updated": (TriageItem.updated_at.desc(), TriageItem.id.desc()),
    }[sort]
    return query.order_by(*order)


def _queue_entries(db: Session, items: list[TriageItem], now: dt.datetime) -> list[dict[str, Any]]:
    """Display fields of ``items`` with a fixed number of queries (not one per item)."""
    cluster_ids = [i.cluster_id for i in items]
    units = {u.id: u.code for u in db.scalars(select(Unit))}
    outlets = {s.id: s.outlet or s.name for s in db.scalars(select(Source))}
    leads: dict[int, Any] = {}
    for row in db.execute(select(Document.id, Document.cluster_id, Document.title, Document.entry_url,
                                 Document.fetch_url, Document.url_canonical, Document.source_id)
                          .where(Document.cluster_id.in_(cluster_ids), Document.status == "ok")
                          .order_by(Document.id)):
        leads.setdefault(row.cluster_id, row)
    sizes = dict(db.execute(select(Document.cluster_id, func.count(Document.id))
                            .where(Document.cluster_id.in_(cluster_ids), Document.status.in_(VISIBLE_DOC_STATES))
                            .group_by(Document.cluster_id)).tuples().all())
    out = []
    for item in items:
        lead = leads.get(item.cluster_id)
        out.append({
            "id": item.id, "status": item.status, "status_label": TRIAGE_LABELS.get(item.status, item.status),
            "priority": item.priority, "top_category": item.top_category,
            "category_label": CATEGORY_LABELS.get(item.top_category, item.top_category),
            "categories": list(item.categories or []),
            "title": (lead.title if lead else None) or (lead.url_canonical if lead else "—"),
            "url": (lead.entry_url or lead.fetch_url or lead.url_canonical) if lead else None,
            "outlet": (outlets.get(lead.source_id) or urlsplit(lead.url_canonical).hostname or "") if lead else "",
            "cluster_size": int(sizes.get(item.cluster_id, 0)),
            "suggested_unit": units.get(item.suggested_unit_id), "routed_unit": units.get(item.routed_unit_id),
            "assigned_to": item.assigned_to, "due_at": item.due_at,
            "overdue": bool(item.due_at and item.due_at < now and item.status not in ("resolved", "dismissed")),
            "created_at": item.created_at, "updated_at": item.updated_at,
        })
    return out


@router.get("/queue", response_model=QueuePage, summary="Triage queue",
            responses={401: {"model": Problem}},
            description="Triage items the caller may see (a liaison: items routed to their unit), filtered and "
                        "paginated, with the filters of the queue page. `status`: a status, `open` (default: not "
                        "resolved or dismissed) or `all`. `category`: any of the item's flag categories. `topic`, "
                        "`place` (gazetteer place id or name), `source` (id or key), `watchlist` (id, or `any`): "
                        "some document of the item's cluster has it. `date_from` / `date_to`: local dates the item "
                        "was created (inclusive). `overdue`: past its due time and not closed. `sort`: `priority` "
                        "(default), `recent`, `oldest`, `due` or `updated`.")
def api_queue(request: Request, status: StatusFilter = "open", category: CategoryFilter | None = None,
              topic: str | None = Query(None, max_length=60), place: str | None = Query(None, max_length=300),
              source: str | None = Query(None, max_length=200), date_from: dt.date | None = None,
              date_to: dt.date | None = None,
              watchlist: str | None = Query(None, pattern=r"^(any|\d{1,12})$", description="Watchlist id or `any`"),
              overdue: bool = False, sort: SortOrder = "priority",
              page: int = Query(1, ge=1, le=100_000), per_page: int = Query(50, ge=1, le=MAX_PER_PAGE),
              db: Session = Depends(get_db, scope="function"),  # noqa: B008
              user: User = Depends(require_user())) -> dict[str, Any]:  # noqa: B008
    tz = ZoneInfo(request.app.state.settings.timezone)
    query = queue_query(db, user, tz, status=status, category=category, topic=topic, place=place, source=source,
                        date_from=date_from, date_to=date_to, watchlist=watchlist, overdue=overdue, sort=sort)
    total = db.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    items = list(db.scalars(query.offset((page - 1) * per_page).limit(per_page)))
    return {"total": total, "page": page, "per_page": per_page,
            "items": _queue_entries(db, items, dt.datetime.now(dt.UTC))}


# --------------------------------------------------------------------------
# Item
# --------------------------------------------------------------------------


def item_detail(db: Session, item: TriageItem) -> dict[str, Any]:
    entry = _queue_entries(db, [item], dt.datetime.now(dt.UTC))[0]
    outlets = {s.id: s.outlet or s.name for s in db.scalars(select(Source))}
    docs = list(db.scalars(select(Document).where(Document.cluster_id == item.cluster_id,
                                                  Document.status.in_(VISIBLE_DOC_STATES))
                           .order_by(Document.status != "ok", Document.id)))
    doc_ids = [d.id for d in docs]
    flags = db.scalars(select(Flag).where(Flag.document_id.in_(doc_ids)).order_by(Flag.score.desc(), Flag.id))
    places = db.scalars(select(PlaceMention).where(PlaceMention.document_id.in_(doc_ids)).order_by(PlaceMention.id))
    topics = db.scalars(select(TopicTag).where(TopicTag.document_id.in_(doc_ids)).order_by(TopicTag.score.desc()))
    notes = db.scalars(select(Note).where(Note.triage_item_id == item.id).order_by(Note.created_at, Note.id))
    history = db.scalars(select(AuditEvent).where(AuditEvent.entity_type == "triage_item",
                                                  AuditEvent.entity_id == item.id)
                         .order_by(AuditEvent.at, AuditEvent.id))
    return entry | {
        "route_reason": item.route_reason, "closed_reason": item.closed_reason,
        "route_confirmed_by": item.route_confirmed_by, "routed_at": item.routed_at,
        "acknowledged_at": item.acknowledged_at, "resolved_at": item.resolved_at,
        "documents": [{"id": d.id, "title": d.title, "url": d.entry_url or d.fetch_url or d.url_canonical,
                       "outlet": outlets.get(d.source_id) or urlsplit(d.url_canonical).hostname or "",
                       "published": d.published_at, "status": d.status, "text": d.text} for d in docs],
        "flags": [{"document_id": f.document_id, "category": f.category,
                   "category_label": CATEGORY_LABELS.get(f.category, f.category), "score": f.score,
                   "model_version": f.model_version, "explanation": f.explanation or {}} for f in flags],
        "places": [{"document_id": p.document_id, "place_id": p.place_id, "place_name": p.place_name,
                    "matched_text": p.matched_text, "field": p.field, "ambiguous": p.ambiguous,
                    "evidence": p.evidence} for p in places],
        "topics": [{"document_id": t.document_id, "topic": t.topic, "score": t.score,
                    "model_version": t.model_version, "explanation": t.explanation or {}} for t in topics],
        "notes": [{"id": n.id, "author": n.author, "text": n.text, "created_at": n.created_at} for n in notes],
        "history": [{"at": e.at, "actor": e.actor, "action": e.action, "before": e.before, "after": e.after}
                    for e in history],
    }


@router.get("/items/{item_id}", response_model=ItemDetail, summary="One triage item",
            responses={401: {"model": Problem}, 404: {"model": Problem}},
            description="The item with its documents (title, url, outlet, published, text), flags with their "
                        "explanations and model versions, places, topics, notes and audit history. "
                        "404 when the item does not exist or the caller (a liaison of another unit) may not see it.")
def api_item(item_id: int, db: Session = Depends(get_db, scope="function"),  # noqa: B008
             user: User = Depends(require_user())) -> dict[str, Any]:  # noqa: B008
    return item_detail(db, get_item_for(db, user, item_id))


_WORKFLOW_VI: list[tuple[re.Pattern[str], Any]] = [
    (re.compile(r"a person must make this change"), lambda m: "Thay đổi này phải do một người thực hiện."),
    (re.compile(r"cannot go from (\w+) to (\w+)"),
     lambda m: f"Không thể chuyển mục từ trạng thái “{TRIAGE_LABELS.get(m[1], m[1])}” sang "
               f"“{TRIAGE_LABELS.get(m[2], m[2])}”."),
    (re.compile(r"unknown unit (.*)"), lambda m: f"Không có đơn vị {m[1]}."),
    (re.compile(r"the police route is only for .*, not (\w+)"),
     lambda m: "Chỉ được chuyển cho công an các mục thuộc nhóm “Lừa đảo” hoặc “Đe dọa, bạo lực”; mục này thuộc "
               f"nhóm “{CATEGORY_LABELS.get(m[1], m[1]).split(' (')[0]}”."),
    (re.compile(r"a police route needs a written reason"),
     lambda m: "Chuyển cho công an cần ghi rõ lý do bằng văn bản."),
    (re.compile(r"dismissing needs a reason"), lambda m: "Bỏ qua một mục cần ghi lý do."),
    (re.compile(r"unknown category (.*)"), lambda m: f"Nhóm cờ không hợp lệ: {m[1]}."),
    (re.compile(r"a closed item cannot be corrected"), lambda m: "Không thể sửa nhóm cờ của mục đã đóng."),
]


def workflow_message_vi(exc: WorkflowError) -> str:
    """The Vietnamese form of a workflow refusal (the English message when it is not known)."""
    text = str(exc)
    for pattern, render in _WORKFLOW_VI:
        m = pattern.fullmatch(text)
        if m:
            return str(render(m))
    return text


def _refuse(message: str, status_code: int = 422, error: str | None = None) -> JSONResponse:
    return JSONResponse({"detail": message, "error": error}, status_code=status_code)


def _assign(db: Session, item: TriageItem, assignee: str | None, actor: User) -> JSONResponse | None:
    name = (assignee or "").strip().lower() or None
    if name is not None:
        target = db.scalar(select(User).where(User.username == name, User.active.is_(True)))
        if target is None or target.role not in EDITORS:
            return _refuse(f"Không có chuyên viên hoặc quản trị viên đang hoạt động tên “{name}”.")
    if item.assigned_to == name:
        return None
    now = dt.datetime.now(dt.UTC)
    before = {"status": item.status, "routed_unit_id": item.routed_unit_id, "assigned_to": item.assigned_to}
    item.assigned_to, item.updated_at = name, now
    db.add(AuditEvent(at=now, actor=actor.username, action="triage.assigned", entity_type="triage_item",
                      entity_id=item.id, before=before, after=dict(before, assigned_to=name)))
    db.flush()
    return None


def _note(db: Session, item: TriageItem, text: str | None, actor: User) -> JSONResponse | None:
    text = (text or "").strip()
    if not text or len(text) > MAX_NOTE:
        return _refuse(f"Ghi chú cần từ 1 đến {MAX_NOTE} ký tự.")
    now = dt.datetime.now(dt.UTC)
    note = Note(triage_item_id=item.id, author=actor.username, text=text, created_at=now)
    db.add(note)
    db.flush()
    db.add(AuditEvent(at=now, actor=actor.username, action="note.added", entity_type="triage_item",
                      entity_id=item.id, before=None, after={"note_id": note.id, "note": text[:1000]}))
    db.flush()
    return None


@router.post("/items/{item_id}/actions", response_model=ItemDetail, summary="Act on a triage item",
             responses={401: {"model": Problem}, 403: {"model": Problem}, 404: {"model": Problem},
                        422: {"model": Problem}},
             description="Runs one workflow action and returns the updated item. Refusals of the workflow "
                         "(wrong state, police route for another category or without a reason, dismiss without a "
                         "reason) are 422 with a Vietnamese `detail`. Cookie-authenticated calls need the "
                         "`X-CSRF-Token` header.")
def api_item_action(request: Request, item_id: int, body: ActionIn, db: Session = Depends(get_db, scope="function"),  # noqa: B008
                    user: User = Depends(require_user())) -> Any:  # noqa: B008
    check_csrf(request, None)
    item = get_item_for(db, user, item_id)
    action = body.action
    if action in ANALYST_ACTIONS and user.role not in EDITORS:
        return _refuse("Chỉ chuyên viên hoặc quản trị viên được thực hiện thao tác này.", 403)
    if action in LIAISON_ACTIONS and not (user.role == "admin" or (
            user.role == "liaison" and user.unit_id is not None and item.routed_unit_id == user.unit_id)):
        return _refuse("Chỉ đơn vị được chuyển mục này mới được tiếp nhận hoặc báo đã giải quyết.", 403)
    actor = user.username
    try:
        refused: JSONResponse | None = None
        if action == "start_review":
            transition(db, item, "in_review", actor)
        elif action == "route":
            if not (body.unit or "").strip():
                return _refuse("Hãy chọn đơn vị để chuyển (unit).")
            transition(db, item, "routed", actor, unit_code=body.unit.strip(), reason=body.reason)
        elif action == "dismiss":
            transition(db, item, "dismissed", actor, reason=body.reason)
        elif action == "acknowledge":
            transition(db, item, "acknowledged", actor)
        elif action == "resolve":
            transition(db, item, "resolved", actor, reason=body.reason)
        elif action == "correct":
            correct_category(db, item, (body.category or "").strip(), actor)
        elif action == "assign":
            refused = _assign(db, item, body.assignee, user)
        else:  # note
            refused = _note(db, item, body.text, user)
        if refused is not None:
            return refused
    except WorkflowError as exc:
        db.rollback()
        return _refuse(workflow_message_vi(exc), error=str(exc))
    return item_detail(db, item)


# --------------------------------------------------------------------------
# Tips
# --------------------------------------------------------------------------


class TipIn(BaseModel):
    """A tip: exactly one of ``url`` (fetched by the crawler) or ``text`` (stored as it is)."""

    url: str | None = Field(None, max_length=2000, description="http(s) link to fetch; internal addresses are refused")
    text: str | None = Field(None, max_length=200_000, description="Pasted text (at most MEDIAWATCH_TIP_MAX_TEXT_CHARS)")
    note: str | None = Field(None, max_length=2000, description="The sender's note")


class TipOut(BaseModel):
    status: str = Field(description="Final status of the tip's document (ok, off-area, dup-url, fetch-error, ...)")
    existing: bool = Field(description="The link or text was already stored: document_id is the existing document")
    document_id: int | None
    triage_item_id: int | None = Field(description="The triage item of the document's cluster, when there is one")
    url: str = Field(description="The link, or tip:<sha256> for a pasted text")
    message: str = Field(description="Kết quả (tiếng Việt)")


@router.post("/tips", response_model=TipOut, status_code=201, summary="Submit a tip (link or text)",
             responses={401: {"model": Problem}, 403: {"model": Problem}, 422: {"model": Problem}},
             description="Admin, analyst. The link is checked by the SSRF guard and fetched by the crawler; a text "
                         "becomes a document directly; both then run through the pipeline. The document is tagged "
                         "origin=tip and submitted_by = the token's (or session's) user. Audited (tip.submitted). "
                         "A refused tip is 422 with a Vietnamese `detail`.")
def api_tip(request: Request, body: TipIn, db: Session = Depends(get_db, scope="function"),  # noqa: B008
            user: User = Depends(require_user(*EDITORS))) -> Any:  # noqa: B008
    from mediawatch.tips import TipRefused, submit_tip

    check_csrf(request, None)
    try:
        result = submit_tip(db, request.app.state.settings, url=body.url, text=body.text, by=user.username,
                            note=body.note, via="api")
    except TipRefused as exc:
        return _refuse(str(exc))
    return JSONResponse(TipOut(**result.as_dict()).model_dump(), status_code=201)


# --------------------------------------------------------------------------
# Watchlists
# --------------------------------------------------------------------------


def _watchlist_out(wl: Watchlist, counts: dict[int, int]) -> dict[str, Any]:
    return {"id": wl.id, "name": wl.name, "query": wl.query, "owner": wl.owner, "recipients": list(wl.recipients or []),
            "enabled": wl.enabled, "throttle_minutes": wl.throttle_minutes, "matches_7d": counts.get(wl.id, 0),
            "last_alert_at": wl.last_alert_at, "created_at": wl.created_at, "updated_at": wl.updated_at}


def _watchlist_problem(exc: WatchlistInvalid) -> JSONResponse:
    return JSONResponse({"detail": exc.message, "field": exc.field, "position": exc.position}, status_code=422)


def _get_watchlist(db: Session, wl_id: int) -> Watchlist:
    wl = db.get(Watchlist, wl_id)
    if wl is None:
        raise HTTPException(status_code=404, detail="Không tìm thấy danh sách theo dõi này")
    return wl


WATCHLIST_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem}, 403: {"model": Problem},
    422: {"model": WatchlistProblem, "description": "Invalid watchlist: `detail` is the Vietnamese message "
                                                    "(for a bad query: QueryError.message_vi) and `position` the "
                                                    "0-based offset in the query"}}


@router.get("/watchlists", response_model=list[WatchlistOut], summary="Keyword watchlists",
            responses=WATCHLIST_ERRORS, description="Every watchlist (admin, analyst), with its matches in the "
                                                    "last 7 days.")
def api_watchlists(db: Session = Depends(get_db, scope="function"),  # noqa: B008
                   user: User = Depends(require_user(*EDITORS))) -> list[dict[str, Any]]:  # noqa: B008
    counts = recent_match_counts(db, dt.datetime.now(dt.UTC))
    return [_watchlist_out(wl, counts) for wl in db.scalars(select(Watchlist).order_by(Watchlist.name))]


@router.post("/watchlists", response_model=WatchlistOut, status_code=201, summary="Create a watchlist",
             responses=WATCHLIST_ERRORS, description="The owner is the caller. Validated like the page "
                                                     "(alerts.watchlists.validate_watchlist); audited.")
def api_create_watchlist(request: Request, body: WatchlistIn, db: Session = Depends(get_db, scope="function"),  # noqa: B008
                         user: User = Depends(require_user(*EDITORS))) -> Any:  # noqa: B008
    check_csrf(request, None)
    try:
        wl = save_watchlist(db, user, None, body.name, body.query, [r.strip() for r in body.recipients if r.strip()],
                            body.throttle_minutes, body.enabled)
    except WatchlistInvalid as exc:
        return _watchlist_problem(exc)
    return _watchlist_out(wl, {})


@router.get("/watchlists/{wl_id}", response_model=WatchlistOut, summary="One watchlist",
            responses={**WATCHLIST_ERRORS, 404: {"model": Problem}})
def api_watchlist(wl_id: int, db: Session = Depends(get_db, scope="function"),  # noqa: B008
                  user: User = Depends(require_user(*EDITORS))) -> dict[str, Any]:  # noqa: B008
    return _watchlist_out(_get_watchlist(db, wl_id), recent_match_counts(db, dt.datetime.now(dt.UTC)))


@router.put("/watchlists/{wl_id}", response_model=WatchlistOut, summary="Replace a watchlist",
            responses={**WATCHLIST_ERRORS, 404: {"model": Problem}},
            description="Validated like the page; audited with before and after. The owner does not change.")
def api_update_watchlist(request: Request, wl_id: int, body: WatchlistIn,
                         db: Session = Depends(get_db, scope="function"),  # noqa: B008
                         user: User = Depends(require_user(*EDITORS))) -> Any:  # noqa: B008
    check_csrf(request, None)
    wl = _get_watchlist(db, wl_id)
    try:
        save_watchlist(db, user, wl, body.name, body.query, [r.strip() for r in body.recipients if r.strip()],
                       body.throttle_minutes, body.enabled)
    except WatchlistInvalid as exc:
        return _watchlist_problem(exc)
    return _watchlist_out(wl, recent_match_counts(db, dt.datetime.now(dt.UTC)))


@router.delete("/watchlists/{wl_id}", status_code=204, summary="Delete a watchlist",
               responses={**WATCHLIST_ERRORS, 404: {"model": Problem}}, response_class=Response)
def api_delete_watchlist(request: Request, wl_id: int, db: Session = Depends(get_db, scope="function"),  # noqa: B008
                         user: User = Depends(require_user(*EDITORS))) -> Response:  # noqa: B008
    check_csrf(request, None)
    delete_watchlist(db, user, _get_watchlist(db, wl_id))
    return Response(status_code=204)
