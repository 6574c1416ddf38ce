"""Each source kind through the replay server (crawl subprocess, loopback only)."""

from __future__ import annotations

from crawlers.job import run_crawl
from crawlers.replay import ReplayEntry
from crawlers.sources import SourceSpec, load_sources
from mediawatch.settings import REPO_ROOT

BM = "https://baomau.example"
TTV = "https://tintucviet.example"


def _crawl(settings, server, specs, state=None, known=None):  # type: ignore[no-untyped-def]
    cfg = settings.model_copy(update={"replay_url": server.base_url})
    return run_crawl(cfg, specs, state or {}, known or [])


def _pages(records, source):  # type: ignore[no-untyped-def]
    return [r for r in records if r["type"] == "page" and r["source"] == source]


def _result(records, source):  # type: ignore[no-untyped-def]
    return [r for r in records if r["type"] == "source_result" and r["source"] == source][-1]


def test_rss_atom_listing_pagelist(settings, demo_server) -> None:  # type: ignore[no-untyped-def]
    specs = [
        SourceSpec(name="rss", kind="rss", url=f"{BM}/rss/tin-moi.rss"),
        SourceSpec(name="atom", kind="rss", url=f"{TTV}/feeds/thoi-su.atom"),
        SourceSpec(name="listing", kind="html", url=f"{BM}/xa-hoi/"),
        SourceSpec(name="pages", kind="urls", urls=[
            f"{BM}/chinh-quyen/trung-tam-phuc-vu-hanh-chinh-cong-phuong-ba-ria-giai-quyet-ho-so-trong-ngay-100122.html"]),
    ]
    recs = _crawl(settings, demo_server, specs)
    assert _result(recs, "rss")["entries"] == 9
    assert _result(recs, "atom")["entries"] == 5
    assert _result(recs, "listing")["entries"] == 4
    assert all(r["entry"]["title"] for r in _pages(recs, "rss") + _pages(recs, "atom"))
    fetched = [r for r in recs if r["type"] == "page" and r["body_b64"]]
    assert len(fetched) >= 14
    # listing links resolve to absolute article URLs on the same host; nav pages skipped
    listing_urls = {r["url"] for r in _pages(recs, "listing")}
    assert all(u.startswith(BM) and u.endswith(".html") for u in listing_urls)
    # the page that 404s is reported with its entry
    missing = [r for r in _pages(recs, "rss") if "100128" in r["url"]]
    assert missing and missing[0]["error"] == "HTTP 404" and missing[0]["entry"]["summary"]
    # every request went to loopback only
    assert demo_server.hits


def test_malformed_feed_is_read_as_far_as_possible(settings, demo_server) -> None:  # type: ignore[no-untyped-def]
    recs = _crawl(settings, demo_server, [SourceSpec(name="broken", kind="rss", url=f"{TTV}/rss/tin-nong.rss")])
    res = _result(recs, "broken")
    assert res["ok"] and res["entries"] >= 2
    assert any("malformed" in p for p in res["problems"])


def test_banner_before_feed_is_cut(settings, demo_server) -> None:  # type: ignore[no-untyped-def]
    body = (REPO_ROOT / "demo/corpus/feeds/baomau_tin-moi.rss").read_bytes()
    banner = b"This XML file does not appear to have any style information associated with it.\n"
    demo_server.add(ReplayEntry(url=f"{BM}/rss/banner.rss", content_type="text/xml", body=banner + body.split(b"?>", 1)[1]))
    recs = _crawl(settings, demo_server, [SourceSpec(name="banner", kind="rss", url=f"{BM}/rss/banner.rss")])
    assert _result(recs, "banner")["entries"] == 9


def test_conditional_get_uses_etag(settings, demo_server) -> None:  # type: ignore[no-untyped-def]
    spec = SourceSpec(name="rss", kind="rss", url=f"{BM}/rss/tin-moi.rss")
    first = _result(_crawl(settings, demo_server, [spec]), "rss")
    assert first["etag"]
    recs = _crawl(settings, demo_server, [spec], state={"rss": {"etag": first["etag"]}})
    second = _result(recs, "rss")
    assert second["not_modified"] and second["status_code"] == 304
    assert not _pages(recs, "rss")


def test_known_urls_are_not_fetched_again(settings, demo_server) -> None:  # type: ignore[no-untyped-def]
    url = f"{BM}/xa-hoi/ban-doc-thac-mac-muc-phi-giu-xe-moi-gan-bai-sau-100124.html"
    recs = _crawl(settings, demo_server, [SourceSpec(name="p", kind="urls", urls=[url])], known=[url])
    (page,) = _pages(recs, "p")
    assert page["skipped"] == "known" and page["body_b64"] is None


def test_robots_txt_is_obeyed(settings, demo_server) -> None:  # type: ignore[no-untyped-def]
    demo_server.add(ReplayEntry(url=f"{BM}/admin/bai-mat-100999.html", content_type="text/html", body=b"<p>x</p>"))
    recs = _crawl(settings, demo_server, [SourceSpec(name="p", kind="urls", urls=[f"{BM}/admin/bai-mat-100999.html"])])
    (page,) = _pages(recs, "p")
    assert page["skipped"] == "robots"
    assert f"{BM}/admin/bai-mat-100999.html" not in demo_server.hits


def test_sitemap_and_index(settings, demo_server) -> None:  # type: ignore[no-untyped-def]
    ns = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
    article = f"{BM}/xa-hoi/ban-doc-thac-mac-muc-phi-giu-xe-moi-gan-bai-sau-100124.html"
    child = f'<?xml version="1.0"?><urlset {ns}><url><loc>{article}</loc><lastmod>2026-11-26</lastmod></url></urlset>'
    index = f'<?xml version="1.0"?><sitemapindex {ns}><sitemap><loc>{BM}/sitemap-2026-11.xml</loc></sitemap></sitemapindex>'
    demo_server.add(ReplayEntry(url=f"{BM}/sitemap.xml", content_type="application/xml", body=index.encode()))
    demo_server.add(ReplayEntry(url=f"{BM}/sitemap-2026-11.xml", content_type="application/xml", body=child.encode()))
    recs = _crawl(settings, demo_server, [SourceSpec(name="sm", kind="sitemap", url=f"{BM}/sitemap.xml")])
    assert _result(recs, "sm")["entries"] == 1
    (page,) = _pages(recs, "sm")
    assert page["url"] == article and page["body_b64"]


def test_configured_sources_load_with_evidence() -> None:
    specs = load_sources(REPO_ROOT / "config" / "sources.yaml", enabled_only=False)
    assert len(specs) >= 20
    assert all(s.kind in ("rss", "html", "sitemap", "urls") for s in specs)
    sggp = next(s for s in specs if "sggp.org.vn/rss/home" in s.url)
    assert sggp.extra["evidence"] and sggp.enabled
