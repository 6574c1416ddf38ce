"""An explicit list of article URLs (pages no feed links to)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def start(spider: Any, source: Any) -> Iterable[Any]:
    urls = source.urls or [source.url]
    spider.record(spider.items.source_result(source.key, ok=True, entries=len(urls)))
    for url in urls:
        yield from spider.follow_article(url, source, entry=None)


def parse(spider: Any, response: Any, source: Any) -> Iterable[Any]:  # pragma: no cover - no source page
    return []
