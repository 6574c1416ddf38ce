"""Polite retries: backoff on 408/429/5xx that honours ``Retry-After``, without blocking other hosts.

:class:`BackoffRetryMiddleware` replaces Scrapy's RetryMiddleware (same settings: RETRY_TIMES,
RETRY_HTTP_CODES, RETRY_EXCEPTIONS). For a retryable answer it waits

* the server's ``Retry-After`` (delta-seconds or HTTP-date, :func:`parse_retry_after`) when
  that is at most ``MEDIAWATCH_RETRY_AFTER_MAX_SECONDS``;
* else, without the header, an exponential backoff with jitter (:func:`backoff_delay`,
  base ``MEDIAWATCH_RETRY_BACKOFF_BASE_SECONDS``, cap ``MEDIAWATCH_RETRY_BACKOFF_MAX_SECONDS``),

then hands the retry back to the engine. The wait is an async sleep (``scrapy.utils.asyncio.sleep``:
asyncio or a Twisted deferLater) in ``process_response``, after the download slot was freed, so
other requests, to this host and to others, go on meanwhile. When ``Retry-After`` exceeds the cap,
or retries are used up, the request is given up: its response goes on to the spider (which records
the HTTP error) and, for a source request (``meta["is_source_request"]``), the wait the server asked
for is remembered so :class:`RetryAfterPipeline` writes it into that source's ``source_result``
(``retry_after``, seconds); the scheduler then leaves the source alone until then.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import random
from typing import Any

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.utils.asyncio import sleep

log = logging.getLogger(__name__)
RETRY_CODES = (408, 429, 500, 502, 503, 504)


def parse_retry_after(value: str | bytes | None, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header value (RFC 9110 §10.2.3).

    ``"120"`` -> 120.0; an HTTP-date (``"Wed, 21 Oct 2026 07:28:00 GMT"``) -> seconds from ``now``
    (aware; default the clock) to it, 0.0 when it is past; None for a missing or unreadable value
    (negative numbers, junk, a date without a zone is read as UTC as RFC 5322 says).
    """
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("latin-1", "replace")
    text = value.strip()
    if not text:
        return None
    if text.isdigit():
        return float(int(text))
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - now).total_seconds())


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Seconds before retry number ``attempt`` (1 = first retry): ``min(cap, base * 2**(attempt-1))``
    with "equal jitter" (uniform in its upper half), so parallel clients do not retry in step."""
    ceiling = min(cap, base * 2 ** max(attempt - 1, 0))
    rng = rng or random
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware with waits (see the module docstring)."""

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.retry_after_max = settings.getfloat("MEDIAWATCH_RETRY_AFTER_MAX_SECONDS", 120.0)
        self.backoff_base = settings.getfloat("MEDIAWATCH_RETRY_BACKOFF_BASE_SECONDS", 2.0)
        self.backoff_max = settings.getfloat("MEDIAWATCH_RETRY_BACKOFF_MAX_SECONDS", 60.0)

    def _remember(self, request: Any, wait: float | None) -> None:
        """Keep the server's requested wait for the source's result (source requests only)."""
        if wait is None or not request.meta.get("is_source_request") or "source" not in request.meta:
            return
        store = retry_after_store(self.crawler)
        key = request.meta["source"]
        store[key] = max(store.get(key, 0.0), wait)

    async def process_response(self, request: Any, response: Any, spider: Any = None) -> Any:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        wait = parse_retry_after(response.headers.get(b"Retry-After"))
        if wait is not None and wait > self.retry_after_max:
            log.warning("%s answered %s with Retry-After %.0f s (more than %.0f s): not retried now",
                        request.url, response.status, wait, self.retry_after_max)
            self._remember(request, wait)
            return response
        retry = self._retry(request, f"HTTP {response.status}")
        if retry is None:  # retries used up
            self._remember(request, wait)
            return response
        delay = wait if wait is not None else backoff_delay(retry.meta.get("retry_times", 1), self.backoff_base,
                                                            self.backoff_max)
        log.info("%s answered %s: retrying in %.1f s", request.url, response.status, delay)
        await sleep(delay)
        return retry

    async def process_exception(self, request: Any, exception: Exception, spider: Any = None) -> Any:
        retry = super().process_exception(request, exception)
        if retry is None:
            return None
        await sleep(backoff_delay(retry.meta.get("retry_times", 1), self.backoff_base, self.backoff_max))
        return retry


def retry_after_store(crawler: Any) -> dict[str, float]:
    """{source key: seconds the server asked to wait} for this crawl (shared by middleware and pipeline)."""
    store = getattr(crawler, "_mediawatch_retry_after", None)
    if store is None:
        store = {}
        crawler._mediawatch_retry_after = store
    return store


class RetryAfterPipeline:
    """Item pipeline: a failed ``source_result`` gets the ``retry_after`` its source was asked for."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> RetryAfterPipeline:
        return cls(crawler)

    def process_item(self, item: dict[str, Any], spider: Any = None) -> dict[str, Any]:
        if item.get("type") == "source_result" and not item.get("ok") and item.get("retry_after") is None:
            wait = retry_after_store(self.crawler).get(item.get("source", ""))
            if wait is not None:
                item["retry_after"] = round(wait, 1)
        return item
