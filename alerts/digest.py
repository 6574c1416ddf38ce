"""The daily digest: compose (pure, snapshot-tested), write, send.

``collect_digest(session, run, settings)`` reads what the digest shows;
``build_digest(data)`` renders HTML and plain text with Jinja2 (HTML
autoescaped: scraped titles are untrusted); ``write_digest`` puts both under
``var/digests/``; sending is :mod:`alerts.mailer`'s job.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import CrawlRun, Document, Source, TriageItem, Unit

CATEGORY_LABELS = {
    "misinformation": "Thông tin sai sự thật (nghi vấn hoặc đã bị bác bỏ)",
    "scam_fraud": "Lừa đảo",
    "threat_violence": "Đe dọa, bạo lực",
    "hate_abuse": "Xúc phạm, thù ghét",
    "public_concern": "Phản ánh, kiến nghị của người dân",
}
STATUS_LABELS = {
    "ok": "Đã xử lý", "dup-url": "Trùng URL", "dup-text": "Trùng nội dung", "off-area": "Ngoài địa bàn",
    "not-vi": "Không phải tiếng Việt", "fetch-error": "Lỗi tải trang", "parse-error": "Lỗi trích xuất",
    "robots-disallowed": "Bị robots.txt chặn", "quarantined": "Cách ly (lỗi xử lý)",
}
TRIAGE_LABELS = {"new": "Mới", "in_review": "Đang xem xét", "routed": "Đã chuyển", "acknowledged": "Đã tiếp nhận",
                 "resolved": "Đã giải quyết", "dismissed": "Đã bỏ qua"}


@dataclass
class DigestItem:
    id: int
    title: str
    url: str
    outlet: str
    published: str
    priority: int
    status: str
    categories: list[str]
    topics: list[str]
    places: list[str]
    explanations: list[str]
    suggested_unit: str
    cluster_size: int


@dataclass
class DigestData:
    run_id: int
    generated_at: str
    date_label: str
    status_counts: dict[str, int]
    triage_status_counts: dict[str, int]
    sources_failed: list[dict[str, Any]]
    items: list[DigestItem] = field(default_factory=list)
    topic_labels: dict[str, str] = field(default_factory=dict)
    open_items: int = 0
    file_date: str = ""

    def by_category(self) -> list[tuple[str, str, list[DigestItem]]]:
        out = []
        for cat, label in CATEGORY_LABELS.items():
            items = [i for i in self.items if i.categories and i.categories[0] == cat]
            if items:
                out.append((cat, label, sorted(items, key=lambda i: -i.priority)))
        return out

    def by_topic(self) -> list[tuple[str, int]]:
        counts: Counter[str] = Counter(t for i in self.items for t in i.topics)
        return [(self.topic_labels.get(t, t), n) for t, n in counts.most_common()]


def vn_number(value: float, digits: int = 2) -> str:
    """Vietnamese decimal comma: 0.97 -> '0,97'."""
    return f"{value:.{digits}f}".replace(".", ",")


def _explain(flag: Any) -> str:
    exp = flag.explanation or {}
    parts = []
    terms = [t["term"] for t in exp.get("matched_terms", [])][:5]
    if terms:
        parts.append("từ khóa: " + ", ".join(terms))
    if exp.get("debunk"):
        d = exp["debunk"]
        verb = "khớp tin đã bị bác bỏ" if d.get("link") == "auto" else "gần giống tin đã bị bác bỏ"
        parts.append(f"{verb} “{d['claim']}” (độ tương đồng {vn_number(d['similarity'])})")
    label = CATEGORY_LABELS.get(flag.category, flag.category).split(" (")[0]
    return f"{label} {vn_number(flag.score)} — " + "; ".join(parts)


def collect_digest(session: Session, run: CrawlRun, settings: Any, topic_labels: dict[str, str] | None = None,
                   since: dt.datetime | None = None) -> DigestData:
    """Gather the run's counts and the open triage items (new/in_review) created or
    updated since ``since`` (default: the run's start) for the digest."""
    tz = ZoneInfo(settings.timezone)
    now = dt.datetime.now(tz)
    since = since or run.started_at
    units = {u.id: u.short_name or u.name for u in session.scalars(select(Unit))}
    sources = {s.id: s.outlet for s in session.scalars(select(Source))}
    triage_counts: Counter[str] = Counter(session.scalars(select(TriageItem.status)))
    open_states = ("new", "in_review")
    items = []
    for item in session.scalars(select(TriageItem).where(TriageItem.status.in_(open_states),
                                                         TriageItem.updated_at >= since)
                                .order_by(TriageItem.priority.desc(), TriageItem.id)):
        docs = list(session.scalars(select(Document).where(Document.cluster_id == item.cluster_id,
                                                           Document.status == "ok").order_by(Document.id)))
        if not docs:
            continue
        lead = docs[0]
        flags = sorted({f.category: f for d in docs for f in d.flags}.values(), key=lambda f: -f.score)
        published = lead.published_at.astimezone(tz).strftime("%d/%m/%Y %H:%M") if lead.published_at else "—"
        items.append(DigestItem(
            id=item.id, title=lead.title or lead.url_canonical, url=lead.entry_url or lead.fetch_url or lead.url_canonical,
            outlet=sources.get(lead.source_id) or urlsplit(lead.url_canonical).hostname or "", published=published, priority=item.priority, status=item.status,
            categories=list(item.categories), topics=sorted({t.topic for d in docs for t in d.topics}),
            places=sorted({p.place_name for d in docs for p in d.places})[:6],
            explanations=[_explain(f) for f in flags], suggested_unit=units.get(item.suggested_unit_id, "—"),
            cluster_size=len(docs)))
    return DigestData(run_id=run.id, generated_at=now.strftime("%d/%m/%Y %H:%M"),
                      date_label=now.strftime("%d/%m/%Y"), status_counts=dict(run.status_counts or {}),
                      triage_status_counts=dict(triage_counts), sources_failed=list(run.sources_failed or []),
                      items=items, topic_labels=topic_labels or {},
                      open_items=sum(n for st, n in triage_counts.items() if st in open_states),
                      file_date=now.strftime("%Y-%m-%d"))


def _env() -> Environment:
    return Environment(loader=PackageLoader("alerts", "templates"), autoescape=select_autoescape(["html", "j2"]),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def build_digest(data: DigestData) -> tuple[str, str, str]:
    """Render (subject, html, text) for ``data``; pure."""
    ctx = {"d": data, "category_labels": CATEGORY_LABELS, "status_labels": STATUS_LABELS,
           "triage_labels": TRIAGE_LABELS, "total_items": sum(data.status_counts.values())}
    env = _env()
    subject = f"[mediawatch] Bản tin theo dõi báo chí ngày {data.date_label} — {len(data.items)} mục cần xử lý"
    html = env.get_template("digest.html.j2").render(**ctx)
    env_text = Environment(loader=PackageLoader("alerts", "templates"), autoescape=False,
                           undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    text = env_text.get_template("digest.txt.j2").render(**ctx).rstrip("\n") + "\n"
    return subject, html, text


def write_digest(directory: Path, data: DigestData, subject: str, html: str, text: str) -> Path:
    """Write digest-<date>-run<id>.html and .txt; returns the HTML path."""
    directory.mkdir(parents=True, exist_ok=True)
    stem = f"digest-{data.file_date or data.date_label.replace('/', '-')}-run{data.run_id}"
    html_path = directory / f"{stem}.html"
    html_path.write_text(html, encoding="utf-8")
    (directory / f"{stem}.txt").write_text(f"{subject}\n\n{text}", encoding="utf-8")
    return html_path
