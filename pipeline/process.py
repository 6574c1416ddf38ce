"""Finish fetched documents: analysis (CPU, optionally in worker processes) then
duplicate decisions, clusters and batched writes (one process, in order).

Each document ends with exactly one status:
``ok`` (kept, clustered, classified), ``dup-url`` (the page declares the
canonical URL of a stored document), ``dup-text`` (same normalized text as a
stored document; joins its cluster), ``off-area`` (no area evidence; kept as a
row, not processed further), ``not-vi``, ``parse-error`` (no text at all),
``quarantined`` (an unexpected error; the message is kept).

Scale: documents are read and written in batches (``settings.process_batch``);
near-duplicates are found through LSH band buckets stored in the database
(one indexed query per document, documents of the last
``settings.dedup_window_days`` days) and exact duplicates through the indexed
content hash, so the cost per document does not grow with the archive.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline import dedup
from pipeline.analyze import Analysis, Models, Task, analyze_batch, analyze_batch_in_worker, html_to_text, init_worker
from pipeline.ingest import PENDING
from pipeline.lshstore import BandIndex
from pipeline.normalize import normalize_text
from storage.models import Cluster, Document, Flag, PlaceMention, Source, TopicTag
from storage.types import utcnow

log = logging.getLogger(__name__)
FINAL_STATUSES = ("ok", "dup-url", "dup-text", "off-area", "not-vi", "fetch-error", "parse-error",
                  "robots-disallowed", "quarantined", "debunk")  # debunk: see pipeline.factcheck
BACKGROUND_DOCS = 2000
CLASSIFY_CHUNK = 25  # documents per worker call: classifiers run on the chunk at once


class DedupState:
    """Duplicate lookups: exact text by indexed content hash; near-duplicates by LSH band
    buckets in the database (older documents) plus an in-memory index of the current batch."""

    def __init__(self, session: Session, settings: Any) -> None:
        self.session = session
        self.num_perm = settings.dedup_num_perm
        self.threshold = settings.dedup_threshold
        self.bands = BandIndex(session, settings.dedup_threshold, settings.dedup_num_perm, settings.dedup_window_days)
        self.batch_index = dedup.NearDuplicateIndex(settings.dedup_threshold, settings.dedup_num_perm)
        self.hashes: dict[str, int] = {}  # this batch's content hashes
        self.clusters: dict[int, Cluster] = {}  # this batch's doc id -> cluster object (may be unflushed)
        self.now = utcnow()

    def new_batch(self) -> None:
        """Call after each flush: earlier documents are found through the database from now on."""
        self.batch_index = dedup.NearDuplicateIndex(self.threshold, self.num_perm)
        self.hashes, self.clusters = {}, {}

    def original_of(self, content_hash: str) -> int | None:
        if content_hash in self.hashes:
            return self.hashes[content_hash]
        # filter on the indexed hash only: with "status = 'ok'" in SQL, SQLite may scan the status index
        rows = self.session.execute(select(Document.id, Document.status).where(Document.content_hash == content_hash))
        return next((doc_id for doc_id, status in rows if status == "ok"), None)

    def best_match(self, mh: Any) -> tuple[int, float] | None:
        here = self.batch_index.best_match(mh)
        stored = self.bands.query(mh, self.now)
        candidates = [m for m in (here, stored) if m is not None]
        return max(candidates, key=lambda m: m[1]) if candidates else None

    def add(self, doc_id: int, mh: Any, content_hash: str) -> None:
        self.batch_index.add(doc_id, mh)
        self.bands.add(doc_id, mh)
        self.hashes[content_hash] = doc_id

    def cluster_of(self, doc_id: int) -> Cluster | None:
        if doc_id in self.clusters:
            return self.clusters[doc_id]
        cluster_id = self.session.scalar(select(Document.cluster_id).where(Document.id == doc_id))
        return self.session.get(Cluster, cluster_id) if cluster_id else None


def _join(doc: Document, cluster: Cluster | None, state: DedupState) -> None:
    if cluster is None:
        return
    doc.cluster = cluster
    cluster.size = (cluster.size or 0) + 1
    cluster.last_seen_at = utcnow()
    state.clusters[doc.id] = cluster


def apply_analysis(session: Session, doc: Document, res: Analysis, state: DedupState) -> str:
    """Write one analysis into its document and decide duplicates; returns the final status."""
    now = utcnow()
    for key, value in res.fields.items():
        setattr(doc, key, value)
    doc.extracted_at = now if res.fields.get("extractor_version") else doc.extracted_at
    notes = list(res.notes)
    if res.error:
        doc.status_detail = res.error
        return "quarantined"
    if res.declared_canonical:
        doc.declared_canonical_url = res.declared_canonical
        if res.declared_canonical != doc.url_canonical:
            other = session.scalar(select(Document.id).where(Document.url_canonical == res.declared_canonical,
                                                             Document.id != doc.id))
            if other is not None:
                doc.status_detail = f"page declares the canonical URL of document {other}"
                return "dup-url"
    if res.fields.get("nlp_version"):
        doc.processed_at = now
    if res.status:
        doc.status_detail = "; ".join(notes) or None
        return res.status
    chash = res.fields["content_hash"]
    original = state.original_of(chash)
    if original is not None:
        _join(doc, state.cluster_of(original), state)
        doc.status_detail = "; ".join([*notes, f"same text as document {original}"])
        return "dup-text"
    mh = dedup.from_bytes(res.minhash or b"", state.num_perm)
    match = state.best_match(mh)
    cluster = state.cluster_of(match[0]) if match else None
    if cluster is None:
        cluster = Cluster(representative_id=doc.id, size=0, title=doc.title)
        session.add(cluster)
    _join(doc, cluster, state)
    doc.minhash = res.minhash
    state.add(doc.id, mh, chash)
    # new rows added directly: assigning doc.places/... would first load the (empty) collections
    session.add_all([PlaceMention(document_id=doc.id, **p) for p in res.places]
                    + [TopicTag(document_id=doc.id, **t) for t in res.topics]
                    + [Flag(document_id=doc.id, **f) for f in res.flags])
    doc.model_versions, doc.classified_at = res.model_versions, now
    doc.status_detail = "; ".join(notes) or None
    return "ok"


def _task(doc: Document, source: Source | None) -> Task:
    return Task(doc.id, doc.url_canonical, doc.raw_gzip, doc.content_type, doc.fetch_url, doc.fetch_error,
                doc.entry_url, doc.entry_title, doc.entry_summary, doc.entry_published_at,
                source.language if source else None, bool(source and source.outlet_type == "social"))


def _background(session: Session, first_batch: list[Document]) -> list[str]:
    """Text that classifiers learn corpus statistics from: recent stored documents + the first batch."""
    texts = [normalize_text(f"{d.entry_title or ''}\n{html_to_text(d.entry_summary)}") for d in first_batch]
    texts += list(session.scalars(select(Document.text_norm).where(Document.status.in_(("ok", "off-area")))
                                  .order_by(Document.id.desc()).limit(BACKGROUND_DOCS)))
    return [t for t in texts if t and t.strip()]


@contextmanager
def _analyzer(settings: Any, background: list[str]) -> Iterator[Callable[[list[Task]], Iterable[Analysis]]]:
    workers = settings.process_workers or os.cpu_count() or 1
    if workers <= 1:
        models = Models.build(settings, background)
        yield lambda tasks: analyze_batch(tasks, models)
        return
    ctx = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=init_worker,
                             initargs=(settings, background)) as pool:
        def run(tasks: list[Task]) -> Iterable[Analysis]:
            chunks = [tasks[i:i + CLASSIFY_CHUNK] for i in range(0, len(tasks), CLASSIFY_CHUNK)]
            return (a for chunk in pool.map(analyze_batch_in_worker, chunks) for a in chunk)

        yield run


def _batches(session: Session, doc_ids: list[int] | None, size: int) -> Iterator[list[Document]]:
    """Pending documents in id order, ``size`` at a time (bounded memory)."""
    last = 0
    while True:
        query = select(Document).where(Document.status == PENDING, Document.id > last).order_by(Document.id).limit(size)
        if doc_ids is not None:
            query = query.where(Document.id.in_(doc_ids))
        batch = list(session.scalars(query.execution_options(populate_existing=True)))
        if not batch:
            return
        yield batch
        last = batch[-1].id


def process_pending(session: Session, settings: Any, doc_ids: Iterable[int] | None = None,
                    progress: Callable[[int, int], None] | None = None) -> dict[int, str]:
    """Process documents in state ``fetched`` (all, or ``doc_ids``); returns id -> final status."""
    ids = list(doc_ids) if doc_ids is not None else None
    count_q = select(func.count()).select_from(Document).where(Document.status == PENDING)
    if ids is not None:
        count_q = count_q.where(Document.id.in_(ids))
    total = session.scalar(count_q) or 0
    if not total:
        return {}
    sources = {s.id: s for s in session.scalars(select(Source))}
    batches = _batches(session, ids, settings.process_batch)
    first = next(batches)
    state = DedupState(session, settings)
    out: dict[int, str] = {}
    with _analyzer(settings, _background(session, first)) as run:
        batch: list[Document] | None = first
        results = run([_task(d, sources.get(d.source_id)) for d in first])
        while batch:
            # hand the next batch to the workers before applying this one, so they never wait
            upcoming = next(batches, None)
            upcoming_results = run([_task(d, sources.get(d.source_id)) for d in upcoming]) if upcoming else None
            with session.no_autoflush:  # one flush per batch, not one per lookup
                for doc, res in zip(batch, results, strict=True):
                    status = apply_analysis(session, doc, res, state)
                    doc.status = status
                    out[doc.id] = status
            session.flush()
            state.new_batch()
            for doc in batch:  # written: let go of the rows (memory stays bounded on long runs)
                session.expunge(doc)
            if progress:
                progress(len(out), total)
            batch, results = upcoming, upcoming_results
    return out
