"""XML sitemaps: <urlset> entries become article candidates; a <sitemapindex>
is followed one level down (newest sub-sitemaps first, at most 5)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import scrapy
from lxml import etree

from crawlers import items

MAX_CHILD_SITEMAPS = 5


def start(spider: Any, source: Any) -> Iterable[scrapy.Request]:
    yield spider.make_request(source.url, source, callback="parse_source")


def parse_sitemap(body: bytes) -> tuple[str, list[tuple[str, str | None]]]:
    """Return ("urlset"|"sitemapindex", [(loc, lastmod)]); raises ValueError if not a sitemap."""
    try:
        root = etree.fromstring(body, parser=etree.XMLParser(recover=True, resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"not XML: {exc}") from exc
    if root is None:
        raise ValueError("empty sitemap")
    kind = etree.QName(root).localname
    if kind not in ("urlset", "sitemapindex"):
        raise ValueError(f"not a sitemap: <{kind}>")
    out = []
    for node in root:
        loc = next((c.text for c in node if etree.QName(c).localname == "loc" and c.text), None)
        lastmod = next((c.text for c in node if etree.QName(c).localname == "lastmod"), None)
        if loc:
            out.append((loc.strip(), lastmod.strip() if lastmod else None))
    return kind, out


def parse(spider: Any, response: Any, source: Any) -> Iterable[Any]:
    if response.status >= 400:
        yield items.source_result(source.key, ok=False, status_code=response.status, error=f"HTTP {response.status}")
        return
    try:
        kind, urls = parse_sitemap(response.body)
    except ValueError as exc:
        yield items.source_result(source.key, ok=False, status_code=response.status, error=str(exc))
        return
    if kind == "sitemapindex" and not response.meta.get("sitemap_child"):
        children = sorted(urls, key=lambda u: u[1] or "", reverse=True)[:MAX_CHILD_SITEMAPS]
        for loc, _ in children:
            req = spider.make_request(loc, source, callback="parse_source")
            req.meta["sitemap_child"] = True
            yield req
        return
    urls = urls[: source.max_entries or spider.max_entries]
    yield items.source_result(source.key, ok=True, status_code=response.status, entries=len(urls))
    for loc, lastmod in urls:
        yield from spider.follow_article(loc, source, entry={"url": loc, "published": lastmod})
