"""The XenForo 2 forum kind (crawlers/kinds/forum.py) end to end: a crawl against a loopback
replay server serving constructed XenForo 2 pages at their real URLs."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from sqlalchemy import select

from crawlers.kinds.forum import thread_links
from crawlers.replay import ReplayEntry, ReplayServer
from crawlers.sources import SourceSpec
from mediawatch.cycle import run_cycle
from pipeline.ingest import pseudonymize
from storage.db import session_scope
from storage.models import Document, RunItem

FIX = Path(__file__).parent / "fixtures" / "forum"
SITE = "https://diendanthu.example"
T1 = f"{SITE}/threads/ngap-duong-ven-bien-vung-tau.101"
SERVED = {
    f"{SITE}/forums/ba-ria-vung-tau.12/": "forum-ba-ria-vung-tau.html",
    f"{SITE}/forums/ba-ria-vung-tau.12/page-2": "forum-ba-ria-vung-tau-page-2.html",
    f"{T1}/": "thread-101.html",
    f"{T1}/page-2": "thread-101-page-2.html",
    f"{T1}/page-3": "thread-101-page-3.html",
    f"{SITE}/threads/canh-bao-tin-nhan-mao-danh-dien-luc.102/": "thread-102.html",
}
MEMBERS = ["Thành Viên A", "Thành Viên B", "Thành Viên D", "Thành Viên E", "Thành Viên F"]


def _server() -> ReplayServer:
    return ReplayServer([ReplayEntry(url=u, content_type="text/html; charset=utf-8", path=FIX / f)
                         for u, f in SERVED.items()])


def test_thread_links_skip_prefix_filters() -> None:
    hrefs = ["/forums/x.12/?prefix_id=3", "/threads/a.1/", "/threads/a.1/unread", "https://other.example/threads/b.2/",
             "/threads/c.3/#post-9"]
    assert thread_links(f"{SITE}/forums/x.12/", hrefs) == [f"{SITE}/threads/a.1/", f"{SITE}/threads/c.3/"]


def test_forum_crawl_end_to_end(settings, session_factory) -> None:  # type: ignore[no-untyped-def]
    spec = SourceSpec(name="Diễn đàn thử – Bà Rịa – Vũng Tàu", key="diendanthu-brvt", kind="forum",
                      url=f"{SITE}/forums/ba-ria-vung-tau.12/", outlet_type="social", max_pages=2)
    with _server() as server:
        cfg = settings.model_copy(update={"replay_url": server.base_url})
        first = run_cycle(cfg, [spec], factory=session_factory)
        hits = list(server.hits)
        second = run_cycle(cfg, [spec], factory=session_factory)
    assert first.sources_failed == []
    assert f"{T1}/page-3" not in hits  # max_pages: 2
    with session_scope(session_factory) as s:
        docs = {d.url_canonical: d for d in s.scalars(select(Document))}
        items = s.execute(select(RunItem.url, RunItem.status).where(RunItem.run_id == first.run_id)).all()
        again = Counter(st for (st,) in s.execute(select(RunItem.status).where(RunItem.run_id == second.run_id)))
        # one status per post, plus the unserved thread 103 and the empty post
        assert sum(first.statuses.values()) == len(items) == 6
        by_url = dict(items)
        assert by_url[f"{T1}/post-1004"] == "fetch-error"
        assert by_url[f"{SITE}/threads/cho-phien-ba-ria-doi-dia-diem.103/"] == "fetch-error"
        post = docs[f"{T1}/post-1001"]
        assert post.text == "Sáng nay đường Thùy Vân ở phường Vũng Tàu ngập sâu sau mưa lớn. " \
                            "Xe máy chết máy nhiều, mọi người đi đường vòng nhé."
        assert post.title == "Hỏi đáp Ngập đường ven biển Vũng Tàu sáng nay"
        assert post.published_at.isoformat() == "2026-11-20T00:10:00+00:00"
        assert post.author_hash == pseudonymize("Thành Viên A", settings.author_hash_key.get_secret_value())
        assert post.raw_gzip is None and post.status == "ok"
        quoting = docs[f"{T1}/post-1002"]
        assert "Thành Viên A" not in quoting.text and "Thùy Vân" not in quoting.text  # the quote is dropped
        assert "<script> không phải mã" in quoting.text
        assert f"{T1}/post-1003" in docs and f"{T1}/post-1005" not in docs
        scam = docs[f"{SITE}/threads/canh-bao-tin-nhan-mao-danh-dien-luc.102/post-2001"]
        assert scam.status == "ok"
        for d in docs.values():
            stored = " ".join(filter(None, [d.text, d.title, d.entry_summary, d.entry_author, d.author]))
            assert not any(m in stored for m in MEMBERS), d.url_canonical
    # rerun: the stored posts are not fetched again and end dup-url
    assert again["dup-url"] == 4 and second.documents == 0
