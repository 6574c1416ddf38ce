"""The triage queue (GET /queue) and its bulk actions (POST /queue/bulk).

Every role sees the queue; a liaison only the items routed to their unit
(:func:`web.deps.visible_items`). Filters (status, category, topic, place,
source, date range, watchlist, overdue), sort (priority or recency) and 50
items a page. A page costs a fixed number of queries whatever its size: one
count, one page of (item, cluster) rows, then one query each for the page's
lead documents, places, outlets and watchlist hits.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session

from alerts.digest import CATEGORY_LABELS, TRIAGE_LABELS, topic_labels
from classifiers.base import FLAG_CATEGORIES
from mediawatch.workflow import WorkflowError, transition
from storage.models import (
    AuditEvent,
    Cluster,
    Document,
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
from web.deps import check_csrf, get_db, require_user, visible_items
from web.render import local_time, plain, safe_href, short_category, status_label

router = APIRouter()
PAGE_SIZE = 50
OPEN_STATES = ("new", "in_review", "routed", "acknowledged")
CLOSED_STATES = ("resolved", "dismissed")
EDITORS = ("admin", "analyst")
MAX_PLACES_SHOWN = 4
MAX_OUTLETS_SHOWN = 3
BULK_MAX = 500
PLACES_TTL = 300.0  # seconds


@dataclass
class QueueFilters:
    """The queue's GET parameters, validated (unknown values are dropped, never an error)."""

    status: str = "open"
    category: str = ""
    topic: str = ""
    place: str = ""
    source: str = ""
    date_from: str = ""
    date_to: str = ""
    watchlist: str = ""
    overdue: str = ""
    sort: str = "priority"
    page: int = 1

    @classmethod
    def from_request(cls, request: Request) -> QueueFilters:
        q = request.query_params
        f = cls()
        status = q.get("status", "open")
        f.status = status if status in ("open", "all", *TRIAGE_LABELS) else "open"
        f.category = q.get("category", "") if q.get("category", "") in FLAG_CATEGORIES else ""
        f.topic = q.get("topic", "")[:60]
        f.place = q.get("place", "")[:100]
        f.source = q.get("source", "") if q.get("source", "").isdigit() else ""
        f.date_from = q.get("date_from", "") if _date(q.get("date_from", "")) else ""
        f.date_to = q.get("date_to", "") if _date(q.get("date_to", "")) else ""
        wl = q.get("watchlist", "")
        f.watchlist = wl if wl == "any" or wl.isdigit() else ""
        f.overdue = "1" if q.get("overdue") in ("1", "on", "true") else ""
        f.sort = "recent" if q.get("sort") == "recent" else "priority"
        page = q.get("page", "1")
        f.page = max(1, min(int(page), 100_000)) if page.isdigit() else 1
        return f

    def params(self, **override: Any) -> dict[str, Any]:
        """Non-default parameters (for links that keep the filters), with ``override`` applied."""
        values = {"status": self.status, "category": self.category, "topic": self.topic, "place": self.place,
                  "source": self.source, "date_from": self.date_from, "date_to": self.date_to,
                  "watchlist": self.watchlist, "overdue": self.overdue, "sort": self.sort, "page": self.page}
        values.update(override)
        defaults = {"status": "open", "sort": "priority", "page": 1}
        return {k: v for k, v in values.items() if v not in ("", None) and defaults.get(k) != v}

    def url(self, **override: Any) -> str:
        params = self.params(**override)
        return "/queue" + (f"?{urlencode(params)}" if params else "")


@dataclass
class QueueRow:
    id: int
    priority: int
    categories: list[str]
    title: str
    url: str | None
    places: list[str]
    more_places: int
    outlets: list[str]
    more_outlets: int
    cluster_size: int
    status: str
    status_label: str
    suggested_unit: str
    routed_unit: str
    assigned_to: str
    due: str
    overdue: bool
    watchlist: bool
    published: str


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _local_midnight(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=tz).astimezone(dt.UTC)


def filtered_query(user: User, f: QueueFilters, now: dt.datetime, tz: ZoneInfo) -> Any:
    """SELECT of the TriageItems ``user`` may see that pass the filters ``f`` (unsorted)."""
    query = visible_items(user)
    if f.status == "open":
        query = query.where(TriageItem.status.in_(OPEN_STATES))
    elif f.status in TRIAGE_LABELS:
        query = query.where(TriageItem.status == f.status)
    if f.category:
        # categories is a JSON list of fixed identifiers, e.g. ["scam_fraud", "hate_abuse"]
        query = query.where(cast(TriageItem.categories, String).like(f'%"{f.category}"%'))
    # uncorrelated IN subqueries: computed once, not once per triage item (SQLite's planner runs
    # a correlated EXISTS per row: 16 s for a place filter on 100k documents)
    if f.topic:
        query = query.where(TriageItem.cluster_id.in_(
            select(Document.cluster_id).join(TopicTag, TopicTag.document_id == Document.id)
            .where(TopicTag.topic == f.topic)))
    if f.place:
        query = query.where(TriageItem.cluster_id.in_(
            select(Document.cluster_id).join(PlaceMention, PlaceMention.document_id == Document.id)
            .where(PlaceMention.place_id == f.place)))
    if f.source:
        query = query.where(TriageItem.cluster_id.in_(
            select(Document.cluster_id).where(Document.source_id == int(f.source))))
    if f.watchlist:
        matches = select(WatchlistMatch.cluster_id)
        if f.watchlist != "any":
            matches = matches.where(WatchlistMatch.watchlist_id == int(f.watchlist))
        query = query.where(TriageItem.cluster_id.in_(matches))
    if f.date_from:
        query = query.where(TriageItem.created_at >= _local_midnight(dt.date.fromisoformat(f.date_from), tz))
    if f.date_to:
        end = dt.date.fromisoformat(f.date_to) + dt.timedelta(days=1)
        query = query.where(TriageItem.created_at < _local_midnight(end, tz))
    if f.overdue:
        query = query.where(TriageItem.due_at < now, TriageItem.status.not_in(CLOSED_STATES))
    return query


def _order(query: Any, sort: str) -> Any:
    if sort == "recent":
        return query.order_by(TriageItem.created_at.desc(), TriageItem.id.desc())
    return query.order_by(TriageItem.priority.desc(), TriageItem.due_at.asc(), TriageItem.id.desc())


def unit_names(db: Session) -> dict[int, str]:
    return {u.id: u.short_name or u.name for u in db.scalars(select(Unit))}


def _outlet(src: Source | None, url: str) -> str:
    if src is not None and (src.outlet or src.name):
        return plain(src.outlet or src.name)
    return urlsplit(url).hostname or ""


def build_rows(db: Session, pairs: list[tuple[TriageItem, Cluster]], now: dt.datetime, tz: ZoneInfo) -> list[QueueRow]:
    """Queue rows for one page of (item, cluster) pairs, in a fixed number of queries."""
    if not pairs:
        return []
    cids = [c.id for _, c in pairs]
    units = unit_names(db)
    lead_ids = [c.representative_id for _, c in pairs if c.representative_id]
    leads = {d.cluster_id: d for d in db.execute(
        select(Document.id, Document.cluster_id, Document.title, Document.url_canonical, Document.entry_url,
               Document.source_id, Document.published_at).where(Document.id.in_(lead_ids))).all()}
    places: dict[int, list[str]] = {}
    for cid, name in db.execute(select(Document.cluster_id, PlaceMention.place_name)
                                .join(Document, PlaceMention.document_id == Document.id)
                                .where(Document.cluster_id.in_(cids))
                                .group_by(Document.cluster_id, PlaceMention.place_name)
                                .order_by(Document.cluster_id, func.count().desc(), PlaceMention.place_name)):
        places.setdefault(cid, []).append(plain(name))
    outlets: dict[int, list[str]] = {}
    sources = {s.id: s for s in db.scalars(select(Source).where(Source.id.in_(
        select(Document.source_id).where(Document.cluster_id.in_(cids)).distinct())))}
    lead_source = {cid: d.source_id for cid, d in leads.items()}
    # grouped by status too (filtered here): a status condition would steer SQLite onto ix_documents_status
    for cid, source_id, status, url in db.execute(
            select(Document.cluster_id, Document.source_id, Document.status, func.min(Document.url_canonical))
            .where(Document.cluster_id.in_(cids))
            .group_by(Document.cluster_id, Document.source_id, Document.status)
            .order_by(Document.cluster_id, Document.source_id)):
        if status not in ("ok", "dup-text"):
            continue
        name = _outlet(sources.get(source_id), url)
        lst = outlets.setdefault(cid, [])
        if name and name not in lst:
            (lst.insert(0, name) if source_id == lead_source.get(cid) else lst.append(name))
    watched = set(db.scalars(select(WatchlistMatch.cluster_id).where(WatchlistMatch.cluster_id.in_(cids)).distinct()))
    rows = []
    for item, cluster in pairs:
        lead = leads.get(cluster.id)
        title = plain((lead.title if lead is not None else None) or cluster.title or "") or "(không có tiêu đề)"
        link = safe_href(lead.entry_url or lead.url_canonical) if lead is not None else None
        pl, ol = places.get(cluster.id, []), outlets.get(cluster.id, [])
        overdue = bool(item.due_at and item.due_at < now and item.status not in CLOSED_STATES)
        rows.append(QueueRow(
            id=item.id, priority=item.priority, categories=[short_category(c) for c in item.categories or []],
            title=title, url=link, places=pl[:MAX_PLACES_SHOWN], more_places=max(0, len(pl) - MAX_PLACES_SHOWN),
            outlets=ol[:MAX_OUTLETS_SHOWN], more_outlets=max(0, len(ol) - MAX_OUTLETS_SHOWN),
            cluster_size=cluster.size or 1, status=item.status, status_label=status_label(item.status),
            suggested_unit=units.get(item.suggested_unit_id or -1, "—"),
            routed_unit=units.get(item.routed_unit_id or -1, "") if item.status in ("routed", "acknowledged",
                                                                                   "resolved") else "",
            assigned_to=item.assigned_to or "", due=local_time(item.due_at, tz), overdue=overdue,
            watchlist=cluster.id in watched,
            published=local_time(lead.published_at, tz) if lead is not None else "—"))
    return rows


def filter_options(db: Session, request: Request) -> dict[str, Any]:
    """Choices of the filter form: topics (config labels), places, sources, watchlists."""
    settings = request.app.state.settings
    return {
        "topics": sorted(topic_labels(settings).items(), key=lambda kv: kv[1]),
        "places": _place_options(db, request),
        "sources": [(s.id, plain(s.name if not s.outlet or s.outlet == s.name else f"{s.outlet} — {s.name}"))
                    for s in db.scalars(select(Source).order_by(Source.outlet, Source.name))],
        "watchlists": [(w.id, plain(w.name)) for w in db.scalars(select(Watchlist).order_by(Watchlist.name))],
        "categories": list(CATEGORY_LABELS.items()),
        "statuses": list(TRIAGE_LABELS.items()),
    }


def _place_options(db: Session, request: Request) -> list[tuple[str, str]]:
    """Distinct mentioned places (id, name), at most 500; cached on the app for PLACES_TTL (the
    GROUP BY over every place mention is the one costly query of the page on a large database)."""
    state = request.app.state
    cached = getattr(state, "queue_place_options", None)
    now = time.monotonic()
    if cached is not None and cached[0] > now:
        return list(cached[1])
    rows = db.execute(select(PlaceMention.place_id, func.min(PlaceMention.place_name))
                      .group_by(PlaceMention.place_id).order_by(func.min(PlaceMention.place_name))
                      .limit(500)).all()
    options = [(pid, plain(name)) for pid, name in rows]
    state.queue_place_options = (now + PLACES_TTL, options)
    return options


@router.get("/queue", include_in_schema=False)
def queue(request: Request, db: Session = Depends(get_db, scope="function"),  # noqa: B008
          user: User = Depends(require_user())) -> Response:  # noqa: B008
    settings = request.app.state.settings
    tz = ZoneInfo(settings.timezone)
    now = dt.datetime.now(dt.UTC)
    f = QueueFilters.from_request(request)
    base = filtered_query(user, f, now, tz)
    total, pairs = _page(db, base, f)
    pages = max(1, -(-total // PAGE_SIZE))
    rows = build_rows(db, pairs, now, tz)
    page_links = _page_links(f.page, pages)
    ctx = {"rows": rows, "f": f, "total": total, "pages": pages, "page_links": page_links,
           "can_edit": user.role in EDITORS, "now_label": local_time(now, tz),
           "bulk_ok": _int(request.query_params.get("bulk_ok")),
           "bulk_failed": _int(request.query_params.get("bulk_failed")),
           "bulk_error": BULK_ERRORS.get(request.query_params.get("bulk_error", ""), "")}
    if _wants_rows(request):
        return templates.TemplateResponse(request, "_queue_rows.html", ctx, headers={"Vary": "HX-Request"})
    ctx.update(filter_options(db, request))
    return templates.TemplateResponse(request, "queue.html", ctx, headers={"Vary": "HX-Request"})


def _page(db: Session, base: Any, f: QueueFilters) -> tuple[int, list[tuple[TriageItem, Cluster]]]:
    """(total, the page's (item, cluster) pairs); clamps ``f.page`` to the last page.

    With a filter on the cluster's documents (topic, place, source, watchlist) the filter is the
    costly part, so it runs once: the total comes with the page as ``count(*) OVER ()``. Without
    one, a plain count plus a top-50 sort is cheaper than the window."""
    joined = base.add_columns(Cluster).join(Cluster, Cluster.id == TriageItem.cluster_id)

    def fetch(query: Any) -> list[Any]:
        return list(db.execute(_order(query, f.sort).limit(PAGE_SIZE).offset((f.page - 1) * PAGE_SIZE)).all())

    def count() -> int:
        return db.scalar(select(func.count()).select_from(base.with_only_columns(TriageItem.id).subquery())) or 0

    if f.topic or f.place or f.source or f.watchlist:
        rows = fetch(joined.add_columns(func.count().over().label("total")))
        total = int(rows[0][2]) if rows else count()
    else:
        total = count()
        rows = []
    pages = max(1, -(-total // PAGE_SIZE))
    if f.page > pages or not rows:
        f.page = min(f.page, pages)
        rows = fetch(joined) if total else []
    return total, [(row[0], row[1]) for row in rows]


def _wants_rows(request: Request) -> bool:
    """An HTMX request from the filter form or the page links: answer with the rows partial only
    (not for htmx's history restore or a boosted link, which need the whole page)."""
    h = request.headers
    return (h.get("hx-request") == "true" and h.get("hx-history-restore-request") != "true"
            and h.get("hx-boosted") != "true" and h.get("hx-target", "queue-results") == "queue-results")


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 7 else None


def _page_links(page: int, pages: int) -> list[int | None]:
    """Page numbers to link: first, last and two around the current one; None marks a gap."""
    wanted = sorted({1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)})
    out: list[int | None] = []
    for n in wanted:
        if out and n - (out[-1] or 0) > 1:
            out.append(None)
        out.append(n)
    return out


BULK_ERRORS = {
    "none": "Chưa chọn mục nào.",
    "action": "Thao tác không hợp lệ.",
    "reason": "Bỏ qua cần ghi lý do.",
    "too_many": f"Mỗi lần chỉ xử lý tối đa {BULK_MAX} mục.",
}


def assign_item(db: Session, item: TriageItem, assignee: str | None, actor: str) -> bool:
    """Set ``item.assigned_to`` (None to clear) with an audit event ``triage.assigned``; False when unchanged."""
    assignee = assignee or None
    if item.assigned_to == assignee:
        return False
    now = dt.datetime.now(dt.UTC)
    before = {"status": item.status, "routed_unit_id": item.routed_unit_id, "assigned_to": item.assigned_to}
    item.assigned_to, item.updated_at = assignee, now
    db.add(AuditEvent(at=now, actor=actor, action="triage.assigned", entity_type="triage_item", entity_id=item.id,
                      before=before, after=dict(before, assigned_to=assignee)))
    db.flush()
    return True


def _back(next_url: str, **params: Any) -> str:
    """``next_url`` (only a /queue URL, else /queue) with earlier bulk results replaced by ``params``."""
    parts = urlsplit(next_url)
    if parts.scheme or parts.netloc or parts.path != "/queue":
        return "/queue?" + urlencode(params)
    kept = [(k, v) for k, v in parse_qsl(parts.query) if not k.startswith("bulk_")]
    return "/queue?" + urlencode(kept + list(params.items()))


@router.post("/queue/bulk", include_in_schema=False)
def bulk(request: Request, item_ids: list[int] = Form(default=[]), action: str = Form(""),  # noqa: B008
         reason: str = Form(""), next: str = Form("/queue"), csrf_token: str = Form(""),  # noqa: A002
         db: Session = Depends(get_db, scope="function"),  # noqa: B008
         user: User = Depends(require_user(*EDITORS))) -> Response:  # noqa: B008
    """Apply one action to the selected items: ``assign_me``, ``in_review`` or ``dismiss`` (with ``reason``).
    Each change goes through the workflow (or :func:`assign_item`) and is audited; items that cannot
    change are counted, not fatal."""
    check_csrf(request, csrf_token)
    next_url = next[:2000]
    if action not in ("assign_me", "in_review", "dismiss"):
        return RedirectResponse(_back(next_url, bulk_error="action"), status_code=303)
    ids = sorted(set(item_ids))
    if not ids:
        return RedirectResponse(_back(next_url, bulk_error="none"), status_code=303)
    if len(ids) > BULK_MAX:
        return RedirectResponse(_back(next_url, bulk_error="too_many"), status_code=303)
    if action == "dismiss" and not reason.strip():
        return RedirectResponse(_back(next_url, bulk_error="reason"), status_code=303)
    items = list(db.scalars(visible_items(user).where(TriageItem.id.in_(ids))))
    ok, failed = 0, len(ids) - len(items)
    for item in items:
        try:
            if action == "assign_me":
                assign_item(db, item, user.username, user.username)
            elif action == "in_review":
                transition(db, item, "in_review", user.username)
            else:
                transition(db, item, "dismissed", user.username, reason=reason.strip()[:2000])
            ok += 1
        except WorkflowError:
            failed += 1
    return RedirectResponse(_back(next_url, bulk_ok=ok, bulk_failed=failed), status_code=303)
