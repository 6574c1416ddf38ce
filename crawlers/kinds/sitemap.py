"""XML sitemaps, sitemap indexes and Google News sitemaps (parsed by :mod:`crawlers.sitemaps`).

- ``<sitemapindex>``, and sitemap URLs listed inside a ``<urlset>`` (tingia.gov.vn does this),
  are followed down to :data:`MAX_DEPTH` levels: the newest :data:`MAX_CHILD_SITEMAPS` by
  ``lastmod``, or only those matching the source's ``sitemap_follow`` regexes when given.
- Article entries are candidates newest first (news publication date, else ``lastmod``);
  entries dated more than ``max_age_days`` ago (source option, else the job's
  ``sitemap_max_age_days``) are left out: an archive sitemap lists years of pages.
  Undated entries are kept (in file order, after the dated ones).
- A news entry's title and publication date travel with the candidate as its feed entry.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

import scrapy

from crawlers import items
from crawlers.sitemaps import SitemapEntry, SitemapError, looks_like_sitemap, read_sitemap
from pipeline.dates import parse_date

MAX_CHILD_SITEMAPS = 5
MAX_DEPTH = 2


def start(spider: Any, source: Any) -> Iterable[scrapy.Request]:
    yield spider.make_request(source.url, source, callback="parse_source")


def parse_sitemap(body: bytes) -> tuple[str, list[tuple[str, str | None]]]:
    """Return ("urlset"|"sitemapindex", [(loc, lastmod)]); raises ValueError if not a sitemap."""
    sitemap = read_sitemap(body)
    return sitemap.kind, [(e.loc, e.lastmod) for e in sitemap.entries]


def _when(entry: SitemapEntry) -> dt.datetime | None:
    return parse_date(entry.date, "Asia/Ho_Chi_Minh") if entry.date else None


def select_children(entries: list[SitemapEntry], follow: list[str] | None) -> list[SitemapEntry]:
    """Child sitemaps to fetch: those matching any ``follow`` regex (all of them, in order), else
    the newest :data:`MAX_CHILD_SITEMAPS` by lastmod (undated last)."""
    if follow:
        rx = [re.compile(p) for p in follow]
        return [e for e in entries if any(r.search(e.loc) for r in rx)][:MAX_CHILD_SITEMAPS * 4]
    epoch = dt.datetime.min.replace(tzinfo=dt.UTC)
    return sorted(entries, key=lambda e: _when(e) or epoch, reverse=True)[:MAX_CHILD_SITEMAPS]


def select_articles(entries: list[SitemapEntry], now: dt.datetime, max_age_days: float | None,
                    limit: int) -> tuple[list[SitemapEntry], int]:
    """Article candidates newest first, at most ``limit``; returns (chosen, number too old)."""
    dated = [(e, _when(e)) for e in entries]
    cutoff = now - dt.timedelta(days=max_age_days) if max_age_days else None
    fresh = [(e, w) for e, w in dated if not (cutoff and w and w < cutoff)]
    old = len(dated) - len(fresh)
    with_date = sorted(((e, w) for e, w in fresh if w), key=lambda p: p[1], reverse=True)
    without = [e for e, w in fresh if not w]
    return ([e for e, _ in with_date] + without)[:limit], old


def parse(spider: Any, response: Any, source: Any) -> Iterable[Any]:
    if response.status >= 400:
        yield items.source_result(source.key, ok=False, status_code=response.status, error=f"HTTP {response.status}")
        return
    try:
        sitemap = read_sitemap(response.body)
    except SitemapError as exc:
        yield items.source_result(source.key, ok=False, status_code=response.status, error=str(exc))
        return
    depth = response.meta.get("sitemap_depth", 0)
    if sitemap.kind == "sitemapindex":
        children, articles = sitemap.entries, []
    else:
        children = [e for e in sitemap.entries if looks_like_sitemap(e.loc)]
        articles = [e for e in sitemap.entries if not looks_like_sitemap(e.loc)]
    problems: list[str] = []
    if children and depth < MAX_DEPTH:
        for child in select_children(children, source.extra.get("sitemap_follow")):
            req = spider.make_request(child.loc, source, callback="parse_source")
            req.meta["sitemap_depth"] = depth + 1
            yield req
    elif children:
        problems.append(f"{len(children)} nested sitemaps below depth {MAX_DEPTH} not followed")
    if sitemap.kind == "sitemapindex":
        return
    max_age = source.extra.get("max_age_days", getattr(spider, "sitemap_max_age_days", None))
    chosen, too_old = select_articles(articles, dt.datetime.now(dt.UTC), max_age,
                                      source.max_entries or spider.max_entries)
    if too_old:
        problems.append(f"{too_old} entries older than {max_age} days left out")
    yield items.source_result(source.key, ok=True, status_code=response.status, entries=len(chosen),
                              problems=problems)
    for entry in chosen:
        record = {"url": entry.loc, "published": entry.date, "title": entry.news_title,
                  "keywords": entry.news_keywords, "language": entry.news_language}
        yield from spider.follow_article(entry.loc, source, entry=record)
