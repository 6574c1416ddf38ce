"""The daily digest: collect, compose (pure, snapshot-tested), write, mail.

``collect_digest(session, settings, ...)`` reads what one recipient's digest
shows: the whole office's (open items new or updated in the window) or one
unit's (items whose route to that unit was confirmed and that the unit has not
resolved yet), plus source health (failing and silent sources).
``build_digest(data)`` renders subject, HTML and plain text with Jinja2 (HTML
autoescaped: scraped titles are untrusted); ``write_digest`` puts both under
``var/digests/``; :func:`send_digests` mails one digest per recipient, each
recorded so it is never sent twice (:func:`alerts.mail.send_once`).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import CrawlRun, Document, RunItem, Source, TriageItem, Unit

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
    "debunk": "Đưa vào bộ nhớ tin đã bác bỏ",
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
    run_id: int | None
    generated_at: str
    date_label: str
    status_counts: dict[str, int]
    triage_status_counts: dict[str, int]
    sources_failed: list[dict[str, Any]]
    items: list[DigestItem] = field(default_factory=list)
    topic_labels: dict[str, str] = field(default_factory=dict)
    open_items: int = 0
    file_date: str = ""
    sources_silent: list[dict[str, Any]] = field(default_factory=list)
    sources_paused: list[dict[str, Any]] = field(default_factory=list)
    audience: str = ""  # "" = the whole office; else the unit's name (items routed to it)
    window_label: str = ""

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


def source_health(session: Session, now: dt.datetime, silent_hours: float, tz: ZoneInfo) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(failing, silent) enabled sources: failing = the last attempt ended in an error;
    silent = no new document for ``silent_hours`` (each dict: name, error / last_item).
    Paused sources are left to :func:`paused_sources`."""
    failing, silent = [], []
    newest = dict(session.execute(select(Document.source_id, func.max(Document.created_at))
                                  .group_by(Document.source_id)).all())
    cutoff = now - dt.timedelta(hours=silent_hours)
    for src in session.scalars(select(Source).where(Source.enabled.is_(True), Source.paused_at.is_(None))
                               .order_by(Source.name)):
        if src.last_error_at and (src.last_success_at is None or src.last_error_at > src.last_success_at):
            failing.append({"source": src.key, "name": src.name, "error": (src.last_error or "lỗi không rõ")[:300]})
        last = newest.get(src.id)
        if (last or src.created_at) < cutoff:
            silent.append({"source": src.key, "name": src.name,
                           "last_item": last.astimezone(tz).strftime("%d/%m/%Y %H:%M") if last else "chưa có bài nào"})
    return failing, silent


def paused_sources(session: Session, tz: ZoneInfo) -> list[dict[str, Any]]:
    """Enabled paused sources (pipeline/sourcehealth.py), each: name, reason (last error, or who
    paused it), failures in a row, since and until (local "dd/mm/yyyy HH:MM"; until "" when only a
    person can resume it)."""
    out = []
    for src in session.scalars(select(Source).where(Source.enabled.is_(True), Source.paused_at.is_not(None))
                               .order_by(Source.name)):
        out.append({"source": src.key, "name": src.name, "reason": (src.pause_reason or "lỗi không rõ")[:300],
                    "failures": src.consecutive_failures or 0,
                    "since": src.paused_at.astimezone(tz).strftime("%d/%m/%Y %H:%M"),
                    "until": src.paused_until.astimezone(tz).strftime("%d/%m/%Y %H:%M") if src.paused_until else ""})
    return out


def _digest_item(session: Session, item: TriageItem, units: dict[int, str], sources: dict[int, str | None],
                 tz: ZoneInfo) -> DigestItem | None:
    docs = list(session.scalars(select(Document).where(Document.cluster_id == item.cluster_id,
                                                       Document.status == "ok").order_by(Document.id)))
    if not docs:
        return None
    lead = docs[0]
    flags = sorted({f.category: f for d in docs for f in d.flags}.values(), key=lambda f: -f.score)
    published = lead.published_at.astimezone(tz).strftime("%d/%m/%Y %H:%M") if lead.published_at else "—"
    return DigestItem(
        id=item.id, title=lead.title or lead.url_canonical, url=lead.entry_url or lead.fetch_url or lead.url_canonical,
        outlet=sources.get(lead.source_id) or urlsplit(lead.url_canonical).hostname or "", published=published,
        priority=item.priority, status=item.status, categories=list(item.categories),
        topics=sorted({t.topic for d in docs for t in d.topics}),
        places=sorted({p.place_name for d in docs for p in d.places})[:6],
        explanations=[_explain(f) for f in flags],
        suggested_unit=units.get(item.routed_unit_id or item.suggested_unit_id or -1, "—"), cluster_size=len(docs))


def collect_digest(session: Session, settings: Any, now: dt.datetime, since: dt.datetime,
                   unit: Unit | None = None, run: CrawlRun | None = None,
                   topic_labels: dict[str, str] | None = None) -> DigestData:
    """Gather one digest.

    ``unit=None``: the office's digest: open items (new/in_review) created or updated in
    [since, now]. ``unit``: that unit's digest: items routed to it (confirmed routes only)
    and not yet resolved. Item counts by status come from ``run`` when given, else from
    every run item recorded in [since, now]. ``now`` and ``since`` are aware datetimes.
    """
    tz = ZoneInfo(settings.timezone)
    local = now.astimezone(tz)
    units = {u.id: u.short_name or u.name for u in session.scalars(select(Unit))}
    sources = {s.id: s.outlet for s in session.scalars(select(Source))}
    triage_counts: Counter[str] = Counter(session.scalars(select(TriageItem.status)))
    open_states = ("new", "in_review")
    if unit is None:
        query = select(TriageItem).where(TriageItem.status.in_(open_states), TriageItem.updated_at >= since,
                                         TriageItem.created_at <= now)
    else:
        query = select(TriageItem).where(TriageItem.routed_unit_id == unit.id,
                                         TriageItem.status.in_(("routed", "acknowledged")))
    items = [d for item in session.scalars(query.order_by(TriageItem.priority.desc(), TriageItem.id))
             if (d := _digest_item(session, item, units, sources, tz)) is not None]
    if run is not None:
        status_counts = dict(run.status_counts or {})
    else:
        status_counts = dict(session.execute(select(RunItem.status, func.count())
                                             .where(RunItem.created_at >= since, RunItem.created_at <= now)
                                             .group_by(RunItem.status)).all())
    failing, silent = source_health(session, now, settings.source_silent_hours, tz)
    return DigestData(run_id=run.id if run is not None else None, generated_at=local.strftime("%d/%m/%Y %H:%M"),
                      date_label=local.strftime("%d/%m/%Y"), status_counts=status_counts,
                      triage_status_counts=dict(triage_counts), sources_failed=failing, sources_silent=silent,
                      sources_paused=paused_sources(session, tz),
                      items=items, topic_labels=topic_labels or {},
                      open_items=sum(n for st, n in triage_counts.items() if st in open_states),
                      file_date=local.strftime("%Y-%m-%d"),
                      audience=(unit.short_name or unit.name) if unit is not None else "",
                      window_label=f"{since.astimezone(tz):%d/%m/%Y %H:%M} – {local:%d/%m/%Y %H:%M}")


def _env() -> Environment:
    return Environment(loader=PackageLoader("alerts", "templates"), autoescape=select_autoescape(["html", "j2"]),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def build_digest(data: DigestData) -> tuple[str, str, str]:
    """Render (subject, html, text) for ``data``; pure."""
    ctx = {"d": data, "category_labels": CATEGORY_LABELS, "status_labels": STATUS_LABELS,
           "triage_labels": TRIAGE_LABELS, "total_items": sum(data.status_counts.values())}
    env = _env()
    who = f" — {data.audience}" if data.audience else ""
    subject = f"[mediawatch] Bản tin theo dõi báo chí ngày {data.date_label}{who} — {len(data.items)} mục cần xử lý"
    html = env.get_template("digest.html.j2").render(**ctx)
    env_text = Environment(loader=PackageLoader("alerts", "templates"), autoescape=False,
                           undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    text = env_text.get_template("digest.txt.j2").render(**ctx).rstrip("\n") + "\n"
    return subject, html, text


def write_digest(directory: Path, data: DigestData, subject: str, html: str, text: str) -> Path:
    """Write digest-<date>-run<id>.html and .txt; returns the HTML path."""
    directory.mkdir(parents=True, exist_ok=True)
    suffix = f"-run{data.run_id}" if data.run_id is not None else ""
    if data.audience:
        suffix += "-" + (re.sub(r"[^A-Za-z0-9]+", "-", unicodedata.normalize("NFKD", data.audience)
                                .encode("ascii", "ignore").decode()).strip("-").lower() or "unit")
    stem = f"digest-{data.file_date or data.date_label.replace('/', '-')}{suffix}"
    html_path = directory / f"{stem}.html"
    html_path.write_text(html, encoding="utf-8")
    (directory / f"{stem}.txt").write_text(f"{subject}\n\n{text}", encoding="utf-8")
    return html_path


def topic_labels(settings: Any) -> dict[str, str]:
    """Topic key -> Vietnamese label from config/topics.yaml (empty when absent)."""
    import yaml

    path = Path(settings.config_dir) / "topics.yaml"
    if not path.exists():
        return {}
    cfg = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {k: v.get("label", k) for k, v in cfg.get("topics", {}).items()}


def send_digests(session: Session, settings: Any, now: dt.datetime, since: dt.datetime,
                 run: CrawlRun | None = None) -> dict[str, Any]:
    """Write and mail the day's digests: the office's to ``settings.digest_to`` and each unit's
    (items routed to it) to the unit's ``email`` from routing.yaml when it has open items.

    One mail per recipient, recorded under (digest, local date, recipient): a second call on
    the same day sends nothing. Without SMTP the mails go to ``var/outbox/``.
    Returns {"paths": [written HTML files], "sent": n, "skipped": n, "failed": n}.
    """
    from alerts.mail import compose, send_once

    labels = topic_labels(settings)
    key = now.astimezone(ZoneInfo(settings.timezone)).strftime("%Y-%m-%d")
    audiences: list[tuple[Unit | None, list[str]]] = [(None, list(settings.digest_to))]
    audiences += [(u, [u.email]) for u in session.scalars(select(Unit).where(Unit.email.is_not(None)).order_by(Unit.id))]
    result: dict[str, Any] = {"paths": [], "sent": 0, "skipped": 0, "failed": 0}
    for unit, recipients in audiences:
        data = collect_digest(session, settings, now, since, unit=unit, run=run, topic_labels=labels)
        if unit is not None and not data.items:
            continue
        subject, html, text = build_digest(data)
        result["paths"].append(str(write_digest(settings.digest_dir, data, subject, html, text)))
        for rcpt in recipients:
            row = send_once(session, settings, "digest", key if unit is None else f"{key}/{unit.code}", rcpt,
                            lambda s=subject, h=html, t=text, r=rcpt: compose(settings, s, [r], t, h, now=now))
            if row is None:
                result["skipped"] += 1
            elif row.state == "failed":
                result["failed"] += 1
            else:
                result["sent"] += 1
    return result
