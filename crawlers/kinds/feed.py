"""RSS/Atom feeds: fetched by Scrapy (conditional GET), parsed with feedparser.

Malformed feeds are read as far as possible: feedparser's lenient mode first;
if that yields nothing, junk before the first XML tag (e.g. a browser's
"This XML file does not appear..." banner) is cut and parsing retried.
What could not be read is logged and reported in ``problems``.
A DOCTYPE (entity declarations: billion laughs, XXE) is removed before parsing
(:mod:`crawlers.safexml`), so no entity is ever expanded or fetched.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

import feedparser
import scrapy

from crawlers import items, safexml

log = logging.getLogger(__name__)
_XML_START = re.compile(rb"<\?xml|<rss|<feed|<rdf:RDF", re.I)


def start(spider: Any, source: Any) -> Iterable[scrapy.Request]:
    headers = {}
    state = spider.source_state.get(source.key, {})
    if state.get("etag"):
        headers["If-None-Match"] = state["etag"]
    if state.get("last_modified"):
        headers["If-Modified-Since"] = state["last_modified"]
    yield spider.make_request(source.url, source, callback="parse_source", headers=headers)


def parse_feed_bytes(body: bytes, content_type: str | None) -> tuple[Any, list[str]]:
    """Parse feed bytes leniently; returns (feedparser result, problems found).

    ``body``: the raw response bytes; ``content_type``: the HTTP header value or
    None. The DOCTYPE is removed first (no entity expansion, no external entities);
    feedparser then reads as much as it can. ``problems`` are human-readable strings
    (DOCTYPE removed, malformed XML, junk cut). Raises nothing for any bytes.
    """
    problems: list[str] = []
    wide = body[:2] in (b"<\x00", b"\x00<", b"\xff\xfe", b"\xfe\xff")
    body, note = safexml.strip_doctype(body)
    if note:
        problems.append(note)
    headers = {"content-type": content_type} if content_type and not wide else None
    parsed = feedparser.parse(body, response_headers=headers)
    if parsed.bozo:
        problems.append(f"malformed feed: {parsed.bozo_exception}")
    if not parsed.entries:
        match = _XML_START.search(body)
        if match and match.start() > 0:
            problems.append(f"skipped {match.start()} bytes of non-XML before the feed")
            parsed = feedparser.parse(body[match.start():], response_headers=headers)
            if parsed.bozo:
                problems.append(f"after cut: {parsed.bozo_exception}")
    return parsed, problems


def _entry_record(entry: Any) -> dict[str, Any]:
    link = entry.get("link") or ""
    if not link:
        for candidate in entry.get("links", []):
            if candidate.get("href"):
                link = candidate["href"]
                break
    return {
        "url": link.strip(),
        "guid": (entry.get("id") or "").strip() or None,
        "title": (entry.get("title") or "").strip() or None,
        "summary": entry.get("summary") or None,
        "published": entry.get("published") or entry.get("updated") or None,
        "author": entry.get("author") or None,
    }


def parse(spider: Any, response: Any, source: Any) -> Iterable[Any]:
    if response.status == 304:
        yield items.source_result(source.key, ok=True, status_code=304, not_modified=True,
                                  etag=spider.source_state.get(source.key, {}).get("etag"),
                                  last_modified=spider.source_state.get(source.key, {}).get("last_modified"))
        return
    if response.status >= 400:
        yield items.source_result(source.key, ok=False, status_code=response.status,
                                  error=f"HTTP {response.status}")
        return
    ctype = response.headers.get("Content-Type", b"").decode("latin-1") or None
    parsed, problems = parse_feed_bytes(response.body, ctype)
    for problem in problems:
        log.warning("feed %s (%s): %s", source.key, source.url, problem)
    entries = [_entry_record(e) for e in parsed.entries][: source.max_entries or spider.max_entries]
    usable = [e for e in entries if e["url"]]
    if len(usable) < len(entries):
        problems.append(f"{len(entries) - len(usable)} entries without a link were dropped")
    ok = bool(usable) or not parsed.bozo
    yield items.source_result(
        source.key, ok=ok, status_code=response.status, entries=len(usable),
        error=None if ok else (problems[0] if problems else "no entries"),
        etag=_header(response, b"ETag"), last_modified=_header(response, b"Last-Modified"),
        problems=problems,
    )
    for entry in usable:
        yield from spider.follow_article(entry["url"], source, entry=entry)


def _header(response: Any, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
