"""Keyword watchlists: validate, match new documents, preview, and mail alerts.

* :func:`match_watchlists` runs after processing (``mediawatch.cycle.process_into``):
  every enabled watchlist's query (:mod:`alerts.watchquery`) is matched against the
  title and text of each newly processed ``ok`` document; a hit is one
  ``watchlist_matches`` row (unique per watchlist and document, so reruns add nothing).
* :func:`send_watchlist_alerts` mails pending matches to the watchlist's recipients,
  grouped per near-duplicate cluster (one entry per story, with the number of
  outlets), at most ``alert_batch_max`` clusters per mail and at most one mail per
  ``throttle_minutes`` per watchlist; matches held back go in the next mail.
  The scheduler calls it right after each crawl's processing and every 5 minutes.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.mail import address, compose, send_once
from alerts.watchquery import Query, QueryError, parse, prepare
from storage.models import AuditEvent, Document, Source, Watchlist, WatchlistMatch

log = logging.getLogger(__name__)
MAX_MATCH_CHARS = 100_000


def validate_watchlist(name: str, query: str, recipients: list[str]) -> Query:
    """Check a watchlist before saving; returns the parsed query.

    Raises QueryError (bad query, with position and Vietnamese message) or ValueError
    (empty name, bad recipient address)."""
    if not name.strip() or len(name) > 200:
        raise ValueError("Tên danh sách theo dõi phải có từ 1 đến 200 ký tự")
    for r in recipients:
        address(r)
    return parse(query)


def _doc_text(doc: Document) -> str:
    return f"{doc.title or ''}\n{doc.text or ''}"[:MAX_MATCH_CHARS]


def match_watchlists(session: Session, doc_ids: list[int], now: dt.datetime | None = None) -> int:
    """Match the enabled watchlists against documents ``doc_ids`` (only status ``ok`` ones);
    returns the number of new matches. Invalid stored queries are logged and skipped."""
    now = now or dt.datetime.now(dt.UTC)
    queries = []
    for wl in session.scalars(select(Watchlist).where(Watchlist.enabled.is_(True))):
        try:
            queries.append((wl.id, parse(wl.query)))
        except QueryError as exc:
            log.error("watchlist %s has an invalid query: %s", wl.name, exc)
    if not queries or not doc_ids:
        return 0
    created = 0
    for start in range(0, len(doc_ids), 200):
        chunk = doc_ids[start:start + 200]
        existing = set(session.execute(select(WatchlistMatch.watchlist_id, WatchlistMatch.document_id)
                                       .where(WatchlistMatch.document_id.in_(chunk))).tuples())
        for doc in session.scalars(select(Document).where(Document.id.in_(chunk), Document.status == "ok")):
            prepared = prepare(_doc_text(doc))
            for wl_id, query in queries:
                if (wl_id, doc.id) in existing:
                    continue
                hit = query.matches(prepared)
                if hit is not None:
                    session.add(WatchlistMatch(watchlist_id=wl_id, document_id=doc.id, cluster_id=doc.cluster_id,
                                               terms=hit.terms, matched_at=now))
                    created += 1
    session.flush()
    return created


def preview(session: Session, query: str, now: dt.datetime, days: int = 7, limit: int = 50) -> tuple[int, list[Document]]:
    """(number of matching ``ok`` documents in the last ``days``, the newest ``limit`` of them).
    Raises QueryError for a bad query."""
    parsed = parse(query)
    hits: list[Document] = []
    count = 0
    rows = session.scalars(select(Document).where(Document.status == "ok",
                                                  Document.created_at >= now - dt.timedelta(days=days))
                           .order_by(Document.created_at.desc(), Document.id.desc()).execution_options(yield_per=500))
    for doc in rows:
        if parsed.matches(_doc_text(doc)) is not None:
            count += 1
            if len(hits) < limit:
                hits.append(doc)
    return count, hits


def _env(autoescape: bool) -> Environment:
    return Environment(loader=PackageLoader("alerts", "templates"), undefined=StrictUndefined, trim_blocks=True,
                       lstrip_blocks=True, autoescape=select_autoescape(["html", "j2"]) if autoescape else False)


def build_alert(watchlist: Watchlist, stories: list[dict[str, Any]], held: int) -> tuple[str, str, str]:
    """(subject, html, text) of one alert mail; pure. ``stories``: dicts with title, url, outlet,
    published, terms, outlets (number of documents in the cluster)."""
    subject = f"[mediawatch] Cảnh báo “{watchlist.name}”: {len(stories)} tin mới"
    ctx = {"w": watchlist, "stories": stories, "held": held}
    return (subject, _env(True).get_template("alert.html.j2").render(**ctx),
            _env(False).get_template("alert.txt.j2").render(**ctx).rstrip("\n") + "\n")


def send_watchlist_alerts(session: Session, settings: Any, now: dt.datetime) -> dict[str, int]:
    """Mail pending matches of every enabled watchlist that is not throttled at ``now``.

    Returns {"watchlists": mailed, "stories": clusters mailed, "held": watchlists throttled}.
    """
    tz = ZoneInfo(settings.timezone)
    result = {"watchlists": 0, "stories": 0, "held": 0}
    sources = {s.id: s.outlet or s.name for s in session.scalars(select(Source))}
    for wl in list(session.scalars(select(Watchlist).where(Watchlist.enabled.is_(True)).order_by(Watchlist.id))):
        pending = list(session.scalars(select(WatchlistMatch).where(WatchlistMatch.watchlist_id == wl.id,
                                                                    WatchlistMatch.alerted_at.is_(None))
                                       .order_by(WatchlistMatch.id)))
        if not pending or not wl.recipients:
            continue
        if wl.last_alert_at and now - wl.last_alert_at < dt.timedelta(minutes=wl.throttle_minutes):
            result["held"] += 1
            continue
        groups: dict[Any, list[WatchlistMatch]] = defaultdict(list)
        for m in pending:
            groups[m.cluster_id if m.cluster_id is not None else f"d{m.document_id}"].append(m)
        batch = list(groups.values())[: settings.alert_batch_max]
        stories = []
        for matches in batch:
            docs = [session.get(Document, m.document_id) for m in matches]
            docs = [d for d in docs if d is not None]
            if not docs:
                continue
            lead = docs[0]
            stories.append({
                "title": lead.title or lead.url_canonical, "url": lead.entry_url or lead.url_canonical,
                "outlet": sources.get(lead.source_id, ""), "outlets": len(docs),
                "published": lead.published_at.astimezone(tz).strftime("%d/%m/%Y %H:%M") if lead.published_at else "—",
                "terms": sorted({t for m in matches for t in m.terms}),
            })
        held = len(groups) - len(batch)
        subject, html, text = build_alert(wl, stories, held)
        key = f"{wl.id}/{batch[-1][-1].id}"
        for rcpt in wl.recipients:
            send_once(session, settings, "alert", key, rcpt,
                      lambda r=rcpt, s=subject, t=text, h=html: compose(settings, s, [r], t, h, now=now))
        for matches in batch:
            for m in matches:
                m.alerted_at = now
        wl.last_alert_at = now
        session.add(AuditEvent(actor="system", action="watchlist.alerted", entity_type="watchlist", entity_id=wl.id,
                               after={"stories": len(stories), "recipients": len(wl.recipients)}))
        session.commit()
        result["watchlists"] += 1
        result["stories"] += len(stories)
    return result
