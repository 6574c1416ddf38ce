"""Fact-check sources feed the debunk memory.

Pages fetched from a source with ``outlet_type: fact-check`` (the national fact-check site
tingia.gov.vn in the default profile) are fact-check articles, not items to triage. Each is
read as a fact-check article (:func:`classifiers.debunks.parse_tingia_article`) and merged into
the debunk memory ``<config_dir>/debunks.yaml`` (merged by article URL or claim, so a rerun
changes nothing). The document ends with status ``debunk`` (detail: debunk id and whether it
was added, updated or already known) or ``parse-error`` (the page is not a fact-check article,
e.g. a category or static page; the reason is kept). Claim matching reads the memory when the
classifiers load, so documents processed after this step are matched against the new debunks.
"""

from __future__ import annotations

import gzip
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from classifiers.debunks import Debunk, merge_into, parse_tingia_article
from pipeline.ingest import PENDING
from storage.models import Document, Source

log = logging.getLogger(__name__)
FACT_CHECK = "fact-check"
STATUS = "debunk"


@dataclass
class HarvestResult:
    """Per document: final status (``debunk`` | ``parse-error``); debunk ids by outcome."""

    statuses: dict[int, str] = field(default_factory=dict)
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def memory_path(settings: Any) -> Path:
    """The debunk memory file that claim matching reads."""
    return Path(settings.config_dir) / "debunks.yaml"


def harvest_debunks(session: Session, settings: Any, doc_ids: list[int] | None) -> HarvestResult:
    """Turn pending documents of fact-check sources (all, or those in ``doc_ids``) into debunks.

    Returns a :class:`HarvestResult`; the documents' status and status_detail are set. A page that
    cannot be parsed is a ``parse-error`` for that document only; the memory file is written once."""
    result = HarvestResult()
    query = (select(Document).join(Source, Document.source_id == Source.id)
             .where(Source.outlet_type == FACT_CHECK, Document.status == PENDING))
    if doc_ids is not None:
        if not doc_ids:
            return result
        query = query.where(Document.id.in_(doc_ids))
    found: list[tuple[Document, Debunk]] = []
    for doc in session.scalars(query.order_by(Document.id)):
        try:
            if doc.raw_gzip is None:
                raise ValueError("no page body was fetched")
            debunk = parse_tingia_article(gzip.decompress(doc.raw_gzip), doc.fetch_url or doc.url_canonical)
        except ValueError as exc:
            doc.status, doc.status_detail = "parse-error", f"not a fact-check article: {exc}"[:2000]
            result.statuses[doc.id] = doc.status
            continue
        doc.entry_title = doc.entry_title or debunk.claim
        found.append((doc, debunk))
    if not found:
        return result
    merged = merge_into(memory_path(settings), [d for _, d in found])
    outcome = {**{i: "added" for i in merged.added}, **{i: "updated" for i in merged.updated},
               **{i: "unchanged" for i in merged.unchanged}}
    by_key = {d.key: d.id for d in merged.debunks}
    result.added, result.updated, result.unchanged = merged.added, merged.updated, merged.unchanged
    for doc, debunk in found:
        memory_id = by_key.get(debunk.key, debunk.id)
        doc.status = STATUS
        doc.status_detail = f"debunk {memory_id} ({outcome.get(memory_id, 'merged')})"
        result.statuses[doc.id] = STATUS
    log.info("fact-check pages: %d debunks added, %d updated, %d unchanged, %d pages not articles",
             len(merged.added), len(merged.updated), len(merged.unchanged),
             sum(1 for s in result.statuses.values() if s != STATUS))
    session.flush()
    return result
