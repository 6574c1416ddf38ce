"""Sources page (admin, analyst): configuration, health, volume and crawl schedule of each source.

Health follows the digest's rules (:func:`alerts.digest.source_health`): ``tạm dừng`` when
the source is paused (automatically after repeated failures, or by a person; with the reason
and until when), ``lỗi`` when the last attempt ended in an error, ``im lặng`` when no new item
arrived for ``settings.source_silent_hours``, else ``ok``. Items per day over the last 7 local
days come from one aggregate query (a conditional count per day, grouped by source).

``POST /sources/{key}/pause`` and ``POST /sources/{key}/resume`` (admin, analyst; CSRF) pause
a source until resumed by hand, or resume it at once (pause and Retry-After backoff cleared);
each is an audit event with before/after (:func:`pipeline.sourcehealth.set_paused`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from pipeline.sourcehealth import Health, set_paused, status
from storage.models import Document, Source, User
from web.app import templates
from web.deps import check_csrf, get_db, require_user
from web.routes.watchlists import local_time, safe_url

router = APIRouter(include_in_schema=False)
DAYS = 7
HEALTH_LABELS = {"ok": "ok", "error": "lỗi", "silent": "im lặng", "paused": "tạm dừng", "disabled": "đã tắt"}
EDITORS = ("admin", "analyst")


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
        state = status(Health.of(src), now)
        if not src.enabled:
            health = "disabled"
        elif state == "paused":
            health = "paused"
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
            "paused": src.paused_at is not None, "state": state,
            "paused_at": local_time(src.paused_at, tz),
            "paused_until": local_time(src.paused_until, tz) if src.paused_until else None,
            "pause_reason": (src.pause_reason or "")[:500],
            "backoff_until": local_time(src.backoff_until, tz) if state == "backoff" else None,
            "failures": src.consecutive_failures or 0, "error_count": src.error_count or 0,
        })
    return rows, [s.astimezone(tz).strftime("%d/%m") for s in starts]


@router.get("/sources")
def sources_page(request: Request, db: Session = Depends(get_db, scope="function"),  # noqa: B008
                 user: User = Depends(require_user(*EDITORS))) -> Response:  # noqa: B008
    settings = request.app.state.settings
    rows, day_labels = source_rows(db, settings)
    summary = {key: sum(1 for r in rows if r["health"] == key) for key in HEALTH_LABELS}
    return templates.TemplateResponse(request, "sources.html", {
        "rows": rows, "day_labels": day_labels, "summary": summary, "health_labels": HEALTH_LABELS,
        "silent_hours": settings.source_silent_hours, "paused_key": request.query_params.get("paused"),
        "resumed_key": request.query_params.get("resumed")})


def _source(db: Session, key: str) -> Source:
    src = db.scalar(select(Source).where(Source.key == key))
    if src is None:
        raise HTTPException(status_code=404, detail="Không tìm thấy nguồn tin này")
    return src


@router.post("/sources/{key}/pause")
def pause_source(request: Request, key: str, csrf_token: str = Form(""), reason: str = Form(""),
                 db: Session = Depends(get_db, scope="function"),  # noqa: B008
                 user: User = Depends(require_user(*EDITORS))) -> Response:  # noqa: B008
    """Pause the source until someone resumes it (audited)."""
    check_csrf(request, csrf_token)
    src = _source(db, key)
    text = reason.strip()[:500] or f"tạm dừng bởi {user.username}"
    changed = set_paused(db, src, True, user.username, dt.datetime.now(dt.UTC), reason=text)
    return RedirectResponse(f"/sources?{'paused' if changed else 'unchanged'}={key}", status_code=303)


@router.post("/sources/{key}/resume")
def resume_source(request: Request, key: str, csrf_token: str = Form(""),
                  db: Session = Depends(get_db, scope="function"),  # noqa: B008
                  user: User = Depends(require_user(*EDITORS))) -> Response:  # noqa: B008
    """Resume the source at once: pause and Retry-After backoff cleared (audited)."""
    check_csrf(request, csrf_token)
    src = _source(db, key)
    changed = set_paused(db, src, False, user.username, dt.datetime.now(dt.UTC))
    return RedirectResponse(f"/sources?{'resumed' if changed else 'unchanged'}={key}", status_code=303)
