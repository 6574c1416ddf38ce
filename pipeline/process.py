"""Finish fetched documents: extract -> language -> normalize -> area -> dedup -> classify.

Each document ends with exactly one status:
``ok`` (kept, clustered, classified), ``dup-text`` (same normalized text as a
stored document; joins its cluster), ``off-area`` (no area evidence; kept as a
row, not processed further), ``not-vi``, ``parse-error`` (no text at all),
``quarantined`` (an unexpected error in a stage; the message is kept).
Cheap filters run before the costly ones.
"""

from __future__ import annotations

import gzip
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from lxml import html as lxml_html
from sqlalchemy import select
from sqlalchemy.orm import Session

from classifiers.base import DocInput
from classifiers.registry import build_all
from pipeline import dedup
from pipeline.area import Gazetteer
from pipeline.canonical import canonical_url
from pipeline.encoding import decode_bytes
from pipeline.extract import EXTRACTOR_VERSION, ExtractionError, extract_article, pick_date
from pipeline.ingest import PENDING
from pipeline.language import detect_language
from pipeline.normalize import normalize_text
from storage.models import Cluster, Document, Flag, PlaceMention, Source, TopicTag
from storage.types import utcnow

log = logging.getLogger(__name__)
NLP_VERSION = "mw-nlp-1"
FINAL_STATUSES = ("ok", "dup-url", "dup-text", "off-area", "not-vi", "fetch-error", "parse-error",
                  "robots-disallowed", "quarantined")


@dataclass
class Models:
    """Everything built once per process run (gazetteer, classifiers, LSH index)."""

    gazetteer: Gazetteer
    classifiers: list[Any]
    index: dedup.NearDuplicateIndex
    hashes: dict[str, int] = field(default_factory=dict)  # content hash -> document id

    @classmethod
    def build(cls, session: Session, settings: Any) -> Models:
        gaz = Gazetteer.load(settings.config_dir / "gazetteer.yaml", settings.config_dir / "area.yaml")
        index = dedup.NearDuplicateIndex(settings.dedup_threshold, settings.dedup_num_perm)
        models = cls(gaz, build_all(settings), index)
        rows = session.execute(select(Document.id, Document.minhash, Document.content_hash)
                               .where(Document.status == "ok", Document.minhash.is_not(None)))
        for doc_id, blob, chash in rows:
            index.add(doc_id, dedup.from_bytes(blob, settings.dedup_num_perm))
            models.hashes.setdefault(chash, doc_id)
        return models

    def fit_background(self, session: Session, batch: list[Document]) -> None:
        """Give classifiers that learn corpus statistics (IDF) the batch plus recent stored text."""
        fitters = [c for c in self.classifiers if hasattr(c, "fit_background")]
        if not fitters:
            return
        texts = [normalize_text(f"{d.title or d.entry_title or ''}\n{_html_to_text(d.entry_summary)}") for d in batch]
        texts += list(session.scalars(select(Document.text_norm).where(Document.status.in_(("ok", "off-area")))
                                      .order_by(Document.id.desc()).limit(2000)))
        for clf in fitters:
            clf.fit_background([t for t in texts if t])


def _html_to_text(fragment: str | None) -> str:
    if not fragment or not fragment.strip():
        return ""
    try:
        return " ".join(lxml_html.fromstring(f"<div>{fragment}</div>").text_content().split())
    except (ValueError, lxml_html.etree.ParserError):
        return " ".join(fragment.split())


def _declared_duplicate(session: Session, doc: Document, declared: str | None) -> int | None:
    """Id of another stored document whose canonical URL this page declares (rel=canonical)."""
    if not declared or not declared.startswith(("http://", "https://")):
        return None
    canon = canonical_url(declared)
    doc.declared_canonical_url = canon[:2048]
    if canon == doc.url_canonical:
        return None
    return session.scalar(select(Document.id).where(Document.url_canonical == canon, Document.id != doc.id))


def extract_stage(session: Session, doc: Document, source: Source | None, settings: Any) -> str | None:
    """Fill the extraction section; returns a terminal status or None to continue."""
    html_lang = None
    notes = []
    if doc.raw_gzip:
        decoded = decode_bytes(gzip.decompress(doc.raw_gzip), doc.content_type)
        doc.encoding, doc.legacy_encoding = decoded.encoding, decoded.legacy
        try:
            ext = extract_article(decoded.text, doc.fetch_url or doc.url_canonical,
                                  entry_date=None, max_chars=settings.max_text_chars, local_tz=settings.timezone)
            doc.title, doc.text, doc.author = ext.title or doc.entry_title, ext.text, ext.author
            doc.published_at, doc.published_at_source = ext.published_at, ext.published_source
            if doc.published_at is None and doc.entry_published_at is not None:
                doc.published_at, doc.published_at_source = doc.entry_published_at, "feed-entry"
            html_lang = ext.language
            other = _declared_duplicate(session, doc, ext.canonical_url)
            if other is not None:
                doc.status_detail = f"page declares the canonical URL of document {other}"
                return "dup-url"
        except ExtractionError as exc:
            notes.append(f"extraction failed: {exc}")
    elif doc.fetch_error:
        notes.append(f"page not fetched ({doc.fetch_error})")
    if not doc.text:
        summary = _html_to_text(doc.entry_summary)
        if not (doc.entry_title or summary):
            doc.status_detail = "; ".join(notes) or "no text"
            return "parse-error"
        doc.title, doc.text = doc.entry_title, summary
        published, how = pick_date(None, doc.entry_url or doc.url_canonical,
                                   None, settings.timezone)
        doc.published_at = doc.entry_published_at or published
        doc.published_at_source = "feed-entry" if doc.entry_published_at else how
        notes.append("built from the feed entry")
    if source is not None and source.outlet_type == "social":
        doc.author = None  # authors of social posts are kept only as a keyed hash
    doc.extracted_at, doc.extractor_version = utcnow(), EXTRACTOR_VERSION
    doc.status_detail = "; ".join(notes) or None
    doc.language = detect_language(f"{doc.title or ''}\n{doc.text}", html_lang,
                                   source.language if source else None)
    return None if doc.language == "vi" else "not-vi"


def area_stage(doc: Document, norm_title: str, norm_text: str, models: Models) -> str | None:
    result = models.gazetteer.match(norm_title, norm_text)
    doc.area_relevant = result.relevant
    if not result.relevant:
        rejected = [f"{m.matched_text} ({m.evidence})" for m in result.matches][:5]
        doc.status_detail = "; ".join(filter(None, [doc.status_detail, "no area evidence"
                                                    + (": " + ", ".join(rejected) if rejected else "")]))
        return "off-area"
    doc.places = [PlaceMention(place_id=m.place.id, place_name=m.place.name, matched_text=m.matched_text[:300],
                               field=m.field, start=m.start, ambiguous=m.place.ambiguous, evidence=m.evidence)
                  for m in result.accepted]
    return None


def dedup_stage(session: Session, doc: Document, norm: str, models: Models, settings: Any) -> str | None:
    chash = dedup.content_hash(norm)
    doc.content_hash = chash
    original_id = models.hashes.get(chash)
    if original_id is not None:
        original = session.get(Document, original_id)
        doc.cluster_id = original.cluster_id if original else None
        doc.status_detail = f"same text as document {original_id}"
        _touch_cluster(session, doc.cluster_id, doc)
        return "dup-text"
    mh = dedup.signature(norm, settings.dedup_num_perm)
    doc.minhash = dedup.to_bytes(mh)
    match = models.index.best_match(mh)
    if match is not None:
        other = session.get(Document, match[0])
        doc.cluster_id = other.cluster_id if other else None
    if doc.cluster_id is None:
        cluster = Cluster(representative_id=doc.id, size=0, title=doc.title)
        session.add(cluster)
        session.flush()
        doc.cluster_id = cluster.id
    _touch_cluster(session, doc.cluster_id, doc)
    models.index.add(doc.id, mh)
    models.hashes[chash] = doc.id
    return None


def _touch_cluster(session: Session, cluster_id: int | None, doc: Document) -> None:
    if cluster_id is None:
        return
    cluster = session.get(Cluster, cluster_id)
    if cluster is not None:
        cluster.size += 1
        cluster.last_seen_at = utcnow()


def classify_stage(doc: Document, norm_title: str, norm_text: str, models: Models) -> None:
    inp = [DocInput(norm_title, norm_text)]
    versions: dict[str, str] = {}
    topics, flags = [], []
    for clf in models.classifiers:
        versions[clf.name] = clf.version
        for label, pred in clf.predict(inp)[0].items():
            if not pred.positive:
                continue
            explanation = dict(pred.explanation, threshold=pred.threshold)
            if clf.kind == "topics":
                topics.append(TopicTag(topic=label, score=pred.score, model_version=clf.version, explanation=explanation))
            else:
                flags.append(Flag(category=label, score=pred.score, model_version=clf.version, explanation=explanation))
    doc.topics, doc.flags = topics, flags
    doc.model_versions, doc.classified_at = versions, utcnow()


def process_document(session: Session, doc: Document, source: Source | None, models: Models, settings: Any) -> str:
    """Run every stage on one document; returns its final status."""
    status = extract_stage(session, doc, source, settings)
    if status:
        return status
    norm_title = normalize_text(doc.title or "")
    norm_text = normalize_text(doc.text or "")
    doc.text_norm = f"{norm_title}\n{norm_text}"
    doc.nlp_version, doc.processed_at = NLP_VERSION, utcnow()
    status = area_stage(doc, norm_title, norm_text, models)
    if status:
        return status
    status = dedup_stage(session, doc, doc.text_norm, models, settings)
    if status:
        return status
    classify_stage(doc, norm_title, norm_text, models)
    return "ok"


def process_pending(session: Session, settings: Any, doc_ids: Iterable[int] | None = None,
                    progress: Callable[[int, int], None] | None = None) -> dict[int, str]:
    """Process documents in state ``fetched`` (all, or ``doc_ids``); returns id -> final status.

    One failing document is marked ``quarantined`` and never stops the others.
    """
    query = select(Document).where(Document.status == PENDING).order_by(Document.id)
    if doc_ids is not None:
        query = query.where(Document.id.in_(list(doc_ids)))
    docs = list(session.scalars(query))
    if not docs:
        return {}
    models = Models.build(session, settings)
    models.fit_background(session, docs)
    sources = {s.id: s for s in session.scalars(select(Source))}
    out: dict[int, str] = {}
    for i, doc in enumerate(docs, 1):
        try:
            status = process_document(session, doc, sources.get(doc.source_id), models, settings)
        except Exception as exc:  # quarantine: record and go on with the next document
            log.exception("document %s quarantined", doc.id)
            status = "quarantined"
            doc.status_detail = f"{type(exc).__name__}: {exc}"[:1000]
        doc.status = status
        out[doc.id] = status
        session.flush()
        if progress:
            progress(i, len(docs))
    return out
