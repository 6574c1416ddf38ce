"""Per-site article parsers, only for sites where trafilatura's default loses text.

A site module declares where the article is (XPaths for the lead, the body container and the
blocks inside it) and why it exists (the measured failure, in its docstring); every other site
uses trafilatura (:func:`pipeline.extract.extract_article`). Adding one = a module here plus one
line in :data:`SITE_PARSERS`, a recorded page in ``tests/fixtures/sources/`` and its expected
output from ``scripts/generate_source_fixtures.py``.

:func:`site_text` returns the article text (paragraphs joined by blank lines) or None when the
page does not have the declared structure (a redesign, a live or video page): the caller then
falls back to trafilatura, so a stale parser degrades to the default instead of failing.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from urllib.parse import urlsplit

from lxml import html as lxml_html

# host (without "www.") -> module
SITE_PARSERS: dict[str, str] = {
    "dantri.com.vn": "pipeline.sites.dantri",
    "vnexpress.net": "pipeline.sites.vnexpress",
}
MIN_CHARS = 200  # less than this from the declared container means the structure did not match


def parser_for(url: str) -> ModuleType | None:
    """The site module for ``url``'s host (subdomains included), or None."""
    host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
    for name, module in SITE_PARSERS.items():
        if host == name or host.endswith("." + name):
            return importlib.import_module(module)
    return None


def _clean(text: str) -> str:
    return " ".join(text.split())


def site_text(module: ModuleType, tree: lxml_html.HtmlElement) -> str | None:
    """Article text by the module's ``LEAD``, ``BODY`` and ``BLOCKS`` XPaths (``SKIP``: classes of
    blocks to leave out; ``CAPTIONS``: blocks to use instead when ``BLOCKS`` hold almost no text,
    as in photo stories); None when the body is missing or shorter than :data:`MIN_CHARS`."""
    bodies = tree.xpath(module.BODY)
    if not bodies:
        return None
    parts: list[str] = []
    lead = tree.xpath(module.LEAD) if getattr(module, "LEAD", None) else []
    if lead:
        parts.append(_clean(lead[0].text_content()))
    skip = set(getattr(module, "SKIP", ()))
    blocks = _texts(bodies[0].xpath(module.BLOCKS), skip)
    if sum(map(len, blocks)) < MIN_CHARS and getattr(module, "CAPTIONS", None):
        blocks = _texts(bodies[0].xpath(module.CAPTIONS), skip)  # a photo story: the captions are the text
    for text in blocks:
        if not parts or text != parts[-1]:
            parts.append(text)
    text = "\n\n".join(p for p in parts if p)
    return text if len(text) >= MIN_CHARS else None


def _texts(blocks: list[lxml_html.HtmlElement], skip: set[str]) -> list[str]:
    out = []
    for block in blocks:
        if not skip & set((block.get("class") or "").split()):
            text = _clean(block.text_content())
            if text:
                out.append(text)
    return out
