"""Store the crawler's records: sources' health, documents' feed-entry and fetch
sections, and one run item per fetched item.

Statuses decided here: ``dup-url`` (canonical URL already stored, or seen
earlier in this run; the page's final URL after redirects counts too, so two
entries redirecting to one article store it once; the run item points at the
stored document), ``fetch-error`` (page failed and there is no feed entry
to fall back on), ``robots-disallowed``. Everything else becomes a document in
state ``fetched`` for :mod:`pipeline.process` to finish.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from crawlers.items import body_of
from crawlers.sources import SourceSpec
from pipeline.canonical import canonical_url
from pipeline.dates import parse_date
from storage.models import CrawlRun, Document, RunItem, Source
from storage.types import utcnow

log = logging.getLogger(__name__)
PENDING = "fetched"
MAX_URL = 2048  # documents.url_canonical length


@dataclass
class IngestResult:
    new_documents: list[int] = field(default_factory=list)
    sources_failed: list[dict[str, Any]] = field(default_factory=list)
    source_results: dict[str, dict[str, Any]] = field(default_factory=dict)


def pseudonymize(author: str | None, key: str) -> str | None:
    """Keyed hash (HMAC-SHA256, hex) of a social-post author; None stays None."""
    if not author:
        return None
    return hmac.new(key.encode("utf-8"), author.strip().casefold().encode("utf-8"), hashlib.sha256).hexdigest()


def sync_sources(session: Session, specs: list[SourceSpec]) -> dict[str, Source]:
    """Upsert configured sources by key; returns key -> Source row."""
    rows = {s.key: s for s in session.scalars(select(Source).where(Source.key.in_([p.key for p in specs])))}
    for spec in specs:
        row = rows.get(spec.key)
        if row is None:
            row = Source(key=spec.key)
            session.add(row)
            rows[spec.key] = row
        row.name, row.outlet, row.kind, row.url = spec.name, spec.outlet, spec.kind, spec.url
        row.language, row.outlet_type, row.enabled = spec.language, spec.outlet_type, spec.enabled
        row.config = spec.model_dump(mode="json")
    session.flush()
    return rows


def known_urls(session: Session) -> list[str]:
    """Canonical URLs already stored (any source): their pages are not fetched again."""
    return list(session.scalars(select(Document.url_canonical)))


def _record(session: Session, run: CrawlRun, source: Source | None, url: str, status: str,
            detail: str | None = None, document_id: int | None = None) -> None:
    session.add(RunItem(run_id=run.id, source_id=source.id if source else None, url=url[:4000],
                        status=status, detail=detail, document_id=document_id))


def ingest(session: Session, run: CrawlRun, records: list[dict[str, Any]], sources: dict[str, Source],
           settings: Any) -> IngestResult:
    """Write crawl records to the database (idempotent: known URLs become dup-url)."""
    result = IngestResult()
    now = utcnow()
    seen: dict[str, int | None] = {}  # canonical URL (requested or final) -> document id stored in this run
    for rec in records:
        source = sources.get(rec["source"])
        if rec["type"] == "source_result":
            _source_result(rec, source, result, now)
            continue
        entry = rec.get("entry") or {}
        url = rec.get("url") or entry.get("url") or ""
        canon = canonical_url(url)
        final = canonical_url(rec["final_url"]) if rec.get("final_url") else canon
        if rec.get("skipped") == "known" or canon in seen:
            _record(session, run, source, url, "dup-url", "canonical URL already stored", seen.get(canon))
            continue
        if final != canon and final in seen:
            _record(session, run, source, url, "dup-url", f"redirects to {final[:500]}, already stored",
                    seen[final])
            continue
        if len(canon) > MAX_URL:
            _record(session, run, source, url, "parse-error", f"URL longer than {MAX_URL} characters")
            continue
        if rec.get("skipped") == "robots":
            _record(session, run, source, url, "robots-disallowed", rec.get("error"))
            continue
        existing = session.scalar(select(Document.id).where(Document.url_canonical == canon))
        if existing is not None:
            seen[canon] = existing
            _record(session, run, source, url, "dup-url", "canonical URL already stored", existing)
            continue
        if final != canon and len(final) <= MAX_URL:
            existing = session.scalar(select(Document.id).where(Document.url_canonical == final))
            if existing is not None:
                seen[canon] = seen[final] = existing
                _record(session, run, source, url, "dup-url", f"redirects to {final[:500]}, already stored",
                        existing)
                continue
        body = body_of(rec)
        if body is None and not (entry.get("title") or entry.get("summary")):
            _record(session, run, source, url, "fetch-error", rec.get("error") or "no body")
            continue
        seen[canon] = None
        doc = Document(url_canonical=canon, source_id=source.id if source else None, first_run_id=run.id,
                       status=PENDING)
        # imports and tips (issue 6): how the item entered, who submitted it, platform figures
        doc.origin, doc.submitted_by = rec.get("origin"), (rec.get("submitted_by") or None)
        doc.submit_note, doc.engagement = rec.get("submit_note"), rec.get("engagement")
        if entry:
            doc.entry_url, doc.entry_guid = entry.get("url"), entry.get("guid")
            doc.entry_title, doc.entry_summary = entry.get("title"), entry.get("summary")
            doc.entry_published_at = parse_date(entry.get("published"), settings.timezone)
            author = entry.get("author")
            if source is not None and source.outlet_type == "social":
                doc.author_hash = pseudonymize(author, settings.author_hash_key.get_secret_value())
            else:
                doc.entry_author = author
        doc.fetch_url = rec.get("final_url") or url
        doc.fetch_status_code = rec.get("status_code")
        doc.fetch_error = rec.get("error")
        doc.fetched_at = now
        doc.content_type = (rec.get("content_type") or "")[:500] or None
        if body is not None:
            doc.raw_sha256 = hashlib.sha256(body).hexdigest()
            doc.raw_gzip = gzip.compress(body[: settings.max_response_bytes])
        session.add(doc)
        session.flush()
        seen[canon] = doc.id
        if body is not None:  # only a fetched page's final URL is known to be this document
            seen.setdefault(final, doc.id)
        result.new_documents.append(doc.id)
    session.flush()
    return result


def _source_result(rec: dict[str, Any], source: Source | None, result: IngestResult, now: Any) -> None:
    key = rec["source"]
    prev = result.source_results.get(key)
    if prev is not None and prev.get("ok") and not rec["ok"]:
        return  # a sitemap index may report per child; one good child keeps the source ok
    result.source_results[key] = {k: rec.get(k) for k in ("ok", "status_code", "error", "entries",
                                                            "not_modified", "problems", "retry_after")}
    if source is None:
        return
    if rec["ok"]:
        source.last_success_at = now
        if rec.get("etag") or rec.get("last_modified"):
            source.http_etag, source.http_last_modified = rec.get("etag"), rec.get("last_modified")
    else:
        source.last_error_at, source.last_error = now, rec.get("error")


def finalize_failed_sources(result: IngestResult, sources: dict[str, Source], settings: Any = None,
                            now: Any = None) -> list[Any]:
    """Every source that reported failure, or nothing at all, is listed as failed.

    With ``settings``, each source's health is updated for this crawl (one success or failure per
    source, :func:`pipeline.sourcehealth.record_crawl`: failure counts, Retry-After backoff,
    automatic pause/resume, audited); returns the pause/resume events (``HealthEvent``) for the
    pause alert (:mod:`alerts.sourcepause`). Without ``settings`` returns [].
    """
    from pipeline.sourcehealth import Policy, record_crawl

    policy = Policy.from_settings(settings) if settings is not None else None
    now = now or utcnow()
    events = []
    for key, src in sources.items():
        res = result.source_results.get(key)
        if res is None:
            result.sources_failed.append({"source": key, "name": src.name, "error": "no response"})
        elif not res.get("ok"):
            result.sources_failed.append({"source": key, "name": src.name, "error": res.get("error")})
        if policy is not None and src.id is not None:
            ok = bool(res and res.get("ok"))
            if res is None:
                src.last_error_at, src.last_error = now, "no response"
            event = record_crawl(object_session(src), src, ok, None if ok else (res or {}).get("error") or "no response",
                                 (res or {}).get("retry_after"), now, policy)
            if event is not None:
                events.append(event)
    return events
