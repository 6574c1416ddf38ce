"""Read XML sitemaps (sitemaps.org 0.9), sitemap indexes and Google News sitemaps.

Pure parsing, no network: :func:`read_sitemap` takes the bytes of one sitemap file
(gzip-compressed ``.xml.gz`` bodies are inflated up to a size cap) and returns a
:class:`Sitemap` with its kind and entries in file order, duplicates dropped.
The DOCTYPE is removed, entities are never resolved and nothing is fetched (:mod:`crawlers.safexml`).

News sitemaps (namespace ``http://www.google.com/schemas/sitemap-news/0.9``) carry
``<news:news>`` with ``<news:title>``, ``<news:publication_date>``, ``<news:language>``
and ``<news:keywords>``; they are read into the entry so the pipeline gets a title and a
date before the page is fetched. Some sites (tingia.gov.vn) list sub-sitemaps inside a
plain ``<urlset>``: :func:`looks_like_sitemap` tells those entries apart.
"""

from __future__ import annotations

import gzip
import io
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from lxml import etree

from crawlers import safexml

MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # sitemaps.org: at most 50 MB uncompressed
MAX_ENTRIES = 50_000  # sitemaps.org: at most 50,000 URLs per file
_SITEMAP_PATH = re.compile(r"(sitemap[^/]*|/sitemaps?/.*)\.(xml|rss)(\.gz)?$|\.xml(\.gz)?$", re.IGNORECASE)


class SitemapError(ValueError):
    """The body is not a readable sitemap (not XML, wrong root element, or too large)."""


@dataclass(frozen=True)
class SitemapEntry:
    """One ``<url>`` or ``<sitemap>`` entry. Dates are the raw W3C strings as written."""

    loc: str
    lastmod: str | None = None
    news_title: str | None = None
    news_published: str | None = None
    news_language: str | None = None
    news_keywords: str | None = None

    @property
    def date(self) -> str | None:
        """The best date of the entry: the news publication date, else lastmod."""
        return self.news_published or self.lastmod


@dataclass(frozen=True)
class Sitemap:
    kind: str  # "urlset" | "sitemapindex"
    entries: list[SitemapEntry]


def inflate(body: bytes, max_bytes: int = MAX_SITEMAP_BYTES) -> bytes:
    """Gunzip ``body`` when it starts with the gzip magic, reading at most ``max_bytes``;
    other bodies are returned unchanged. Raises SitemapError when the inflated size
    exceeds ``max_bytes`` (a compression bomb) or the stream is corrupt."""
    if not body.startswith(b"\x1f\x8b"):
        return body
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(body)) as fh:
            data = fh.read(max_bytes + 1)
    except (OSError, EOFError) as exc:
        raise SitemapError(f"corrupt gzip sitemap: {exc}") from exc
    if len(data) > max_bytes:
        raise SitemapError(f"gzip sitemap inflates past {max_bytes} bytes")
    return data


def _root(body: bytes, strict: bool) -> etree._Element:
    data = body.lstrip(b"\xef\xbb\xbf").lstrip()
    try:
        root = safexml.fromstring(data, recover=not strict)
    except etree.XMLSyntaxError as exc:
        raise SitemapError(f"not XML: {exc}") from exc
    if root is None:
        raise SitemapError("empty or unreadable sitemap")
    return root


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _text(el: etree._Element) -> str | None:
    value = (el.text or "").strip()
    return value or None


def read_sitemap(body: bytes, max_bytes: int = MAX_SITEMAP_BYTES, strict: bool = False) -> Sitemap:
    """Parse one sitemap file; returns its kind and at most :data:`MAX_ENTRIES` entries with an
    http(s) ``loc``, in file order, duplicates dropped. Malformed XML is read as far as possible
    unless ``strict``. Raises SitemapError for non-sitemaps (and, when ``strict``, bad XML)."""
    root = _root(inflate(body, max_bytes), strict)
    kind = _local(root)
    if kind not in ("urlset", "sitemapindex"):
        raise SitemapError(f"not a sitemap: root element <{kind}>, expected <urlset> or <sitemapindex>")
    entries: list[SitemapEntry] = []
    seen: set[str] = set()
    for node in root:
        if _local(node) not in ("url", "sitemap"):
            continue
        fields: dict[str, str | None] = {}
        for child in node:
            name = _local(child)
            if name in ("loc", "lastmod"):
                fields[name] = _text(child)
            elif name == "news":
                for sub in child.iter():
                    sub_name = _local(sub)
                    if sub_name == "title":
                        fields["news_title"] = " ".join((sub.text or "").split()) or None
                    elif sub_name == "publication_date":
                        fields["news_published"] = _text(sub)
                    elif sub_name == "language":
                        fields["news_language"] = _text(sub)
                    elif sub_name == "keywords":
                        fields["news_keywords"] = _text(sub)
        loc = fields.pop("loc", None)
        if not loc or urlsplit(loc).scheme not in ("http", "https") or loc in seen:
            continue
        seen.add(loc)
        entries.append(SitemapEntry(loc=loc, **fields))
        if len(entries) >= MAX_ENTRIES:
            break
    return Sitemap(kind=kind, entries=entries)


def looks_like_sitemap(url: str) -> bool:
    """True for URLs that name a sitemap file (``…/sitemap….xml``, ``/sitemap/x.xml``, ``.xml.gz``)."""
    return bool(_SITEMAP_PATH.search(urlsplit(url).path))
