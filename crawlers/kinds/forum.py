"""Public XenForo 2 forums: a forum (node) listing -> its threads -> each post.

From the listing page (``source.url``) thread links are taken from
``.structItem-title a[href*="/threads/"]`` (at most ``max_entries`` threads); each
thread page yields one page record per post (``article.message`` with
``data-content="post-NNN"``, ``data-author``, ``time.u-dt[datetime]`` and the text of
``.message-body .bbWrapper``, quoted blocks removed: they belong to other posts and
name their authors). ``.pageNav-jump--next`` is followed on listings and threads up to
the source's ``max_pages`` pages (default 3). A post's URL is its
permalink (``/threads/<slug>.<id>/post-NNN``, or ``/posts/NNN/`` when the page gives
that); its text travels in the entry (escaped), so nothing is fetched again and no page
body is stored. The author goes into the entry only for ingest to hash it: forum sources
must be ``outlet_type: social``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urljoin, urlsplit

from crawlers import items
from pipeline.canonical import canonical_url

DEFAULT_MAX_PAGES = 3
_POST_ID = re.compile(r"post-(\d+)")
_THREAD_BASE = re.compile(r"^(.*?/threads/[^/]+)")


def start(spider: Any, source: Any) -> Iterable[Any]:
    yield _request(spider, source.url, source, page="listing", n=1)


def _request(spider: Any, url: str, source: Any, *, page: str, n: int) -> Any:
    req = spider.make_request(url, source, callback="parse_source")
    req.meta["forum_page"], req.meta["forum_n"] = page, n
    return req


def _max_pages(spider: Any, source: Any) -> int:
    return max(1, int(source.extra.get("max_pages") or DEFAULT_MAX_PAGES))


def parse(spider: Any, response: Any, source: Any) -> Iterable[Any]:
    page, n = response.meta.get("forum_page", "listing"), response.meta.get("forum_n", 1)
    if response.status >= 400:
        if page == "listing" and n == 1:
            yield items.source_result(source.key, ok=False, status_code=response.status,
                                      error=f"HTTP {response.status}")
        else:
            yield items.page(source.key, response.url, error=f"HTTP {response.status} (forum {page} page {n})")
        return
    if page == "listing":
        yield from _listing(spider, response, source, n)
    else:
        yield from _thread(spider, response, source, n)
    nxt = response.css(".pageNav-jump--next::attr(href)").get()
    if nxt and n < _max_pages(spider, source):
        yield _request(spider, urljoin(response.url, nxt), source, page=page, n=n + 1)


def thread_links(base_url: str, hrefs: Iterable[str]) -> list[str]:
    """Absolute thread URLs on the listing's host, de-duplicated, in page order."""
    host = urlsplit(base_url).hostname
    seen: dict[str, None] = {}
    for href in hrefs:
        url = urljoin(base_url, (href or "").strip()).split("#", 1)[0]
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and parts.hostname == host and "/threads/" in parts.path:
            m = _THREAD_BASE.match(url)
            seen.setdefault((m.group(1) + "/") if m else url, None)
    return list(seen)


def _listing(spider: Any, response: Any, source: Any, n: int) -> Iterable[Any]:
    links = thread_links(response.url, response.css(".structItem-title a::attr(href)").getall())
    links = links[: source.max_entries or spider.max_entries]
    if n == 1:
        yield items.source_result(source.key, ok=True, status_code=response.status, entries=len(links))
    for url in links:
        yield _request(spider, url, source, page="thread", n=1)


def post_text(node: Any) -> str:
    """Text of a post's ``.bbWrapper``: quotes and scripts dropped, one line per block."""
    for junk in node.xpath(".//blockquote[contains(@class,'bbCodeBlock--quote')] | .//script | .//style"
                           " | .//*[contains(@class,'js-selectToQuoteEnd')]"):
        _drop(junk)
    for br in node.xpath(".//br"):
        br.tail = "\n" + (br.tail or "")
    lines = [" ".join(line.split()) for line in "".join(node.itertext()).splitlines()]
    return "\n".join(line for line in lines if line)


def _drop(el: Any) -> None:
    """Remove ``el`` but keep the text that follows it (its tail)."""
    parent, prev = el.getparent(), el.getprevious()
    if el.tail:
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


def _thread(spider: Any, response: Any, source: Any, n: int) -> Iterable[Any]:
    title = " ".join(" ".join(response.css("h1.p-title-value ::text").getall()).split()) or None
    base = _THREAD_BASE.match(response.url)
    for article in response.css("article.message"):
        m = _POST_ID.fullmatch(article.attrib.get("data-content", ""))
        if not m:
            continue
        post_id = m.group(1)
        href = (article.css(f'a[href*="/post-{post_id}"]::attr(href), a[href*="/posts/{post_id}/"]::attr(href)').get())
        if href:
            url = urljoin(response.url, href).split("#", 1)[0]
        elif base:
            url = f"{base.group(1)}/post-{post_id}"
        else:
            url = urljoin(response.url, f"/posts/{post_id}/")
        body = article.css(".message-body .bbWrapper")
        text = post_text(body[0].root) if body else ""
        entry = {"url": url, "guid": f"post-{post_id}", "title": title,
                 "summary": html.escape(text) if text else None,
                 "published": article.css("time.u-dt::attr(datetime)").get(),
                 "author": article.attrib.get("data-author") or None}
        canon = canonical_url(url)
        if canon in spider.known or canon in spider._seen_pages:
            yield items.page(source.key, url, entry=entry, skipped="known")
            continue
        spider._seen_pages.add(canon)
        if not text:
            yield items.page(source.key, url, entry=dict(entry, summary=None, title=None),
                             error="post without text")
            continue
        yield items.page(source.key, url, entry=entry, final_url=response.url, status_code=response.status)
