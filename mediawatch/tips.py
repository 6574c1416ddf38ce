"""Tips: a person submits a link or a pasted text; it enters the same pipeline.

:func:`submit_tip` (web form ``/tips``, ``POST /api/tips``, ``mediawatch tip``):

* a **link** is checked by the SSRF guard (:func:`crawlers.ssrf.check_url`; loopback,
  private, link-local and metadata addresses are refused unless
  ``allow_private_targets``), then fetched by the crawler as a one-off ``urls`` source
  ``tips`` (:func:`crawlers.job.run_crawl`: robots.txt, politeness and the guard apply
  again, redirects included), ingested and processed;
* a **text** becomes a document directly, at the stable URL ``tip:<sha256 of the text>``.

Documents are tagged ``origin="tip"``, ``submitted_by`` (user name, token owner or the
CLI's ``--by``) and ``submit_note``. A link or text already stored is not lost: the result
points at the existing document. Every submission is an audit event ``tip.submitted``.
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crawlers import items
from crawlers.social_import import _short_title
from crawlers.sources import SourceSpec
from crawlers.ssrf import BlockedTarget, check_url
from pipeline.canonical import canonical_url
from storage.models import AuditEvent, CrawlRun, Document, RunItem, TriageItem

TIPS_SOURCE = SourceSpec(name="Tin báo", key="tips", kind="urls", outlet="Tin báo", outlet_type="tip",
                         enabled=False, language="vi")
MAX_NOTE = 2000
MAX_URL = 2000
STATUS_VI = {
    "ok": "đã phân tích", "off-area": "ngoài địa bàn", "not-vi": "không phải tiếng Việt",
    "dup-text": "trùng nội dung với bài đã có", "dup-url": "đã có trong hệ thống",
    "fetch-error": "không tải được trang", "parse-error": "không đọc được nội dung",
    "robots-disallowed": "trang cấm thu thập (robots.txt)", "quarantined": "đã cách ly",
}


class TipRefused(ValueError):
    """The tip cannot be accepted; the message is Vietnamese, for the person who sent it."""


@dataclass
class TipResult:
    """``status``: the document's (or run item's) status; ``existing``: it was already stored;
    ``document_id`` / ``triage_item_id``: where to look (None when nothing was stored)."""

    status: str
    existing: bool
    document_id: int | None
    triage_item_id: int | None
    url: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _replay_resolver(host: str) -> list[str]:
    """Replay mode answers every host from 127.0.0.1 without the network: names are not
    resolved (treated as public); literal and internal addresses are still judged."""
    return ["8.8.8.8"]


def check_tip_url(url: str, settings: Any) -> str:
    """The stripped URL, or TipRefused with the reason in Vietnamese."""
    url = (url or "").strip()
    if not url or len(url) > MAX_URL:
        raise TipRefused(f"Đường link trống hoặc dài quá {MAX_URL} ký tự.")
    try:
        check_url(url, settings.allow_private_targets,
                  **({"resolver": _replay_resolver} if settings.replay_url else {}))
    except BlockedTarget as exc:
        reason = str(exc)
        if "scheme" in reason or "no host" in reason:
            raise TipRefused("Chỉ nhận đường link http:// hoặc https:// có tên miền.") from exc
        if "resolve" in reason and "non-public" not in reason:
            raise TipRefused("Không tìm thấy tên miền của đường link này.") from exc
        raise TipRefused("Không nhận đường link tới địa chỉ nội bộ (máy này, mạng riêng, link-local hoặc "
                         "dịch vụ metadata) vì lý do an toàn.") from exc
    return url


def _triage_of(session: Session, doc: Document | None) -> int | None:
    if doc is None or doc.cluster_id is None:
        return None
    return session.scalar(select(TriageItem.id).where(TriageItem.cluster_id == doc.cluster_id))


def _audit(session: Session, by: str, result: TipResult, kind: str, via: str, note: str | None) -> None:
    session.add(AuditEvent(actor=by, action="tip.submitted", entity_type="document", entity_id=result.document_id,
                           after={"kind": kind, "url": result.url, "status": result.status,
                                  "existing": result.existing, "via": via, "note": (note or "")[:1000] or None}))
    session.flush()


def _message(status: str, existing: bool, doc: Document | None, triage_id: int | None) -> str:
    if existing:
        head = "Tin báo này đã có trong hệ thống"
    elif doc is None:
        return f"Đã ghi nhận tin báo nhưng {STATUS_VI.get(status, status)}; không có bài nào được lưu."
    else:
        head = "Đã tiếp nhận tin báo"
    tail = f" (bài số {doc.id}: {STATUS_VI.get(doc.status, doc.status)})" if doc is not None else ""
    if triage_id is not None:
        tail += f"; đang ở mục xử lý số {triage_id}"
    return head + tail + "."


def submit_tip(session: Session, settings: Any, *, url: str | None = None, text: str | None = None,
               by: str, note: str | None = None, via: str = "web") -> TipResult:
    """Store and process one tip (exactly one of ``url`` / ``text``) and return where it ended.

    Runs the crawler (child process) for a link, then ingest and processing in ``session``
    (committed by the caller). Raises TipRefused (Vietnamese message) for an empty or
    oversized input, both or neither of url/text, or a link the SSRF guard refuses."""
    from mediawatch.cycle import finish_run, process_into
    from pipeline.ingest import ingest, sync_sources

    url, text = (url or "").strip() or None, (text or "").strip() or None
    note = (note or "").strip()[:MAX_NOTE] or None
    by = (by or "").strip()[:200] or "không rõ"
    if bool(url) == bool(text):
        raise TipRefused("Hãy gửi một đường link hoặc một đoạn văn bản (chỉ một trong hai).")
    if text is not None and len(text) > settings.tip_max_text_chars:
        raise TipRefused(f"Văn bản dài quá {settings.tip_max_text_chars} ký tự.")
    if url is not None:
        url = check_tip_url(url, settings)
        canon = canonical_url(url)
    else:
        canon = "tip:" + hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()
    kind = "url" if url is not None else "text"
    existing = session.scalar(select(Document).where(Document.url_canonical == canon))
    run = CrawlRun(kind="tip")
    session.add(run)
    session.flush()
    if existing is not None:
        source_id = sync_sources(session, [TIPS_SOURCE])["tips"].id
        session.add(RunItem(run_id=run.id, source_id=source_id, url=url or canon, status="dup-url",
                            detail="tip of a document already stored", document_id=existing.id))
        finish_run(session, settings, run)
        tid = _triage_of(session, existing)
        result = TipResult("dup-url", True, existing.id, tid, url or canon, _message("dup-url", True, existing, tid))
        _audit(session, by, result, kind, via, note)
        return result
    tag = {"origin": "tip", "submitted_by": by, "submit_note": note}
    if url is not None:
        spec = TIPS_SOURCE.model_copy(update={"urls": [url], "url": url})
        rows = sync_sources(session, [spec])
        from crawlers.job import CrawlError, run_crawl

        try:
            records = run_crawl(settings, [spec], {}, [])
        except CrawlError:
            records = []
        for rec in records:
            if rec.get("type") == "page":
                rec.update(tag)
        if not any(r.get("type") == "page" for r in records):  # the crawl failed as a whole: still one status
            records.append(items.page("tips", url, error="crawl failed"))
    else:
        rows = sync_sources(session, [TIPS_SOURCE])
        entry = {"url": None, "guid": canon, "title": _short_title(text), "summary": html.escape(text),
                 "published": None, "author": None}
        records = [dict(items.page("tips", canon, entry=entry), **tag)]
    result_ingest = ingest(session, run, records, rows, settings)
    run.source_results = result_ingest.source_results
    process_into(session, settings, run, result_ingest.new_documents)
    finish_run(session, settings, run)
    doc = session.get(Document, result_ingest.new_documents[0]) if result_ingest.new_documents else None
    if doc is None:  # not stored: the run item says why (fetch-error, robots-disallowed, ...)
        status = session.scalar(select(RunItem.status).where(RunItem.run_id == run.id)) or "fetch-error"
    else:
        status = doc.status
    tid = _triage_of(session, doc)
    result = TipResult(status, False, doc.id if doc else None, tid, url or canon, _message(status, False, doc, tid))
    _audit(session, by, result, kind, via, note)
    return result
