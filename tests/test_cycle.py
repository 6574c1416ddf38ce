"""The daily cycle end to end over the repo's demo corpus (replay server on loopback)."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select

from crawlers.replay import ReplayEntry
from crawlers.sources import SourceSpec, sources_from_replay_map
from mediawatch.cycle import run_cycle, run_demo
from storage.db import session_scope
from storage.models import AuditEvent, Cluster, Document, Flag, RunItem, TriageItem, Unit
from tests.conftest import DEMO_CORPUS

BM = "https://baomau.example"
TTV = "https://tintucviet.example"


def _docs(factory):  # type: ignore[no-untyped-def]
    with session_scope(factory) as s:
        return {d.url_canonical: d for d in s.scalars(select(Document))}


def test_demo_cycle_outcomes(settings, session_factory) -> None:  # type: ignore[no-untyped-def]
    summary = run_demo(settings)
    assert summary.sources_failed == []
    assert summary.statuses.get("ok", 0) >= 10
    assert summary.statuses["off-area"] == 3
    assert summary.statuses["not-vi"] == 1
    assert summary.statuses["dup-url"] >= 1
    docs = _docs(session_factory)
    by_id = {d.id: d for d in docs.values()}
    # every fetched item has exactly one recorded status in the run
    with session_scope(session_factory) as s:
        items = s.scalars(select(RunItem).where(RunItem.run_id == summary.run_id)).all()
        assert sum(summary.statuses.values()) == len(items)
        assert all(i.document_id in by_id for i in items if i.document_id)
    # confusables are off-area
    for slug in ("ty-phu-my", "cau-phu-my", "long-son-nghe-an"):
        (doc,) = [d for u, d in docs.items() if slug in u]
        assert doc.status == "off-area", (slug, doc.status_detail)
    # English page
    assert [d.status for u, d in docs.items() if "/en/" in u] == ["not-vi"]
    # a feed entry whose page 404s becomes a document from the entry
    (entry_only,) = [d for u, d in docs.items() if "100128" in u]
    assert entry_only.fetch_status_code == 404 or "404" in (entry_only.fetch_error or "")
    assert entry_only.status == "ok" and entry_only.text and "feed entry" in entry_only.status_detail
    # tracking-parameter URL is the same article
    assert not any("utm_" in u for u in docs)
    # timezone-aware dates everywhere
    assert all(d.published_at is not None and d.published_at.tzinfo is not None
               for d in docs.values() if d.status == "ok")
    # the windows-1258 page decodes to correct Vietnamese
    (cp1258,) = [d for u, d in docs.items() if "100127" in u]
    assert cp1258.encoding == "windows-1258" and "Cái Mép" in cp1258.text


def test_flags_routes_and_clusters(settings, session_factory) -> None:  # type: ignore[no-untyped-def]
    run_demo(settings)
    with session_scope(session_factory) as s:
        units = {u.id: u for u in s.scalars(select(Unit))}
        items = s.scalars(select(TriageItem)).all()
        assert items and all(i.status == "new" for i in items)
        for item in items:
            unit = units[item.suggested_unit_id]
            if unit.is_police:
                assert item.top_category in ("scam_fraud", "threat_violence")
        cats = {i.top_category for i in items}
        assert {"scam_fraud", "threat_violence", "public_concern", "misinformation", "hate_abuse"} <= cats
        # the policy-criticism article is a public concern for the communications office
        doc = s.scalar(select(Document).where(Document.url_canonical.like("%100124%")))
        item = s.scalar(select(TriageItem).where(TriageItem.cluster_id == doc.cluster_id))
        assert item.top_category == "public_concern" and not units[item.suggested_unit_id].is_police
        # every flag explains itself and carries a model version
        for flag in s.scalars(select(Flag)):
            assert 0.0 <= flag.score <= 1.0 and flag.model_version
            assert flag.explanation.get("matched_terms") or flag.explanation.get("debunk")
        # the syndicated copy joins the original's cluster
        orig = s.scalar(select(Document).where(Document.url_canonical.like("%100123%")))
        copy = s.scalar(select(Document).where(Document.url_canonical.like("%2087341%")))
        assert orig.cluster_id == copy.cluster_id
        assert s.scalar(select(Cluster.size).where(Cluster.id == orig.cluster_id)) == 2
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "triage.created")) == len(items)


def test_rerun_is_idempotent(settings, session_factory) -> None:  # type: ignore[no-untyped-def]
    first = run_demo(settings)
    second = run_demo(settings)
    assert second.documents == 0
    assert second.documents_total == first.documents_total
    assert second.clusters == first.clusters
    assert second.triage_items == first.triage_items
    assert set(second.statuses) <= {"dup-url"}
    with session_scope(session_factory) as s:
        assert s.scalar(select(func.count()).select_from(TriageItem)) == first.triage_items


def test_failing_sources_do_not_stop_the_others(settings, session_factory, demo_server) -> None:  # type: ignore[no-untyped-def]
    demo_server.add(ReplayEntry(url=f"{BM}/rss/loi-500.rss", content_type="text/plain", body=b"boom", status=500))
    demo_server.add(ReplayEntry(url=f"{BM}/rss/cham.rss", content_type="application/rss+xml", body=b"<rss/>", delay=8))
    demo_server.add(ReplayEntry(url=f"{BM}/rss/rac.rss", content_type="application/rss+xml",
                                body=b"\x00\x01 not a feed at all <<<"))
    specs = sources_from_replay_map(DEMO_CORPUS) + [
        SourceSpec(name="hỏng 500", kind="rss", url=f"{BM}/rss/loi-500.rss"),
        SourceSpec(name="chậm", kind="rss", url=f"{BM}/rss/cham.rss"),
        SourceSpec(name="rác", kind="rss", url=f"{BM}/rss/rac.rss"),
        SourceSpec(name="không tồn tại", kind="rss", url="https://khong-ton-tai.example/rss.xml"),
        SourceSpec(name="loại lạ", kind="gopher", url="gopher://x"),
    ]
    cfg = settings.model_copy(update={"replay_url": demo_server.base_url, "download_timeout": 2.0})
    summary = run_cycle(cfg, specs)
    failed = {f["source"] for f in summary.sources_failed}
    assert failed == {"hong-500", "cham", "rac", "khong-ton-tai", "loai-la"}
    assert summary.statuses.get("ok", 0) >= 10
    assert summary.digest_path
    html = Path(summary.digest_path).read_text(encoding="utf-8")
    assert "Nguồn bị lỗi (5)" in html


def test_run_summary_is_json_serializable(settings) -> None:  # type: ignore[no-untyped-def]
    data = run_demo(settings).as_dict()
    assert {"documents", "statuses", "clusters", "triage_items", "digest_path", "sources_failed"} <= set(data)
    json.dumps(data)


def test_near_duplicate_joins_cluster_from_an_earlier_run(settings, session_factory, demo_server) -> None:  # type: ignore[no-untyped-def]
    cfg = settings.model_copy(update={"replay_url": demo_server.base_url})
    run_cycle(cfg, [SourceSpec(name="bm", kind="rss", url=f"{BM}/rss/tin-moi.rss")])
    run_cycle(cfg, [SourceSpec(name="ttv", kind="rss", url=f"{TTV}/feeds/thoi-su.atom")])
    with session_scope(session_factory) as s:
        orig = s.scalar(select(Document).where(Document.url_canonical.like("%100123%")))
        copy = s.scalar(select(Document).where(Document.url_canonical.like("%2087341%")))
        assert copy.first_run_id != orig.first_run_id
        assert copy.cluster_id == orig.cluster_id
        assert s.scalar(select(func.count()).select_from(TriageItem).where(TriageItem.cluster_id == orig.cluster_id)) == 1


def test_social_authors_are_pseudonymized(settings, session_factory, demo_server) -> None:  # type: ignore[no-untyped-def]
    cfg = settings.model_copy(update={"replay_url": demo_server.base_url})
    spec = SourceSpec(name="mxh", kind="rss", url=f"{TTV}/feeds/thoi-su.atom", outlet_type="social")
    run_cycle(cfg, [spec])
    with session_scope(session_factory) as s:
        docs = s.scalars(select(Document)).all()
        assert docs and all(d.entry_author is None and d.author is None for d in docs)
        hashed = [d.author_hash for d in docs if d.author_hash]
        assert hashed and all(len(h) == 64 for h in hashed)


def test_page_declaring_a_stored_canonical_is_dup_url(settings, session_factory, demo_server) -> None:  # type: ignore[no-untyped-def]
    cfg = settings.model_copy(update={"replay_url": demo_server.base_url})
    original = f"{BM}/xa-hoi/ban-doc-thac-mac-muc-phi-giu-xe-moi-gan-bai-sau-100124.html"
    mirror = f"{BM}/ban-in/100124"
    body = demo_server.lookup(original, None).read()
    demo_server.add(ReplayEntry(url=mirror, content_type="text/html; charset=utf-8", body=body))
    run_cycle(cfg, [SourceSpec(name="a", kind="urls", urls=[original])])
    second = run_cycle(cfg, [SourceSpec(name="b", kind="urls", urls=[mirror])])
    assert second.statuses == {"dup-url": 1}


def test_area_prefilter_settles_off_area_pages_without_extraction(settings, session_factory, demo_server) -> None:  # type: ignore[no-untyped-def]
    page = ('<html lang="vi"><head><title>Giá lúa tăng ở Cần Thơ</title></head><body><article><h1>Giá lúa tăng ở Cần Thơ</h1>'
            + "<p>Nông dân Cần Thơ phấn khởi vì giá lúa tăng mạnh trong vụ thu đông năm nay.</p>" * 8
            + "</article></body></html>")
    url = f"{TTV}/kinh-te/gia-lua-can-tho-2099999.html"
    demo_server.add(ReplayEntry(url=url, content_type="text/html; charset=utf-8", body=page.encode()))
    cfg = settings.model_copy(update={"replay_url": demo_server.base_url, "area_prefilter": True})
    specs = [SourceSpec(name="p", kind="urls", urls=[url, f"{BM}/xa-hoi/ban-doc-thac-mac-muc-phi-giu-xe-moi-gan-bai-sau-100124.html"])]
    summary = run_cycle(cfg, specs)
    assert summary.statuses == {"off-area": 1, "ok": 1}
    with session_scope(session_factory) as s:
        doc = s.scalar(select(Document).where(Document.url_canonical == url))
        assert doc.status == "off-area" and doc.title == "Giá lúa tăng ở Cần Thơ"
        assert doc.text.startswith("Nông dân Cần Thơ") and doc.extractor_version.startswith("paragraphs")
        assert "before extraction" in doc.status_detail


def test_worker_processes_give_the_same_outcome(settings, session_factory) -> None:  # type: ignore[no-untyped-def]
    """Two worker processes (forkserver; classifiers batched per chunk) give the one-process result."""
    parallel = settings.model_copy(update={"process_workers": 2})
    summary = run_demo(parallel)
    assert summary.sources_failed == [] and summary.statuses["off-area"] == 3 and summary.triage_items == 6
    with session_scope(session_factory) as s:
        flags = sorted((f.category, f.model_version.split("-")[0]) for f in s.scalars(select(Flag)))
    assert {c for c, _ in flags} == {"misinformation", "scam_fraud", "threat_violence", "hate_abuse", "public_concern"}
