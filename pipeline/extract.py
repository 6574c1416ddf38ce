"""Article extraction from HTML with trafilatura plus page metadata.

``extract_article(html, url)`` returns an :class:`Extracted` with title, main
text (bounded to ``max_chars``), publication date (aware; see
:mod:`pipeline.dates`), author as given, canonical URL and language hint.
Raises ExtractionError when no main text can be found.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from dataclasses import dataclass

import trafilatura
from lxml import html as lxml_html

from pipeline.dates import date_from_url, fix_outlet_offset, parse_date
from pipeline.sites import parser_for, site_text

log = logging.getLogger(__name__)
EXTRACTOR_VERSION = f"trafilatura-{trafilatura.__version__}+mw2"  # mw2: per-site parsers (pipeline/sites)
# how the pipeline calls trafilatura (benchmarks/pipeline.py uses the same options for its reference)
TRAFILATURA_OPTIONS = {"with_metadata": True, "include_comments": False, "favor_precision": True}
_DATE_META = (
    "article:published_time", "og:article:published_time", "datePublished", "pubdate",
    "publishdate", "dc.date.issued", "date", "sailthru.date",
)


class ExtractionError(ValueError):
    """The page has no extractable main text."""


@dataclass(frozen=True)
class Extracted:
    title: str | None
    text: str
    published_at: dt.datetime | None
    published_source: str | None
    author: str | None
    canonical_url: str | None
    language: str | None


def _meta_dates(tree: lxml_html.HtmlElement) -> list[str]:
    found: list[str] = []
    for node in tree.iter("script"):
        if (node.get("type") or "").lower() == "application/ld+json" and node.text:
            try:
                data = json.loads(node.text)
            except ValueError:
                continue
            stack = data if isinstance(data, list) else [data]
            while stack:
                obj = stack.pop(0)
                if isinstance(obj, dict):
                    if isinstance(obj.get("datePublished"), str):
                        found.append(obj["datePublished"])
                    stack.extend(v for v in obj.values() if isinstance(v, (dict, list)))
                elif isinstance(obj, list):
                    stack.extend(obj)
    for node in tree.iter("meta"):
        key = (node.get("property") or node.get("name") or node.get("itemprop") or "").strip()
        if key in _DATE_META and node.get("content"):
            found.append(node.get("content"))
    for node in tree.iter("time"):
        if node.get("datetime"):
            found.append(node.get("datetime"))
    return found


def _first(tree: lxml_html.HtmlElement, xpath: str) -> str | None:
    values = tree.xpath(xpath)
    for value in values:
        text = (value if isinstance(value, str) else value.text_content()).strip()
        if text:
            return text
    return None


def pick_date(tree: lxml_html.HtmlElement | None, url: str, entry_date: str | None,
              local_tz: str = "Asia/Ho_Chi_Minh") -> tuple[dt.datetime | None, str | None]:
    """Best publication date: page metadata > feed entry > URL stamp; with its provenance."""
    for raw in (_meta_dates(tree) if tree is not None else []):
        parsed = parse_date(raw, local_tz)
        if parsed is not None:
            fixed, corrected = fix_outlet_offset(parsed, local_tz)
            return fixed, "page-meta" + (f" (offset {raw[-6:]} read as local time)" if corrected else "")
    parsed = parse_date(entry_date, local_tz)
    if parsed is not None:
        return parsed, "feed-entry"
    parsed = date_from_url(url, local_tz)
    if parsed is not None:
        return parsed, "url"
    return None, None


def parse_html(html: str) -> lxml_html.HtmlElement:
    """Parse a page once; raises ExtractionError when lxml cannot."""
    try:
        return lxml_html.fromstring(html)
    except (ValueError, lxml_html.etree.ParserError) as exc:
        raise ExtractionError(f"unparsable HTML: {exc}") from exc


def page_text(tree: lxml_html.HtmlElement) -> str:
    """All visible text of a page (scripts and styles left out) plus its title and
    description metadata: a superset of what extraction can return, for cheap filters."""
    parts = [t for t in tree.xpath("//text()[not(ancestor::script) and not(ancestor::style)]") if t.strip()]
    parts += tree.xpath("//meta[@property='og:title' or @name='description' or @property='og:description']/@content")
    return " ".join(" ".join(parts).split())


def page_metadata(tree: lxml_html.HtmlElement, url: str, entry_date: str | None = None,
                  local_tz: str = "Asia/Ho_Chi_Minh") -> dict[str, object]:
    """Title, canonical URL, author, language and date from the page's markup alone."""
    title = _first(tree, "//meta[@property='og:title']/@content") or _first(tree, "//h1") or _first(tree, "//title")
    published, source = pick_date(tree, url, entry_date, local_tz)
    author = _first(tree, "//meta[@name='author']/@content")
    return {
        "title": re.sub(r"\s+", " ", title).strip() if title else None,
        "canonical_url": _first(tree, "//link[@rel='canonical']/@href") or _first(tree, "//meta[@property='og:url']/@content"),
        "author": author.strip() if author else None,
        "language": (tree.get("lang") or "").split("-")[0].lower() or None,
        "published_at": published,
        "published_source": source,
    }


def extract_article(html: str | lxml_html.HtmlElement, url: str, *, entry_date: str | None = None,
                    max_chars: int = 200_000, local_tz: str = "Asia/Ho_Chi_Minh") -> Extracted:
    """Extract one article page (HTML text or an already parsed tree); raises ExtractionError
    if there is no main text."""
    tree = parse_html(html) if isinstance(html, str) else html
    meta = page_metadata(tree, url, entry_date, local_tz)
    site = parser_for(url)
    text = (site_text(site, tree) or "") if site is not None else ""
    doc = None
    if not text:  # no site parser, or the page does not have its structure: trafilatura's default
        doc = trafilatura.bare_extraction(tree, url=url, **TRAFILATURA_OPTIONS)
        text = (getattr(doc, "text", None) or "").strip() if doc is not None else ""
    if not text:
        raise ExtractionError("no main text found")
    title = meta["title"] or getattr(doc, "title", None)
    author = meta["author"] or getattr(doc, "author", None)
    return Extracted(
        title=str(title) if title else None,
        text=text[:max_chars],
        published_at=meta["published_at"],  # type: ignore[arg-type]
        published_source=meta["published_source"],  # type: ignore[arg-type]
        author=str(author).strip() if author else None,
        canonical_url=meta["canonical_url"],  # type: ignore[arg-type]
        language=meta["language"],  # type: ignore[arg-type]
    )
