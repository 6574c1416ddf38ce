"""Downloader middleware routing every request to the replay server when
``MEDIAWATCH_REPLAY_URL`` is set, so crawls of real URLs touch only loopback.
Responses are handed back under their original URL."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

from scrapy import Request
from scrapy.exceptions import NotConfigured
from scrapy.http import Response


class ReplayMiddleware:
    def __init__(self, replay_url: str) -> None:
        self.replay_url = replay_url.rstrip("/")
        self.replay_host = urlsplit(self.replay_url).netloc

    @classmethod
    def from_crawler(cls, crawler: Any) -> ReplayMiddleware:
        url = crawler.settings.get("MEDIAWATCH_REPLAY_URL")
        if not url:
            raise NotConfigured("no replay server")
        return cls(url)

    def process_request(self, request: Request, spider: Any = None) -> Request | None:
        if urlsplit(request.url).netloc == self.replay_host:
            return None
        target = f"{self.replay_url}/replay?url={quote(request.url, safe='')}"
        snapshot = request.meta.get("replay_snapshot")
        if snapshot:
            target += f"&snapshot={quote(snapshot, safe='')}"
        # politeness is per real host: keep Scrapy's download slot on the original hostname, not the replay server
        meta = dict(request.meta, replay_original_url=request.url,
                    download_slot=urlsplit(request.url).hostname or self.replay_host)
        # the rewritten request is scheduled again; it passes the duplicate filter once more only if the
        # original did (crawl workers' article requests: the replay URL is unique per original URL)
        return request.replace(url=target, meta=meta)

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Response:
        original = request.meta.get("replay_original_url")
        if original and urlsplit(response.url).netloc == self.replay_host:
            return response.replace(url=original)
        return response
