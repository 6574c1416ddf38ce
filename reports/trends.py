"""The weekly trend summary: volumes against previous weeks, spikes, top clusters, emerging phrases, charts.

:func:`collect_weekly` reads the ``ok`` documents of the 7 days before ``end``
and of the 4 weeks before that (time = publication time, else first-seen time)
and computes, with :mod:`reports.trendstats` (methods in docs/trends.md):

* volume by topic, place and source this week against the mean of the 4 previous weeks;
* daily spikes: each day of the week against its previous ``spike_baseline_days`` days
  (per topic, place and source); fast spikes: the last hour against the previous 12 (per topic);
* the week's top clusters (most documents, then most outlets);
* emerging phrases: word-segmented (underthesea) phrases over-represented this week
  against the 4 previous weeks (log-odds with an informative Dirichlet prior).

:func:`render_weekly` renders it (HTML autoescaped, plain text) with the charts of
:mod:`reports.charts`, referenced either as ``cid:`` parts (mail) or data URIs (page).
:func:`send_weekly_summary` writes the page under ``var/reports/`` and mails it once
per ISO week and recipient.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reports.charts import bar_chart, png_data_uri, volume_chart
from reports.trendstats import Phrase, Spike, detect_fast_spikes, detect_spikes, emerging_phrases
from storage.models import Document, PlaceMention, Source, TopicTag

TEMPLATES = Path(__file__).resolve().parent / "templates"
PREVIOUS_WEEKS = 4
MAX_PHRASE_DOCS = 1500
PHRASE_DOC_CHARS = 2000


@dataclass
class Volume:
    label: str
    current: int
    previous_mean: float

    @property
    def change(self) -> str:
        if self.previous_mean == 0:
            return "mới" if self.current else "—"
        pct = round(100 * (self.current - self.previous_mean) / self.previous_mean)
        return f"{pct:+d}%"


@dataclass
class WeeklySummary:
    start: dt.datetime
    end: dt.datetime
    timezone: str
    total: int
    previous_mean: float
    by_topic: list[Volume]
    by_place: list[Volume]
    by_source: list[Volume]
    spikes: list[tuple[str, str, Spike]]  # (day label, dimension label, spike)
    fast_spikes: list[Spike]
    top_clusters: list[dict[str, Any]]
    phrases: list[Phrase]
    charts: dict[str, bytes] = field(default_factory=dict)

    @property
    def week_key(self) -> str:
        year, week, _ = (self.end - dt.timedelta(seconds=1)).astimezone(ZoneInfo(self.timezone)).isocalendar()
        return f"{year}-W{week:02d}"

    @property
    def period_label(self) -> str:
        tz = ZoneInfo(self.timezone)
        return f"{self.start.astimezone(tz):%d/%m/%Y} – {(self.end - dt.timedelta(seconds=1)).astimezone(tz):%d/%m/%Y}"


def _volumes(current: Counter[str], previous: list[Counter[str]], labels: dict[str, str], top: int) -> list[Volume]:
    keys = sorted(set(current) | {k for c in previous for k in c},
                  key=lambda k: (-current.get(k, 0), -sum(c.get(k, 0) for c in previous), k))[:top]
    return [Volume(labels.get(k, k), current.get(k, 0), round(sum(c.get(k, 0) for c in previous) / len(previous), 1))
            for k in keys]


def collect_weekly(session: Session, settings: Any, end: dt.datetime, topic_labels: dict[str, str] | None = None,
                   with_phrases: bool = True) -> WeeklySummary:
    """Compute the summary of the 7 days before ``end`` (aware). See the module docstring."""
    tz = ZoneInfo(settings.timezone)
    labels = topic_labels or {}
    end_local = end.astimezone(tz)
    start = end - dt.timedelta(days=7)
    history_days = max(7 * (PREVIOUS_WEEKS + 1), 7 + settings.spike_baseline_days)
    since = end - dt.timedelta(days=history_days)
    ts = func.coalesce(Document.published_at, Document.created_at)
    rows = session.execute(select(Document.id, ts, Document.source_id, Document.cluster_id)
                           .where(Document.status == "ok", ts >= since, ts < end)).all()
    when = {r[0]: r[1] for r in rows}
    ids = list(when)
    topics: dict[int, set[str]] = defaultdict(set)
    places: dict[int, set[str]] = defaultdict(set)
    for start_i in range(0, len(ids), 900):
        chunk = ids[start_i:start_i + 900]
        for doc_id, topic in session.execute(select(TopicTag.document_id, TopicTag.topic).where(TopicTag.document_id.in_(chunk))):
            topics[doc_id].add(topic)
        for doc_id, place in session.execute(select(PlaceMention.document_id, PlaceMention.place_name)
                                             .where(PlaceMention.document_id.in_(chunk), PlaceMention.ambiguous.is_(False))):
            places[doc_id].add(place)
    source_names = {s.id: s.outlet or s.name for s in session.scalars(select(Source))}

    def week_of(t: dt.datetime) -> int:  # 0 = this week, 1 = the week before, ...
        return int((end - t).total_seconds() // (7 * 86400))

    def day_of(t: dt.datetime) -> int:  # 0 = the last day before end
        return int((end - t).total_seconds() // 86400)

    weekly: dict[str, list[Counter[str]]] = {d: [Counter() for _ in range(PREVIOUS_WEEKS + 1)]
                                             for d in ("topic", "place", "source", "all")}
    daily: dict[str, dict[str, list[int]]] = {d: defaultdict(lambda: [0] * history_days) for d in ("topic", "place", "source", "all")}
    hourly: dict[str, list[int]] = defaultdict(lambda: [0] * 13)
    cluster_docs: dict[int, list[int]] = defaultdict(list)
    for doc_id, t, source_id, cluster_id in rows:
        keys = {"topic": topics.get(doc_id, set()), "place": places.get(doc_id, set()),
                "source": {source_names.get(source_id, "—")}, "all": {"Tất cả"}}
        w, d = week_of(t), day_of(t)
        for dim, values in keys.items():
            for v in values:
                if w <= PREVIOUS_WEEKS:
                    weekly[dim][w][v] += 1
                daily[dim][v][history_days - 1 - d] += 1
        hours = int((end - t).total_seconds() // 3600)
        if hours < 13:
            for v in keys["topic"] | {"Tất cả"}:
                hourly[v][12 - hours] += 1
        if w == 0 and cluster_id is not None:
            cluster_docs[cluster_id].append(doc_id)

    def vols(dim: str, top: int) -> list[Volume]:
        return _volumes(weekly[dim][0], weekly[dim][1:], labels if dim == "topic" else {}, top)

    spikes: list[tuple[str, str, Spike]] = []
    dim_labels = {"topic": "Chủ đề", "place": "Địa danh", "source": "Nguồn", "all": "Tổng"}
    base = settings.spike_baseline_days
    for day in range(7):
        cut = history_days - day  # series up to and including that day
        day_label = (end_local - dt.timedelta(days=day + 1)).strftime("%d/%m")
        for dim in ("all", "topic", "place", "source"):
            window = {k: v[cut - base - 1:cut] for k, v in daily[dim].items()}
            for s in detect_spikes(window, baseline_days=base, threshold=settings.spike_threshold,
                                   min_count=settings.spike_min_count):
                s_label = labels.get(s.key, s.key) if dim == "topic" else s.key
                spikes.append((day_label, f"{dim_labels[dim]}: {s_label}", s))
    fast = [Spike(labels.get(s.key, s.key), s.count, s.baseline_mean, s.score, s.ratio)
            for s in detect_fast_spikes(dict(hourly), threshold=settings.spike_threshold, min_count=settings.spike_min_count)]

    top_clusters = []
    for doc_ids in sorted(cluster_docs.values(), key=len, reverse=True)[:10]:
        docs = session.execute(select(Document.title, Document.url_canonical, Document.entry_url, Document.source_id)
                               .where(Document.id.in_(doc_ids)).order_by(Document.id)).all()
        lead = docs[0]
        top_clusters.append({"title": lead.title or lead.url_canonical, "url": lead.entry_url or lead.url_canonical,
                             "documents": len(docs), "outlets": len({d.source_id for d in docs}),
                             "topics": sorted({labels.get(t, t) for i in doc_ids for t in topics.get(i, ())})})

    phrases: list[Phrase] = []
    if with_phrases and ids:
        current_ids = sorted((i for i in ids if week_of(when[i]) == 0), key=lambda i: when[i], reverse=True)[:MAX_PHRASE_DOCS]
        background_ids = sorted((i for i in ids if 1 <= week_of(when[i]) <= PREVIOUS_WEEKS),
                                key=lambda i: when[i], reverse=True)[:MAX_PHRASE_DOCS]
        phrases = emerging_phrases(_texts(session, current_ids), _texts(session, background_ids), top=20,
                                   min_count=settings.spike_min_count)

    previous_totals = [sum(c.values()) for c in weekly["all"][1:]]
    summary = WeeklySummary(
        start=start, end=end, timezone=settings.timezone, total=weekly["all"][0].get("Tất cả", 0),
        previous_mean=round(sum(previous_totals) / len(previous_totals), 1),
        by_topic=vols("topic", 13), by_place=vols("place", 10), by_source=vols("source", 10),
        spikes=sorted(spikes, key=lambda x: -x[2].score)[:30], fast_spikes=fast, top_clusters=top_clusters,
        phrases=phrases)
    days = [(end_local - dt.timedelta(days=history_days - i)).date() for i in range(history_days)]
    series = {"Tất cả": daily["all"]["Tất cả"]}
    for v in summary.by_topic[:5]:
        key = next((k for k, lab in labels.items() if lab == v.label), v.label)
        series[v.label] = daily["topic"].get(key, [0] * history_days)
    summary.charts = {
        "volume": volume_chart(days, series, "Số bài theo ngày (5 tuần)"),
        "topics": bar_chart([v.label for v in summary.by_topic], [v.current for v in summary.by_topic],
                            [v.previous_mean for v in summary.by_topic], "Số bài theo chủ đề"),
        "places": bar_chart([v.label for v in summary.by_place], [v.current for v in summary.by_place],
                            [v.previous_mean for v in summary.by_place], "Số bài theo địa danh"),
        "sources": bar_chart([v.label for v in summary.by_source], [v.current for v in summary.by_source],
                             [v.previous_mean for v in summary.by_source], "Số bài theo nguồn"),
    }
    return summary


def _texts(session: Session, ids: list[int]) -> list[str]:
    out = []
    for start in range(0, len(ids), 500):
        for title, text in session.execute(select(Document.title, Document.text).where(Document.id.in_(ids[start:start + 500]))):
            out.append(f"{title or ''}. {(text or '')[:PHRASE_DOC_CHARS]}")
    return out


def render_weekly(summary: WeeklySummary, inline: bool) -> tuple[str, str, str, dict[str, bytes]]:
    """(subject, html, text, images). ``inline=True``: charts as data URIs (web page, no images
    returned); else ``cid:`` references and the images keyed by Content-ID (mail)."""
    if inline:
        sources = {k: png_data_uri(v) for k, v in summary.charts.items()}
        images: dict[str, bytes] = {}
    else:
        images = {f"{k}@mediawatch": v for k, v in summary.charts.items()}
        sources = {k: f"cid:{k}@mediawatch" for k in summary.charts}
    ctx = {"s": summary, "img": sources, "vn": lambda x: f"{x:.1f}".replace(".", ",")}
    html_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]),
                           undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    text_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=False, undefined=StrictUndefined,
                           trim_blocks=True, lstrip_blocks=True)
    subject = f"[mediawatch] Tổng hợp xu hướng tuần {summary.week_key} ({summary.period_label})"
    return (subject, html_env.get_template("weekly.html.j2").render(**ctx),
            text_env.get_template("weekly.txt.j2").render(**ctx).rstrip("\n") + "\n", images)


def write_weekly(summary: WeeklySummary, directory: Path) -> Path:
    """Write xu-huong-<week>.html (charts inline) and the charts as PNG files; returns the page path."""
    directory.mkdir(parents=True, exist_ok=True)
    _, html, _, _ = render_weekly(summary, inline=True)
    path = directory / f"xu-huong-{summary.week_key}.html"
    path.write_text(html, encoding="utf-8")
    for name, png in summary.charts.items():
        (directory / f"xu-huong-{summary.week_key}-{name}.png").write_bytes(png)
    return path


def send_weekly_summary(session: Session, settings: Any, now: dt.datetime) -> dict[str, Any]:
    """Collect the week before ``now``, write the page and mail it to ``settings.digest_to`` once per
    ISO week and recipient. Returns {"path", "week", "sent", "skipped"}."""
    from alerts.digest import topic_labels
    from alerts.mail import compose, send_once

    summary = collect_weekly(session, settings, now, topic_labels(settings))
    path = write_weekly(summary, settings.reports_dir)
    subject, html, text, images = render_weekly(summary, inline=False)
    sent = skipped = 0
    for rcpt in settings.digest_to:
        row = send_once(session, settings, "weekly", summary.week_key, rcpt,
                        lambda r=rcpt: compose(settings, subject, [r], text, html, images=images, now=now))
        sent += row is not None
        skipped += row is None
    return {"path": str(path), "week": summary.week_key, "sent": sent, "skipped": skipped}
