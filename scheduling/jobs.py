"""The scheduler's jobs. Each body is a plain function ``(session, settings, now)`` so tests call it directly.

===========  =======================================  ==========================================
job          when (zone ``settings.timezone``)        does
===========  =======================================  ==========================================
crawl        every minute                             crawls the sources whose adaptive interval
                                                      is up (leased, one process per source),
                                                      processes, then mails watchlist alerts
alerts       every 5 minutes                          mails watchlist matches held back by throttling
digest       daily at ``digest_time`` (07:00)         office and unit digests of the last 24 hours
weekly       ``weekly_time`` (Monday 08:00)           the weekly trend summary (mail + HTML page)
retention    daily at ``retention_time`` (03:30)      retention limits (storage/retention.py)
===========  =======================================  ==========================================
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from crawlers.sources import SourceSpec
from scheduling.cadence import adaptive_interval
from scheduling.runner import JobSpec, default_holder
from storage.models import CrawlRun, Document, Source

log = logging.getLogger(__name__)
EPOCH = dt.datetime(2020, 1, 6, tzinfo=dt.UTC)  # a Monday; interval triggers are aligned to it in every process
DAYS = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}


def _hhmm(value: str) -> tuple[int, int]:
    hour, _, minute = value.strip().partition(":")
    h, m = int(hour), int(minute or 0)
    if not (0 <= h < 24 and 0 <= m < 60):
        raise ValueError(f"not a time of day: {value!r}")
    return h, m


def claim_due_sources(session: Session, specs: list[SourceSpec], now: dt.datetime, lease_s: float,
                      holder: str) -> list[SourceSpec]:
    """Lease the enabled sources in ``specs`` whose next crawl is due at ``now``.

    A compare-and-set UPDATE per source: of several processes, exactly one gets each
    source until its lease (``lease_s`` seconds) ends or it is released. Sources in
    Retry-After backoff (``backoff_until`` > now) and paused sources are not due; an
    automatic pause whose ``paused_until`` has passed is due (the probe crawl,
    pipeline/sourcehealth.py); a pause without ``paused_until`` (by hand) never is.
    """
    from pipeline.ingest import sync_sources

    rows = sync_sources(session, specs)
    session.commit()
    claimed = []
    for spec in specs:
        row = rows[spec.key]
        result = session.execute(
            update(Source).where(Source.id == row.id, Source.enabled.is_(True),
                                 or_(Source.next_crawl_at.is_(None), Source.next_crawl_at <= now),
                                 or_(Source.crawl_lease_until.is_(None), Source.crawl_lease_until < now),
                                 or_(Source.backoff_until.is_(None), Source.backoff_until <= now),
                                 or_(Source.paused_at.is_(None), Source.paused_until <= now))
            .values(crawl_lease_until=now + dt.timedelta(seconds=lease_s), crawl_lease_holder=holder)
            .execution_options(synchronize_session=False))
        session.commit()
        if result.rowcount == 1:
            claimed.append(spec)
    return claimed


def reschedule_sources(session: Session, settings: Any, keys: list[str], now: dt.datetime) -> dict[str, int]:
    """Set each source's adaptive interval and next crawl time (not before its backoff or automatic
    pause ends), and release its lease; returns {key: seconds}."""
    out = {}
    since = now - dt.timedelta(days=14)
    for src in session.scalars(select(Source).where(Source.key.in_(keys))):
        published = [t for (t,) in session.execute(
            select(func.coalesce(Document.published_at, Document.entry_published_at, Document.created_at))
            .where(Document.source_id == src.id, Document.created_at >= since))]
        seconds = adaptive_interval(published, now, settings.crawl_interval_min_minutes * 60,
                                    settings.crawl_interval_max_hours * 3600, settings.crawl_interval_default_minutes * 60)
        later = [t for t in (src.backoff_until, src.paused_until if src.paused_at else None) if t is not None]
        src.crawl_interval_s, src.next_crawl_at = seconds, max([now + dt.timedelta(seconds=seconds), *later])
        src.crawl_lease_until, src.crawl_lease_holder = None, None
        out[src.key] = seconds
    session.commit()
    return out


def crawl_due(session: Session, settings: Any, now: dt.datetime, specs: list[SourceSpec] | None = None) -> dict[str, Any]:
    """Crawl and process the sources that are due, reschedule them, then send watchlist alerts.

    ``specs`` defaults to the enabled sources of config/sources.yaml. Returns a summary dict
    (``sources``, ``documents``, ``statuses``, ``intervals``, ``alerts``).
    """
    from alerts.watchlists import send_watchlist_alerts
    from mediawatch.cycle import configured_sources, crawl_into, finish_run, process_into

    specs = specs if specs is not None else configured_sources(settings)
    lease_s = settings.job_timeout_minutes * 60
    due = claim_due_sources(session, specs, now, lease_s, default_holder())
    if not due:
        return {"sources": 0}
    try:
        run = CrawlRun(kind="scheduled")
        session.add(run)
        session.flush()
        doc_ids, _ = crawl_into(session, settings, run, due)
        session.commit()
        created = process_into(session, settings, run, doc_ids)
        summary = finish_run(session, settings, run, created=created)
        session.commit()
    finally:
        intervals = reschedule_sources(session, settings, [s.key for s in due], now)
    alerts = send_watchlist_alerts(session, settings, now)
    return {"sources": len(due), "documents": summary.documents, "statuses": summary.statuses,
            "intervals": intervals, "alerts": alerts}


def watchlist_alerts(session: Session, settings: Any, now: dt.datetime) -> dict[str, Any]:
    """Mail watchlist matches that are not yet alerted and no longer held back by throttling."""
    from alerts.watchlists import send_watchlist_alerts

    return send_watchlist_alerts(session, settings, now)


def daily_digest(session: Session, settings: Any, now: dt.datetime) -> dict[str, Any]:
    """The office's and the units' digests of the last 24 hours (never twice per recipient and day)."""
    from alerts.digest import send_digests

    return send_digests(session, settings, now, now - dt.timedelta(hours=24))


def weekly_summary(session: Session, settings: Any, now: dt.datetime) -> dict[str, Any]:
    """The weekly trend summary of the 7 days before ``now``: HTML page under var/reports/ and mail."""
    from reports.trends import send_weekly_summary

    return send_weekly_summary(session, settings, now)


def retention(session: Session, settings: Any, now: dt.datetime) -> dict[str, int]:
    """Apply the retention limits (storage/retention.py)."""
    from storage.retention import apply_retention

    return apply_retention(session, settings, now)


def default_jobs(settings: Any) -> list[JobSpec]:
    """The job registry: adding a job is one function above plus one line here."""
    tz = settings.timezone
    dh, dm = _hhmm(settings.digest_time)
    rh, rm = _hhmm(settings.retention_time)
    day, _, at = settings.weekly_time.strip().lower().partition(" ")
    if day not in DAYS:
        raise ValueError(f"weekly_time must look like 'mon 08:00', not {settings.weekly_time!r}")
    wh, wm = _hhmm(at)
    return [
        JobSpec("crawl", crawl_due, IntervalTrigger(minutes=1, start_date=EPOCH, timezone=tz),
                "Thu thập các nguồn đến hạn"),
        JobSpec("alerts", watchlist_alerts, IntervalTrigger(minutes=5, start_date=EPOCH, timezone=tz),
                "Gửi cảnh báo danh sách theo dõi"),
        JobSpec("digest", daily_digest, CronTrigger(hour=dh, minute=dm, timezone=tz), "Bản tin hằng ngày"),
        JobSpec("weekly", weekly_summary, CronTrigger(day_of_week=day, hour=wh, minute=wm, timezone=tz),
                "Tổng hợp xu hướng hằng tuần"),
        JobSpec("retention", retention, CronTrigger(hour=rh, minute=rm, timezone=tz), "Áp dụng thời hạn lưu trữ"),
    ]
