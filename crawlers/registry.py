"""Source kinds: name -> module. Adding a kind = one module in crawlers/kinds/ + one line here.

Each kind module exposes ``start(spider, source) -> Iterable[scrapy.Request]``
and ``parse(spider, response, source) -> Iterable[dict | scrapy.Request]``.
"""

from __future__ import annotations

import importlib
from types import ModuleType

SOURCE_KINDS: dict[str, str] = {
    "rss": "crawlers.kinds.feed",      # RSS 2.0 / Atom / RDF feeds (feedparser)
    "html": "crawlers.kinds.listing",  # section / listing pages: follow article links
    "urls": "crawlers.kinds.pagelist", # an explicit list of article URLs
    "sitemap": "crawlers.kinds.sitemap",  # XML sitemaps and sitemap indexes
    "forum": "crawlers.kinds.forum",   # public XenForo 2 forums: listing -> threads -> posts
}


class UnknownSourceKind(KeyError):
    """A source names a kind that has no module."""


def kind_module(kind: str) -> ModuleType:
    """Import the module for ``kind``; raises UnknownSourceKind."""
    try:
        return importlib.import_module(SOURCE_KINDS[kind])
    except KeyError as exc:
        raise UnknownSourceKind(f"unknown source kind {kind!r}; known: {sorted(SOURCE_KINDS)}") from exc
