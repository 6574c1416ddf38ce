"""Sitemaps: the reader (indexes, news sitemaps, gzip, bombs), candidate selection, a crawl of a
news sitemap index through the replay server, and the fact-check source feeding the debunk memory."""

from __future__ import annotations

import datetime as dt
import gzip
import shutil
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from classifiers.debunks import load_debunks
from crawlers.kinds.sitemap import select_articles, select_children
from crawlers.replay import ReplayEntry
from crawlers.sitemaps import SitemapEntry, SitemapError, inflate, looks_like_sitemap, read_sitemap
from crawlers.sources import SourceSpec
from mediawatch.cycle import run_cycle
from storage.models import Document, RunItem

FIX = Path(__file__).parent / "fixtures"
HOST = "https://bao.example.vn"
NOW = dt.datetime.now(dt.UTC)


def _dated(name: str) -> bytes:
    text = (FIX / "sitemaps" / name).read_text(encoding="utf-8")
    for key, when in (("DAY0", NOW - dt.timedelta(hours=2)), ("DAY1", NOW - dt.timedelta(days=1)),
                      ("OLD", dt.datetime(2019, 1, 1, tzinfo=dt.UTC))):
        text = text.replace("{{" + key + "}}", when.isoformat(timespec="seconds"))
    return text.encode("utf-8")


def test_news_sitemap_entries() -> None:
    sitemap = read_sitemap(_dated("news.xml"))
    assert sitemap.kind == "urlset" and len(sitemap.entries) == 3
    first = sitemap.entries[0]
    assert first.news_title == "Khởi công cầu Phước An nối Vũng Tàu với cảng Cái Mép"
    assert first.news_language == "vi" and first.news_keywords.startswith("cầu Phước An")
    assert first.date == first.news_published and sitemap.entries[2].date == sitemap.entries[2].lastmod
    index = read_sitemap(_dated("news-index.xml"))
    assert index.kind == "sitemapindex" and [looks_like_sitemap(e.loc) for e in index.entries] == [True, True]


def test_reader_refuses_and_bounds() -> None:
    with pytest.raises(SitemapError, match="not a sitemap"):
        read_sitemap(b"<rss><channel/></rss>")
    with pytest.raises(SitemapError):
        read_sitemap(b"")
    # malformed XML is read as far as it goes (recover), strict mode refuses it
    assert [e.loc for e in read_sitemap(b"<urlset><url><loc>https://a.vn/1</loc></url><url><loc>").entries] == ["https://a.vn/1"]
    with pytest.raises(SitemapError):
        read_sitemap(b"<urlset><url><loc>https://a.vn/1</loc></url><url><loc>", strict=True)
    # non-http locs and duplicates are dropped
    body = b"<urlset><url><loc>javascript:alert(1)</loc></url><url><loc>https://a.vn/x</loc></url>" \
           b"<url><loc>https://a.vn/x</loc></url></urlset>"
    assert [e.loc for e in read_sitemap(body).entries] == ["https://a.vn/x"]
    # gzip bodies are inflated; a bomb stops at the cap
    assert read_sitemap(gzip.compress(_dated("news.xml"))).kind == "urlset"
    bomb = gzip.compress(b"<urlset>" + b" " * 3_000_000 + b"</urlset>")
    with pytest.raises(SitemapError, match="inflates past"):
        inflate(bomb, max_bytes=1_000_000)
    with pytest.raises(SitemapError, match="corrupt"):
        inflate(b"\x1f\x8b" + b"not gzip at all")


def test_entities_are_not_expanded() -> None:
    body = (b'<?xml version="1.0"?><!DOCTYPE u [<!ENTITY a "AAAAAAAAAA"><!ENTITY b "&a;&a;&a;&a;&a;&a;">'
            b'<!ENTITY x SYSTEM "file:///etc/passwd">]><urlset><url><loc>https://a.vn/&b;&x;</loc></url></urlset>')
    for entry in read_sitemap(body).entries:
        assert "AAAA" not in entry.loc and "root:" not in entry.loc


def test_selection_newest_first_with_age_limit() -> None:
    entries = read_sitemap(_dated("news.xml")).entries + [SitemapEntry("https://a.vn/x-undated.htm")]
    chosen, too_old = select_articles(entries, NOW, 7, limit=10)
    assert [e.loc.rsplit("-", 1)[-1] for e in chosen] == ["2026112910002.htm", "2026112910001.htm", "undated.htm"]
    assert too_old == 1
    assert len(select_articles(entries, NOW, None, limit=2)[0]) == 2
    children = [SitemapEntry(f"https://t.vn/sitemap/{n}.xml", lastmod=f"2026-11-0{i}") for i, n in
                enumerate(["a", "tin-vua-check", "b", "c", "d", "e", "f"], 1)]
    assert [e.loc for e in select_children(children, ["/sitemap/tin-vua-check\\.xml"])] == [children[1].loc]
    newest = select_children(children, None)
    assert len(newest) == 5 and newest[0].loc.endswith("/f.xml")


def _article(title: str, body: str) -> bytes:
    paras = "".join(f"<p>{body} Đoạn {i}: chính quyền thành phố cho biết sẽ tiếp tục theo dõi.</p>" for i in range(6))
    return (f'<html lang="vi"><head><meta charset="utf-8"><title>{title}</title></head>'
            f"<body><article><h1>{title}</h1>{paras}</article></body></html>").encode()


def test_crawl_of_a_news_sitemap_index(settings, session_factory, demo_server) -> None:  # type: ignore[no-untyped-def]
    demo_server.add(ReplayEntry(url=f"{HOST}/sitemaps/news-index.xml", content_type="application/xml",
                                body=_dated("news-index.xml")))
    demo_server.add(ReplayEntry(url=f"{HOST}/sitemaps/news.xml", content_type="application/xml", body=_dated("news.xml")))
    archive = b"<urlset><url><loc>https://bao.example.vn/kinh-te/cu-2019010110009.htm</loc>" \
              b"<lastmod>2019-01-01</lastmod></url></urlset>"
    demo_server.add(ReplayEntry(url=f"{HOST}/sitemaps/archive-2019.xml.gz", content_type="application/x-gzip",
                                body=gzip.compress(archive)))
    for entry in read_sitemap(_dated("news.xml")).entries:
        demo_server.add(ReplayEntry(url=entry.loc, content_type="text/html; charset=utf-8",
                                    body=_article(entry.news_title or "Bài cũ", "Tại phường Vũng Tàu, người dân")))
    cfg = settings.model_copy(update={"replay_url": demo_server.base_url})
    spec = SourceSpec(name="Báo Ví Dụ – sitemap", kind="sitemap", url=f"{HOST}/sitemaps/news-index.xml")
    summary = run_cycle(cfg, [spec])
    assert not summary.sources_failed
    with session_factory() as s:
        docs = s.scalars(select(Document).order_by(Document.id)).all()
        assert sorted(d.url_canonical.rsplit("-", 1)[-1] for d in docs) == ["2026112910001.htm", "2026112910002.htm"]
        titled = {d.entry_title for d in docs}
        assert "Khởi công cầu Phước An nối Vũng Tàu với cảng Cái Mép" in titled
        assert all(d.entry_published_at is not None for d in docs)
        statuses = [r.status for r in s.scalars(select(RunItem))]
        assert len(statuses) == 2  # the 2019 entries are not candidates; each candidate has one status


def _slug(url: str) -> str:
    return next(p for p in reversed(url.rstrip("/").split("/")) if not p.isdigit())


def test_fact_check_source_feeds_the_debunk_memory(settings, session_factory, demo_server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "config"
    shutil.copytree(Path(__file__).parents[1] / "config", config)
    before = {d.id for d in load_debunks(config / "debunks.yaml")}
    tingia = FIX / "tingia"
    demo_server.add(ReplayEntry(url="https://tingia.gov.vn/sitemap.xml", content_type="application/xml",
                                body=(tingia / "sitemap.xml").read_bytes()))
    for url, _ in [(e.loc, e.lastmod) for e in read_sitemap((tingia / "sitemap.xml").read_bytes()).entries]:
        name = _slug(url) + ".html"
        if (tingia / name).exists():
            demo_server.add(ReplayEntry(url=url, content_type="text/html; charset=utf-8", body=(tingia / name).read_bytes()))
    cfg = settings.model_copy(update={"replay_url": demo_server.base_url, "config_dir": config})
    spec = SourceSpec(name="VAFC / tingia.gov.vn – sitemap", kind="sitemap", url="https://tingia.gov.vn/sitemap.xml",
                      outlet_type="fact-check", max_age_days=None)
    run_cycle(cfg, [spec])
    memory = load_debunks(config / "debunks.yaml")
    added = [d for d in memory if d.id not in before]
    assert len(added) == 3 and all(d.url and d.url.startswith("https://tingia.gov.vn/") for d in added)
    with session_factory() as s:
        items = {_slug(r.url): (r.status, r.detail) for r in s.scalars(select(RunItem))}
    assert len(items) == 5 and [v[0] for v in items.values()].count("debunk") == 3
    assert items["suc-khoe-cong-dong"][0] == "parse-error" and "fact-check" in items["suc-khoe-cong-dong"][1]
    assert items["bai-chua-luu-trong-fixture"][0] == "fetch-error"
    # a rerun adds nothing and loses nothing
    text = (config / "debunks.yaml").read_text(encoding="utf-8")
    run_cycle(cfg, [spec])
    assert (config / "debunks.yaml").read_text(encoding="utf-8") == text
    assert yaml.safe_load(text)["debunks"]
