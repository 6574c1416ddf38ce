"""Sources page (admin, analyst): configuration, health, volume and crawl schedule of each source.

Health follows the digest's rules (:func:`alerts.digest.source_health`): ``lỗi`` when the
last attempt ended in an error, ``im lặng`` when no new item arrived for
``settings.source_silent_hours``, else ``ok``. Items per day over the last 7 local
days come from one aggregate query (a conditional count per day, grouped by source).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from storage.models import Document, Source, User
from web.app import templates
from web.deps import get_db, require_user
from web.routes.watchlists import local_time, safe_url

router = APIRouter(include_in_schema=False)
DAYS = 7
HEALTH_LABELS = {"ok": "ok", "error": "lỗi", "silent": "im lặng", "disabled": "đã tắt"}


def format_interval(seconds: int | None) -> str:
    if not seconds:
        return "—"
    if seconds < 60:
        return f"{seconds} giây"
    if seconds < 3600:
        return f"{round(seconds / 60)} phút"
    hours = seconds / 3600
    return f"{hours:.1f}".rstrip("0").rstrip(".").replace(".", ",") + " giờ"


def day_starts(now: dt.datetime, tz: ZoneInfo, days: int = DAYS) -> list[dt.datetime]:
    """Aware UTC starts of the last ``days`` local days (oldest first; the last one is today)."""
    today = now.astimezone(tz).date()
    return [dt.datetime.combine(today - dt.timedelta(days=i), dt.time(), tzinfo=tz).astimezone(dt.UTC)
            for i in range(days - 1, -1, -1)]


def per_day_counts(db: Session, starts: list[dt.datetime]) -> dict[int | None, list[int]]:
    """{source id: [documents collected on each day of ``starts``]}, one aggregate query."""
    columns = []
    for i, lo in enumerate(starts):
        cond = Document.created_at >= lo
        if i + 1 < len(starts):
            cond = cond & (Document.created_at < starts[i + 1])
        columns.append(func.sum(case((cond, 1), else_=0)))
    rows = db.execute(select(Document.source_id, *columns).where(Document.created_at >= starts[0])
                      .group_by(Document.source_id)).all()
    return {row[0]: [int(n or 0) for n in row[1:]] for row in rows}


def source_rows(db: Session, settings: Any, now: dt.datetime | None = None) -> tuple[list[dict[str, Any]], list[str]]:
    """(one display dict per source, the day labels of the volume columns)."""
    now = now or dt.datetime.now(dt.UTC)
    tz = ZoneInfo(settings.timezone)
    starts = day_starts(now, tz)
    counts = per_day_counts(db, starts)
    newest = dict(db.execute(select(Document.source_id, func.max(Document.created_at))
                             .group_by(Document.source_id)).tuples().all())
    silent_cutoff = now - dt.timedelta(hours=settings.source_silent_hours)
    rows = []
    for src in db.scalars(select(Source).order_by(Source.enabled.desc(), Source.name)):
        last_item = newest.get(src.id)
        failing = bool(src.last_error_at and (src.last_success_at is None or src.last_error_at > src.last_success_at))
        if not src.enabled:
            health = "disabled"
        elif failing:
            health = "error"
        elif (last_item or src.created_at) < silent_cutoff:
            health = "silent"
        else:
            health = "ok"
        per_day = counts.get(src.id, [0] * DAYS)
        rows.append({
            "src": src, "url": safe_url(src.url), "health": health, "health_label": HEALTH_LABELS[health],
            "last_success": local_time(src.last_success_at, tz), "last_error_at": local_time(src.last_error_at, tz),
            "last_error": (src.last_error or "")[:500], "failing": failing, "last_item": local_time(last_item, tz),
            "per_day": per_day, "week_total": sum(per_day),
            "next_crawl": local_time(src.next_crawl_at, tz), "interval": format_interval(src.crawl_interval_s),
        })
    return rows, [s.astimezone(tz).strftime("%d/%m") for s in starts]


@router.get("/sources")
def sources_page(request: Request, db: Session = Depends(get_db),  # noqa: B008
                 user: User = Depends(require_user("admin", "analyst"))) -> Response:  # noqa: B008
    settings = request.app.state.settings
    rows, day_labels = source_rows(db, settings)
    summary = {key: sum(1 for r in rows if r["health"] == key) for key in HEALTH_LABELS}
    return templates.TemplateResponse(request, "sources.html", {
        "rows": rows, "day_labels": day_labels, "summary": summary, "health_labels": HEALTH_LABELS,
        "silent_hours": settings.source_silent_hours})
