"""What the office receives: per-unit digests, watchlist alerts, weekly summary, activity report,
exports, retention and the triage workflow, on the demo corpus."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook
from sqlalchemy import func, select

from alerts.digest import send_digests
from alerts.watchlists import match_watchlists, preview, send_watchlist_alerts, validate_watchlist
from alerts.watchquery import QueryError
from mediawatch.cycle import run_demo
from mediawatch.settings import REPO_ROOT
from mediawatch.workflow import WorkflowError, transition
from reports.activity import collect_activity, write_activity
from reports.exports import export, safe_cell
from reports.trends import collect_weekly, render_weekly, send_weekly_summary
from storage.models import (
    AuditEvent,
    Document,
    Flag,
    MinhashBand,
    Source,
    TriageItem,
    Watchlist,
    WatchlistMatch,
)
from storage.retention import apply_retention

POLICE = "lienlac@congan.example.vn"
OFFICE_UNIT = "baochi@sotttt.example.vn"


@pytest.fixture
def office(mail_settings, tmp_path):  # type: ignore[no-untyped-def]
    """Settings whose routing.yaml gives both units a liaison address, after one demo cycle."""
    config = tmp_path / "config"
    shutil.copytree(REPO_ROOT / "config", config)
    routing = yaml.safe_load((config / "routing.yaml").read_text(encoding="utf-8"))
    for unit in routing["units"]:
        unit["email"] = POLICE if unit["is_police"] else OFFICE_UNIT
    (config / "routing.yaml").write_text(yaml.safe_dump(routing, allow_unicode=True), encoding="utf-8")
    settings = mail_settings.model_copy(update={"config_dir": config})
    run_demo(settings)
    return settings


def _item(session, category: str) -> TriageItem:  # type: ignore[no-untyped-def]
    return session.scalar(select(TriageItem).where(TriageItem.top_category == category))


def test_police_route_only_for_scam_and_threat_with_reason(office, session_factory) -> None:
    with session_factory() as s:
        concern, scam = _item(s, "public_concern"), _item(s, "scam_fraud")
        with pytest.raises(WorkflowError, match="police route is only"):
            transition(s, concern, "routed", "chuyenvien1", unit_code="cong-an", reason="có lý do")
        with pytest.raises(WorkflowError, match="written reason"):
            transition(s, scam, "routed", "chuyenvien1", unit_code="cong-an")
        with pytest.raises(WorkflowError, match="a person"):
            transition(s, scam, "routed", "system", unit_code="cong-an", reason="x")
        transition(s, scam, "routed", "chuyenvien1", unit_code="cong-an", reason="Giả danh công an yêu cầu chuyển tiền")
        assert scam.routed_at and scam.route_confirmed_by == "chuyenvien1"
        with pytest.raises(WorkflowError, match="cannot go"):
            transition(s, scam, "resolved", "lienlac")
        ev = s.scalar(select(AuditEvent).where(AuditEvent.action == "triage.routed"))
        assert ev.actor == "chuyenvien1" and ev.before["status"] == "new" and ev.after["status"] == "routed"
        s.commit()


def test_each_unit_gets_its_own_digest_once(office, session_factory, smtp_server) -> None:
    _, _, sink = smtp_server
    now = dt.datetime.now(dt.UTC)
    with session_factory() as s:
        transition(s, _item(s, "scam_fraud"), "routed", "cv1", unit_code="cong-an", reason="Lừa đảo chuyển tiền")
        transition(s, _item(s, "public_concern"), "routed", "cv1", unit_code="so-tttt")
        s.commit()
        scam_title = s.scalar(select(Document.title).join(TriageItem, TriageItem.cluster_id == Document.cluster_id)
                              .where(TriageItem.top_category == "scam_fraud", Document.status == "ok").order_by(Document.id))
        concern_title = s.scalar(select(Document.title).join(TriageItem, TriageItem.cluster_id == Document.cluster_id)
                                 .where(TriageItem.top_category == "public_concern", Document.status == "ok")
                                 .order_by(Document.id))
        result = send_digests(s, office, now, now - dt.timedelta(hours=24))
        assert result["sent"] == 3 and result["failed"] == 0
        assert send_digests(s, office, now, now - dt.timedelta(hours=24))["sent"] == 0  # same day: never twice
    by_rcpt = {rcpts[0]: BytesParser(policy=policy.default).parsebytes(raw) for _, rcpts, raw in sink.messages}
    assert set(by_rcpt) == {"phongbaochi@sotttt.example.vn", POLICE, OFFICE_UNIT}
    police_text = by_rcpt[POLICE].get_body(("plain",)).get_content()
    assert scam_title in police_text and concern_title not in police_text
    assert "Công an tỉnh" in by_rcpt[POLICE]["Subject"]
    unit_text = by_rcpt[OFFICE_UNIT].get_body(("plain",)).get_content()
    assert concern_title in unit_text and scam_title not in unit_text
    office_html = by_rcpt["phongbaochi@sotttt.example.vn"].get_body(("html",)).get_content()
    assert "Bản tin theo dõi báo chí" in office_html
    for msg in by_rcpt.values():
        assert msg.get_content_type() == "multipart/alternative"


def test_digest_lists_failing_and_silent_sources(office, session_factory, smtp_server) -> None:
    _, _, sink = smtp_server
    now = dt.datetime.now(dt.UTC)
    with session_factory() as s:
        src = s.scalar(select(Source).order_by(Source.id))
        src.last_error_at, src.last_error = now, "HTTP 503 <script>x</script>"
        s.commit()
        send_digests(s, office, now + dt.timedelta(days=3), now - dt.timedelta(hours=24))
    msg = [BytesParser(policy=policy.default).parsebytes(raw) for _, r, raw in sink.messages
           if r == ["phongbaochi@sotttt.example.vn"]][0]
    html = msg.get_body(("html",)).get_content()
    assert "Nguồn bị lỗi" in html and "&lt;script&gt;" in html and "<script>x" not in html
    assert "Nguồn không có bài mới" in html  # three days later every demo source is silent


def test_watchlist_alert_grouped_per_cluster_and_throttled(office, session_factory, smtp_server) -> None:
    _, _, sink = smtp_server
    now = dt.datetime.now(dt.UTC)
    with session_factory() as s:
        validate_watchlist("Cảng", '"cai mep" OR "Phú Mỹ"', ["cang@sotttt.example.vn"])
        with pytest.raises(QueryError) as err:
            validate_watchlist("Sai", '("cái mép"', [])
        assert "ngoặc" in err.value.message_vi
        count, _ = preview(s, '"cai mep"', now)
        assert count >= 1
        wl = Watchlist(name="Cảng", query='"cai mep" OR "Phú Mỹ"', owner="cv1", recipients=["cang@sotttt.example.vn"],
                       throttle_minutes=60)
        s.add(wl)
        s.commit()
        ids = list(s.scalars(select(Document.id).where(Document.status == "ok")))
        n = match_watchlists(s, ids)
        assert n >= 1 and match_watchlists(s, ids) == 0  # idempotent
        s.commit()
        clusters = {m.cluster_id for m in s.scalars(select(WatchlistMatch))}
        first = send_watchlist_alerts(s, office, now)
        assert first["watchlists"] == 1 and first["stories"] == len(clusters)
        # a new match within the throttle window is held, then mailed once the window has passed
        other = s.scalar(select(Document).where(Document.status == "ok", Document.id.not_in(
            select(WatchlistMatch.document_id))))
        s.add(WatchlistMatch(watchlist_id=wl.id, document_id=other.id, cluster_id=other.cluster_id, terms=["cai mep"]))
        s.commit()
        assert send_watchlist_alerts(s, office, now + dt.timedelta(minutes=10))["held"] == 1
        assert send_watchlist_alerts(s, office, now + dt.timedelta(minutes=61))["stories"] == 1
    assert len(sink.messages) == 2
    text = sink.parsed()[0].get_body(("plain",)).get_content()
    assert "Cảng" in sink.parsed()[0]["Subject"] and "khớp:" in text


def test_processing_matches_watchlists_automatically(settings, session_factory) -> None:
    with session_factory() as s:
        s.add(Watchlist(name="Lừa đảo", query='"lừa đảo" OR "giả danh"', owner="cv1", recipients=["a@example.vn"]))
        s.commit()
    run_demo(settings)
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(WatchlistMatch)) >= 1
        assert send_watchlist_alerts(s, settings, dt.datetime.now(dt.UTC))["watchlists"] == 1
    assert list(settings.outbox_dir.glob("*.eml")), "no SMTP configured: the alert is in var/outbox/"


def test_weekly_summary_renders_with_charts(office, session_factory, smtp_server) -> None:
    _, _, sink = smtp_server
    now = dt.datetime.now(dt.UTC)
    with session_factory() as s:
        summary = collect_weekly(s, office, now)
        assert summary.total >= 10 and summary.top_clusters and summary.by_topic
        assert set(summary.charts) == {"volume", "topics", "places", "sources"}
        _, html, text, _ = render_weekly(summary, inline=True)
        assert html.count("data:image/png;base64,") == 4 and "<script" not in html
        result = send_weekly_summary(s, office, now)
        assert result["sent"] == 1 and Path(result["path"]).exists()
        assert send_weekly_summary(s, office, now)["sent"] == 0
    msg = sink.parsed()[0]
    images = [p for p in msg.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 4 and all(p.get_content().startswith(b"\x89PNG") for p in images)
    assert "cid:volume@mediawatch" in msg.get_body(("html",)).get_content()
    assert "Tổng hợp xu hướng tuần" in msg["Subject"]


def test_activity_report_totals_match_the_database(office, session_factory, tmp_path) -> None:
    now = dt.datetime.now(dt.UTC)
    with session_factory() as s:
        scam = _item(s, "scam_fraud")
        transition(s, scam, "routed", "cv1", unit_code="cong-an", reason="Giả danh", now=now)
        transition(s, scam, "acknowledged", "lienlac", now=now + dt.timedelta(hours=2))
        transition(s, scam, "resolved", "lienlac", now=now + dt.timedelta(hours=5))
        transition(s, _item(s, "hate_abuse"), "dismissed", "cv1", reason="Không thuộc địa bàn")
        s.commit()
        start, end = now - dt.timedelta(days=1), now + dt.timedelta(days=1)
        report = collect_activity(s, office, start, end, now)
        paths = write_activity(report, tmp_path / "reports")
        db_docs = s.scalar(select(func.count()).select_from(Document))
        db_items = s.scalar(select(func.count()).select_from(TriageItem))
        db_flagged = s.scalar(select(func.count(func.distinct(Flag.document_id))).join(Document)
                              .where(Document.status == "ok"))
        db_ok = s.scalar(select(func.count()).select_from(Document).where(Document.status == "ok"))
    wb = load_workbook(paths["xlsx"])
    summary = {row[0]: row[1] for row in wb["Tổng hợp"].iter_rows(values_only=True) if row[0]}
    assert summary["Số bài viết, bài đăng đã thu thập"] == db_docs
    assert summary["  trong đó đã phân tích (thuộc địa bàn, tiếng Việt)"] == db_ok
    assert summary["Số mục đưa vào hàng đợi xử lý"] == db_items
    assert summary["Số mục đã chuyển đơn vị"] == 1 and summary["Số mục đã giải quyết"] == 1
    assert summary["Số mục bỏ qua (có lý do)"] == 1
    cats = list(wb["Nhóm cờ"].iter_rows(values_only=True))
    assert cats[-1][0] == "Tổng" and cats[-1][2] == db_items
    assert sum(r[1] for r in cats[1:-1]) >= db_flagged
    units = {r[0]: r for r in wb["Đơn vị"].iter_rows(values_only=True)}
    assert units["Công an tỉnh"][1:4] == (1, 1, 1) and units["Công an tỉnh"][4] == 2.0 and units["Công an tỉnh"][6] >= 5
    assert wb["Chi tiết mục"].max_row == db_items + 1
    assert paths["pdf"].read_bytes().startswith(b"%PDF")
    assert "Báo cáo hoạt động theo dõi thông tin" in paths["html"].read_text(encoding="utf-8")


def test_exports_stream_every_row_are_audited_and_defuse_formulas(office, session_factory, tmp_path) -> None:
    with session_factory() as s:
        doc = s.scalar(select(Document).where(Document.status == "ok").order_by(Document.id))
        doc.title = '=HYPERLINK("http://evil.example","bấm vào")'
        s.commit()
        n_csv = export(s, office, "documents", tmp_path / "d.csv", "csv", "cv1", {})
        n_xlsx = export(s, office, "queue", tmp_path / "q.xlsx", "xlsx", "cv1", {"status": "new"})
        n_search = export(s, office, "documents", tmp_path / "s.csv", "csv", "cv2", {"query": '"cai mep"'})
        s.commit()
        assert 1 <= n_search < n_csv
        assert n_csv == s.scalar(select(func.count()).select_from(Document).where(Document.status == "ok"))
        assert n_xlsx == s.scalar(select(func.count()).select_from(TriageItem).where(TriageItem.status == "new"))
        events = list(s.scalars(select(AuditEvent).where(AuditEvent.action == "export")))
        assert [(e.actor, e.after["rows"]) for e in events] == [("cv1", n_csv), ("cv1", n_xlsx), ("cv2", n_search)]
        assert events[2].after["filters"] == {"query": '"cai mep"'}
    with (tmp_path / "d.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert len(rows) == n_csv + 1
    assert any(r[2].startswith("'=HYPERLINK") for r in rows[1:])
    wb = load_workbook(tmp_path / "q.xlsx", read_only=True)
    assert len(list(wb["Hàng đợi"].iter_rows(values_only=True))) == n_xlsx + 1
    wb.close()
    assert safe_cell("-1+2") == "'-1+2" and safe_cell(5) == 5 and safe_cell("Bà Rịa") == "Bà Rịa"


def test_retention_keeps_triaged_evidence(office, session_factory) -> None:
    now = dt.datetime.now(dt.UTC)
    with session_factory() as s:
        closed = transition(s, _item(s, "hate_abuse"), "dismissed", "cv1", reason="Trùng lặp", now=now)
        s.commit()
        triaged = set(s.scalars(select(Document.id).join(TriageItem, TriageItem.cluster_id == Document.cluster_id)
                                .where(TriageItem.id != closed.id)))
        total = s.scalar(select(func.count()).select_from(Document))
        assert s.scalar(select(func.count()).select_from(MinhashBand)) > 0
        later = now + dt.timedelta(days=office.retention_documents_days + 1)
        counts = apply_retention(s, office, later)
        s.commit()
        left = set(s.scalars(select(Document.id)))
        assert left == triaged and counts["documents_deleted"] == total - len(triaged)
        assert counts["closed_triage_items_deleted"] == 1
        assert s.scalar(select(func.count()).select_from(TriageItem).where(TriageItem.id == closed.id)) == 0
        assert s.scalar(select(func.count()).select_from(MinhashBand)) == 0
        assert all(d.raw_gzip is not None for d in s.scalars(select(Document)) if d.fetched_at and d.raw_sha256)
        assert apply_retention(s, office, later)["documents_deleted"] == 0  # idempotent
        assert s.scalar(select(AuditEvent).where(AuditEvent.action == "retention.applied")) is not None
