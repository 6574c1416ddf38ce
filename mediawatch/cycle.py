"""One monitoring cycle: crawl -> ingest -> process -> triage -> digest.

Library functions behind the CLI's subcommands. Each takes the settings
object and returns plain data (a :class:`RunSummary`), so the CLI stays thin
and tests call these directly.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from alerts.digest import build_digest, collect_digest, send_digests, topic_labels, write_digest
from alerts.watchlists import match_watchlists
from crawlers.job import CrawlError, run_crawl
from crawlers.replay import ReplayServer
from crawlers.sources import SourceSpec, load_sources, sources_from_replay_map
from mediawatch.settings import Settings
from pipeline.factcheck import harvest_debunks
from pipeline.ingest import finalize_failed_sources, ingest, known_urls, sync_sources
from pipeline.process import process_pending
from pipeline.triage import Routing, update_triage
from storage.db import make_engine, make_session_factory, session_scope
from storage.migrate import upgrade
from storage.models import AuditEvent, Cluster, CrawlRun, Document, RunItem, TriageItem
from storage.types import utcnow

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]
DEMO_CORPUS = Path(__file__).resolve().parent.parent / "demo" / "corpus"


@dataclass
class RunSummary:
    run_id: int
    documents: int
    documents_total: int
    statuses: dict[str, int]
    clusters: int
    triage_items: int
    triage_items_created: int
    digest_path: str | None
    sources_failed: list[dict[str, Any]] = field(default_factory=list)
    sources: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@contextmanager
def open_database(settings: Settings, migrate: bool = True) -> Iterator[sessionmaker[Session]]:
    """Session factory for the configured database (migrated to head); the engine is disposed on exit."""
    url = settings.effective_database_url
    if migrate:
        upgrade(url)
    engine = make_engine(url)
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()


def configured_sources(settings: Settings) -> list[SourceSpec]:
    return load_sources(settings.config_dir / "sources.yaml")


def _audit_run(session: Session, run: CrawlRun, action: str, after: dict[str, Any]) -> None:
    session.add(AuditEvent(actor="system", action=action, entity_type="crawl_run", entity_id=run.id, after=after))


def crawl_into(session: Session, settings: Settings, run: CrawlRun, specs: list[SourceSpec]) -> tuple[list[int], list[dict[str, Any]]]:
    """Crawl ``specs`` and store what came back; returns (new document ids, failed sources).

    Paused sources and sources in Retry-After backoff are left out (pipeline/sourcehealth.py);
    each crawled source's health is updated and an automatic pause is mailed (alerts/sourcepause.py).
    """
    from alerts.sourcepause import send_pause_alerts
    from pipeline.sourcehealth import crawlable_rows

    rows = crawlable_rows(sync_sources(session, specs), utcnow())
    specs = [s for s in specs if s.key in rows]
    state = {k: {"etag": r.http_etag, "last_modified": r.http_last_modified}
             for k, r in rows.items() if r.http_etag or r.http_last_modified}
    crawled = True
    try:
        records = run_crawl(settings, specs, state, known_urls(session)) if specs else []
    except CrawlError as exc:
        log.error("crawl failed: %s", exc)
        records, crawled = [], False  # our failure, not the sources': their health is left alone
    result = ingest(session, run, records, rows, settings)
    events = finalize_failed_sources(result, rows, settings if crawled else None)
    run.source_results = result.source_results
    run.sources_failed = result.sources_failed
    session.flush()
    send_pause_alerts(session, settings, events)
    return result.new_documents, result.sources_failed


def process_into(session: Session, settings: Settings, run: CrawlRun, doc_ids: list[int] | None,
                 progress: Progress | None = None) -> int:
    """Process pending documents, record their final statuses, refresh triage; returns triage items created.
    Pages of fact-check sources go to the debunk memory first (:mod:`pipeline.factcheck`)."""
    statuses = harvest_debunks(session, settings, doc_ids).statuses
    statuses.update(process_pending(session, settings, doc_ids,
                                    progress=(lambda i, n: progress("process", i, n)) if progress else None))
    clusters: set[int] = set()
    ids = sorted(statuses)
    for start in range(0, len(ids), 500):
        rows = session.execute(select(Document.id, Document.source_id, Document.entry_url, Document.url_canonical,
                                      Document.status_detail, Document.cluster_id)
                               .where(Document.id.in_(ids[start:start + 500]))).all()
        session.add_all([RunItem(run_id=run.id, source_id=r.source_id, url=r.entry_url or r.url_canonical,
                                 status=statuses[r.id], detail=r.status_detail, document_id=r.id) for r in rows])
        clusters.update(r.cluster_id for r in rows if r.cluster_id is not None)
    routing = Routing.load(settings.config_dir / "routing.yaml")
    created = update_triage(session, routing, clusters)
    match_watchlists(session, [i for i in ids if statuses[i] == "ok"])
    session.flush()
    return created


def finish_run(session: Session, settings: Settings, run: CrawlRun, with_digest: bool = False, created: int = 0) -> RunSummary:
    """Record the run's status counts and end; with ``with_digest`` also write the run's digest file."""
    counts = Counter(dict(session.execute(select(RunItem.status, func.count()).where(RunItem.run_id == run.id)
                                          .group_by(RunItem.status)).all()))
    run.status_counts = dict(sorted(counts.items()))
    run.finished_at, run.state = utcnow(), "finished"
    session.flush()
    if with_digest:
        data = collect_digest(session, settings, utcnow(), run.started_at, run=run, topic_labels=topic_labels(settings))
        subject, html, text = build_digest(data)
        run.digest_path = str(write_digest(settings.digest_dir, data, subject, html, text))
    _audit_run(session, run, "run.finished", {"statuses": run.status_counts, "sources_failed": len(run.sources_failed)})
    new_docs = session.scalar(select(func.count()).select_from(Document).where(Document.first_run_id == run.id)) or 0
    return RunSummary(
        run_id=run.id, documents=new_docs,
        documents_total=session.scalar(select(func.count()).select_from(Document)) or 0,
        statuses=run.status_counts, clusters=session.scalar(select(func.count()).select_from(Cluster)) or 0,
        triage_items=session.scalar(select(func.count()).select_from(TriageItem)) or 0,
        triage_items_created=created,
        digest_path=run.digest_path, sources_failed=list(run.sources_failed or []),
        sources=len(run.source_results or {}),
    )


def run_cycle(settings: Settings, specs: list[SourceSpec] | None = None, progress: Progress | None = None,
              factory: sessionmaker[Session] | None = None) -> RunSummary:
    """One full cycle over ``specs`` (default: enabled sources in config/sources.yaml)."""
    specs = specs if specs is not None else configured_sources(settings)
    with (nullcontext(factory) if factory else open_database(settings)) as fac, session_scope(fac) as session:
        run = CrawlRun(kind="run")
        session.add(run)
        session.flush()
        _audit_run(session, run, "run.started", {"sources": len(specs)})
        if progress:
            progress(f"crawl:{len(specs)}", 0, 1)
        doc_ids, _ = crawl_into(session, settings, run, specs)
        if progress:
            progress(f"crawl:{len(specs)}", 1, 1)
        session.commit()
        created = process_into(session, settings, run, doc_ids, progress)
        return finish_run(session, settings, run, with_digest=True, created=created)


def crawl_only(settings: Settings, specs: list[SourceSpec] | None = None) -> RunSummary:
    """Crawl and store (documents stay ``fetched`` until ``process``)."""
    specs = specs if specs is not None else configured_sources(settings)
    with open_database(settings) as factory, session_scope(factory) as session:
        run = CrawlRun(kind="crawl")
        session.add(run)
        session.flush()
        crawl_into(session, settings, run, specs)
        return finish_run(session, settings, run, with_digest=False)


def process_only(settings: Settings, progress: Progress | None = None) -> RunSummary:
    """Process every pending document (e.g. after ``crawl``)."""
    with open_database(settings) as factory, session_scope(factory) as session:
        run = CrawlRun(kind="process")
        session.add(run)
        session.flush()
        created = process_into(session, settings, run, None, progress)
        return finish_run(session, settings, run, with_digest=False, created=created)


def digest_only(settings: Settings, now: dt.datetime | None = None) -> dict[str, Any]:
    """Write and mail today's digests (office + each unit with routed items) for the last 24 hours.

    Mail goes to var/outbox/ when no SMTP server is set; a recipient who already got today's
    digest is skipped. Returns :func:`alerts.digest.send_digests`' result.
    """
    now = now or utcnow()
    with open_database(settings) as factory, session_scope(factory) as session:
        return send_digests(session, settings, now, now - dt.timedelta(hours=24))


def run_demo(settings: Settings, corpus: Path | None = None, progress: Progress | None = None) -> RunSummary:
    """Serve ``corpus`` (default: the repo's demo corpus) on 127.0.0.1 and run one cycle against it."""
    corpus = corpus or DEMO_CORPUS
    specs = sources_from_replay_map(corpus)
    with ReplayServer.from_corpus(corpus) as server:
        demo_settings = settings.model_copy(update={"replay_url": server.base_url, "download_delay": 0.0,
                                                    "per_host_concurrency": 8})
        return run_cycle(demo_settings, specs, progress)
