"""Section/listing pages: collect links to article pages on the same site.

An article link matches ``source.article_pattern`` (regex) when given, else the
default: a path ending in .htm/.html or carrying a numeric id of 5+ digits,
and not a navigation page (courlan).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urldefrag, urlsplit

import courlan
import scrapy

from crawlers import items

DEFAULT_ARTICLE = re.compile(r"(\d{5,}|\.html?$)")


def start(spider: Any, source: Any) -> Iterable[scrapy.Request]:
    yield spider.make_request(source.url, source, callback="parse_source")


def article_links(html_url: str, hrefs: Iterable[str], pattern: str | None = None) -> list[str]:
    """Absolute, de-duplicated article URLs on the listing's host, in page order."""
    rx = re.compile(pattern) if pattern else DEFAULT_ARTICLE
    host = urlsplit(html_url).hostname
    seen: dict[str, None] = {}
    for href in hrefs:
        href = (href or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:")):
            continue
        url = urldefrag(courlan.fix_relative_urls(html_url, href))[0]
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or parts.hostname != host:
            continue
        if url.rstrip("/") == html_url.rstrip("/") or courlan.is_navigation_page(url):
            continue
        if rx.search(parts.path):
            seen.setdefault(url, None)
    return list(seen)


def parse(spider: Any, response: Any, source: Any) -> Iterable[Any]:
    if response.status >= 400:
        yield items.source_result(source.key, ok=False, status_code=response.status,
                                  error=f"HTTP {response.status}")
        return
    links = article_links(response.url, response.css("a::attr(href)").getall(), source.article_pattern)
    links = links[: source.max_entries or spider.max_entries]
    yield items.source_result(source.key, ok=True, status_code=response.status, entries=len(links))
    for url in links:
        yield from spider.follow_article(url, source, entry=None)
