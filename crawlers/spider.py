"""The monitoring spider: walks configured sources by kind and fetches article pages."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

import scrapy
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawlers import items
from crawlers.registry import kind_module
from crawlers.sources import SourceSpec
from pipeline.canonical import canonical_url

log = logging.getLogger(__name__)
HANDLED_STATUSES = [304, *range(400, 600)]


class MonitorSpider(scrapy.Spider):
    """Crawl ``sources``; yields ``items.source_result`` and ``items.page`` dicts.

    ``known_urls``: canonical URLs already stored; their pages are not fetched
    again (recorded as ``skipped="known"``).
    """

    name = "mediawatch"

    def __init__(self, sources: list[dict[str, Any]], source_state: dict[str, dict[str, str]],
                 known_urls: list[str], max_entries: int = 200, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sources = {s["key"]: SourceSpec(**s) for s in sources}
        self.source_state = source_state
        self.known = set(known_urls)
        self.max_entries = max_entries
        self.items = items
        self._pending: list[dict[str, Any]] = []
        self._seen_pages: set[str] = set()

    def record(self, item: dict[str, Any]) -> None:
        """Queue an item produced outside a callback (yielded with the next batch)."""
        self._pending.append(item)

    async def start(self) -> Any:
        for source in self.sources.values():
            try:
                module = kind_module(source.kind)
                requests = list(module.start(self, source))
            except Exception as exc:  # one bad source must not stop the others
                log.exception("source %s could not start", source.key)
                yield items.source_result(source.key, ok=False, error=f"{type(exc).__name__}: {exc}")
                continue
            while self._pending:
                yield self._pending.pop(0)
            for request in requests:
                yield request

    def make_request(self, url: str, source: SourceSpec, *, callback: str, entry: dict[str, Any] | None = None,
                     headers: dict[str, str] | None = None) -> scrapy.Request:
        # every status except redirects reaches the callbacks (handle_httpstatus_all would also
        # switch Scrapy's RedirectMiddleware off: a 301 page was stored with an empty body)
        meta = {"source": source.key, "entry": entry, "handle_httpstatus_list": HANDLED_STATUSES,
                "replay_snapshot": source.replay_snapshot if callback == "parse_source" else None,
                "is_source_request": callback == "parse_source",
                "requested_url": url}  # kept through redirects: the item is recorded under it
        return scrapy.Request(url, callback=getattr(self, callback), errback=self.on_error,
                              headers=headers, meta=meta, dont_filter=True)

    def follow_article(self, url: str, source: SourceSpec, entry: dict[str, Any] | None) -> Iterable[Any]:
        canon = canonical_url(url)
        if canon in self.known or canon in self._seen_pages:
            yield items.page(source.key, url, entry=entry, skipped="known")
            return
        self._seen_pages.add(canon)
        yield self.make_request(url, source, callback="parse_article", entry=entry)

    def parse_source(self, response: Any) -> Iterable[Any]:
        source = self.sources[response.meta["source"]]
        try:
            yield from kind_module(source.kind).parse(self, response, source)
        except Exception as exc:  # a broken source is reported, never fatal
            log.exception("source %s failed while parsing", source.key)
            yield items.source_result(source.key, ok=False, status_code=response.status,
                                      error=f"{type(exc).__name__}: {exc}")
        while self._pending:
            yield self._pending.pop(0)

    def parse_article(self, response: Any) -> Iterable[Any]:
        meta = response.meta
        ctype = response.headers.get("Content-Type", b"").decode("latin-1") or None
        requested = meta.get("requested_url") or meta.get("replay_original_url") or response.request.url
        if response.status >= 400:
            yield items.page(meta["source"], requested, entry=meta["entry"], final_url=response.url,
                             status_code=response.status, error=f"HTTP {response.status}")
            return
        yield items.page(meta["source"], requested,
                         entry=meta["entry"], final_url=response.url, status_code=response.status,
                         content_type=ctype, body=response.body)

    def on_error(self, failure: Failure) -> Iterable[Any]:
        request = failure.request
        meta = request.meta
        url = meta.get("requested_url") or meta.get("replay_original_url") or request.url
        reason = _describe(failure, self.settings.getint("DOWNLOAD_MAXSIZE") if self.settings else 0)
        if meta.get("is_source_request"):
            log.warning("source %s failed: %s", meta["source"], reason)
            yield items.source_result(meta["source"], ok=False, error=reason)
        else:
            skipped = "robots" if "robots" in reason.lower() else None
            if skipped is None:
                log.warning("page %s (source %s) failed: %s", url, meta["source"], reason)
            yield items.page(meta["source"], url, entry=meta.get("entry"), error=reason, skipped=skipped)


_MAXSIZE = re.compile(r"(?:download max size|DOWNLOAD_MAXSIZE) \((\d+)(?: B)?\)")
_TOOK = re.compile(r"took longer than ([\d.]+) seconds")


def _describe(failure: Failure, maxsize: int = 0) -> str:
    """One clear line for a failed request (stored as the item's error / the source's last error).

    Oversized bodies (Content-Length, streamed or after decompression), timeouts and redirect
    loops / chains get fixed wordings; anything else is ``ExceptionType: message`` (≤ 500 chars).
    ``maxsize``: DOWNLOAD_MAXSIZE in bytes (Scrapy cancels a streamed body past it without a message).
    """
    if failure.check(HttpError):
        return f"HTTP {failure.value.response.status}"
    value = failure.value
    text = str(value) or type(value).__name__
    if "Forbidden by robots.txt" in text:
        return "Forbidden by robots.txt"
    size = _MAXSIZE.search(text)
    if size:
        how = " after decompression" if "decompress" in text else ""
        return f"response larger than {size.group(1)} bytes{how} (DOWNLOAD_MAXSIZE); not stored"
    if type(value).__name__ == "DownloadCancelledError" and text == type(value).__name__ and maxsize:
        return f"response larger than {maxsize} bytes (DOWNLOAD_MAXSIZE, cut while streaming); not stored"
    took = _TOOK.search(text)
    if took:
        return f"timeout: no complete response within {took.group(1)} s (DOWNLOAD_TIMEOUT)"
    if "max redirections reached" in text:
        urls = failure.request.meta.get("redirect_urls", []) if getattr(failure, "request", None) else []
        if len(set(urls)) < len(urls):
            return f"redirect loop (a URL repeats within {len(urls)} redirects)"
        return f"too many redirects (more than {len(urls) or 'the allowed number of'} redirects)"
    return f"{type(value).__name__}: {text}"[:500]
