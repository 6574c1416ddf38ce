"""The CPU-bound half of processing, as a pure function over plain data.

``analyze(task, models)`` decodes the fetched bytes, extracts the article,
detects the language, normalizes, matches the gazetteer, computes the
near-duplicate signature and runs the classifiers, and returns an
:class:`Analysis` (picklable, no database access), so it can run in worker
processes. Cheap filters come first: language and area relevance decide before
signatures and classifiers are computed. What needs the database (duplicate
decisions, clusters, writes) is :mod:`pipeline.process`'s job.
"""

from __future__ import annotations

import datetime as dt
import gzip
import logging
from dataclasses import dataclass, field
from typing import Any

from lxml import html as lxml_html

from classifiers.base import DocInput
from classifiers.registry import build_all
from pipeline import dedup
from pipeline.area import Gazetteer
from pipeline.canonical import canonical_url
from pipeline.encoding import decode_bytes
from pipeline.extract import (
    EXTRACTOR_VERSION,
    ExtractionError,
    extract_article,
    page_metadata,
    page_text,
    parse_html,
    pick_date,
)
from pipeline.language import detect_language
from pipeline.normalize import normalize_text

log = logging.getLogger(__name__)
NLP_VERSION = "mw-nlp-1"


@dataclass(frozen=True)
class Task:
    """What analysis needs of one stored document (its feed-entry and fetch sections)."""

    doc_id: int
    url_canonical: str
    raw_gzip: bytes | None
    content_type: str | None
    fetch_url: str | None
    fetch_error: str | None
    entry_url: str | None
    entry_title: str | None
    entry_summary: str | None
    entry_published_at: dt.datetime | None
    source_language: str | None
    social: bool


@dataclass
class Analysis:
    doc_id: int
    status: str | None = None  # terminal status decided here (parse-error, not-vi, off-area) or None
    notes: list[str] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)  # extraction + NLP columns of the document
    declared_canonical: str | None = None
    minhash: bytes | None = None
    places: list[dict[str, Any]] = field(default_factory=list)
    topics: list[dict[str, Any]] = field(default_factory=list)
    flags: list[dict[str, Any]] = field(default_factory=list)
    model_versions: dict[str, str] = field(default_factory=dict)
    error: str | None = None


@dataclass
class Models:
    """Built once per process (or worker): gazetteer and classifiers."""

    gazetteer: Gazetteer
    classifiers: list[Any]
    num_perm: int
    max_chars: int
    timezone: str
    area_prefilter: bool = False

    @classmethod
    def build(cls, settings: Any, background: list[str] | None = None) -> Models:
        gaz = Gazetteer.load(settings.config_dir / "gazetteer.yaml", settings.config_dir / "area.yaml")
        classifiers = build_all(settings)
        for clf in classifiers:
            if hasattr(clf, "fit_background"):
                clf.fit_background(background or [])
        return cls(gaz, classifiers, settings.dedup_num_perm, settings.max_text_chars, settings.timezone,
                   settings.area_prefilter)


def html_to_text(fragment: str | None) -> str:
    """Plain text of an HTML fragment (feed summaries), whitespace collapsed."""
    if not fragment or not fragment.strip():
        return ""
    try:
        return " ".join(lxml_html.fromstring(f"<div>{fragment}</div>").text_content().split())
    except (ValueError, lxml_html.etree.ParserError):
        return " ".join(fragment.split())


def _extract(task: Task, models: Models, out: Analysis) -> str | None:
    """Extraction section; returns the html lang attribute (or None)."""
    f = out.fields
    html_lang = None
    if task.raw_gzip:
        decoded = decode_bytes(gzip.decompress(task.raw_gzip), task.content_type)
        f["encoding"], f["legacy_encoding"] = decoded.encoding, decoded.legacy
        try:
            tree = parse_html(decoded.text)
            if models.area_prefilter and _prefilter_off_area(tree, task, models, out):
                return tree.get("lang")
            ext = extract_article(tree, task.fetch_url or task.url_canonical, entry_date=None,
                                  max_chars=models.max_chars, local_tz=models.timezone)
            f.update(title=ext.title or task.entry_title, text=ext.text, author=ext.author,
                     published_at=ext.published_at, published_at_source=ext.published_source)
            if ext.published_at is None and task.entry_published_at is not None:
                f.update(published_at=task.entry_published_at, published_at_source="feed-entry")
            html_lang = ext.language
            if ext.canonical_url and ext.canonical_url.startswith(("http://", "https://")):
                out.declared_canonical = canonical_url(ext.canonical_url)[:2048]
        except ExtractionError as exc:
            out.notes.append(f"extraction failed: {exc}")
    elif task.fetch_error:
        out.notes.append(f"page not fetched ({task.fetch_error})")
    if not f.get("text"):
        summary = html_to_text(task.entry_summary)
        if task.entry_title or summary:
            published, how = pick_date(None, task.entry_url or task.url_canonical, None, models.timezone)
            f.update(title=task.entry_title, text=summary, published_at=task.entry_published_at or published,
                     published_at_source="feed-entry" if task.entry_published_at else how)
            out.notes.append("built from the feed entry")
    if task.social:
        f["author"] = None  # authors of social posts are kept only as a keyed hash
    return html_lang


def _prefilter_off_area(tree: Any, task: Task, models: Models, out: Analysis) -> bool:
    """Cheap filter before extraction: when no area name appears anywhere on the page (nor in
    its feed entry), the article cannot be in the area; record it as off-area from the page's
    metadata and its paragraph text (no boilerplate removal) and skip trafilatura. True when
    the page was settled this way."""
    text = normalize_text(" ".join(filter(None, [page_text(tree), task.entry_title, html_to_text(task.entry_summary)])))
    if models.gazetteer.match("", text).relevant:
        return False
    paragraphs = [" ".join(p.text_content().split()) for p in tree.iter("p")]
    cheap_text = "\n".join(p for p in paragraphs if len(p) > 40)[: models.max_chars]
    if not cheap_text:
        return False  # no paragraph text (photo stories...): let trafilatura find the text
    meta = page_metadata(tree, task.fetch_url or task.url_canonical, None, models.timezone)
    out.fields.update(title=meta["title"] or task.entry_title, text=cheap_text, author=meta["author"],
                      extractor_version="paragraphs (area prefilter)",
                      published_at=meta["published_at"] or task.entry_published_at,
                      published_at_source=meta["published_source"] or ("feed-entry" if task.entry_published_at else None),
                      area_relevant=False, nlp_version=NLP_VERSION)
    if isinstance(meta["canonical_url"], str) and meta["canonical_url"].startswith(("http://", "https://")):
        out.declared_canonical = canonical_url(meta["canonical_url"])[:2048]
    out.notes.append("no area evidence anywhere on the page (checked before extraction)")
    out.status = "off-area"
    return True


def analyze(task: Task, models: Models) -> Analysis:
    """Run the CPU stages on one document; never raises (errors go to ``Analysis.error``)."""
    return analyze_batch([task], models)[0]


def analyze_batch(tasks: list[Task], models: Models) -> list[Analysis]:
    """Run the CPU stages on ``tasks``, one Analysis each in order; never raises.

    Everything up to classification runs per document; the classifiers then see all
    documents that reached them at once (their vectorizers and models work on batches).
    A classifier failing on the batch is retried per document, so one bad document is
    quarantined alone.
    """
    outs, pending = [], []
    for task in tasks:
        out = Analysis(task.doc_id)
        outs.append(out)
        try:
            inp = _analyze(task, models, out)
        except Exception as exc:  # quarantine: reported, never stops the batch
            log.exception("document %s failed in analysis", task.doc_id)
            out.error = f"{type(exc).__name__}: {exc}"[:1000]
            continue
        if inp is not None:
            pending.append((out, inp))
    if pending:
        try:
            _classify([o for o, _ in pending], [i for _, i in pending], models)
        except Exception:  # noqa: BLE001 - find the document that breaks it
            for out, inp in pending:
                out.topics, out.flags, out.model_versions = [], [], {}
                try:
                    _classify([out], [inp], models)
                except Exception as exc:
                    log.exception("document %s failed in classification", out.doc_id)
                    out.error = f"{type(exc).__name__}: {exc}"[:1000]
    return outs


def _classify(outs: list[Analysis], inputs: list[DocInput], models: Models) -> None:
    for clf in models.classifiers:
        predictions = clf.predict(inputs)
        for out, preds in zip(outs, predictions, strict=True):
            out.model_versions[clf.name] = clf.version
            for label, pred in preds.items():
                if not pred.positive:
                    continue
                row = {"score": pred.score, "model_version": clf.version,
                       "explanation": dict(pred.explanation, threshold=pred.threshold)}
                if clf.kind == "topics":
                    out.topics.append(dict(row, topic=label))
                else:
                    out.flags.append(dict(row, category=label))


def _analyze(task: Task, models: Models, out: Analysis) -> DocInput | None:
    """Stages before classification; returns the classifier input, or None when the document
    ended earlier (status set on ``out``)."""
    html_lang = _extract(task, models, out)
    if out.status:
        return None
    f = out.fields
    if not f.get("text"):
        out.status = "parse-error"
        return None
    f["extractor_version"] = EXTRACTOR_VERSION
    title, text = f.get("title") or "", f["text"]
    f["language"] = detect_language(f"{title}\n{text}", html_lang, task.source_language)
    if f["language"] != "vi":
        out.status = "not-vi"
        return None
    norm_title, norm_text = normalize_text(title), normalize_text(text)
    f["text_norm"] = f"{norm_title}\n{norm_text}"
    f["nlp_version"] = NLP_VERSION
    area = models.gazetteer.match(norm_title, norm_text)
    f["area_relevant"] = area.relevant
    if not area.relevant:
        rejected = [f"{m.matched_text} ({m.evidence})" for m in area.matches][:5]
        out.notes.append("no area evidence" + (": " + ", ".join(rejected) if rejected else ""))
        out.status = "off-area"
        return None
    out.places = [{"place_id": m.place.id, "place_name": m.place.name, "matched_text": m.matched_text[:300],
                   "field": m.field, "start": m.start, "ambiguous": m.place.ambiguous, "evidence": m.evidence}
                  for m in area.accepted]
    f["content_hash"] = dedup.content_hash(f["text_norm"])
    out.minhash = dedup.to_bytes(dedup.signature(f["text_norm"], models.num_perm))
    return DocInput(norm_title, norm_text)


# --- worker-process plumbing -------------------------------------------------
_WORKER_MODELS: Models | None = None


def init_worker(settings: Any, background: list[str]) -> None:
    """ProcessPoolExecutor initializer: build the models once per worker."""
    global _WORKER_MODELS
    _WORKER_MODELS = Models.build(settings, background)


def analyze_batch_in_worker(tasks: list[Task]) -> list[Analysis]:
    assert _WORKER_MODELS is not None, "init_worker was not called"
    return analyze_batch(tasks, _WORKER_MODELS)
