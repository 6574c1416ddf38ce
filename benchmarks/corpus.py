"""Benchmark pages built from real material: real Vietnamese article texts
(../shared/data/news-categories) placed into real page layouts
(../shared/corpus/pages: a Dân trí and a VnExpress article page).

Every page is distinct (its own URL, canonical link, title and body), so dedup
keeps them. ``area_share`` of the pages get an area dateline
("BÀ RỊA – VŨNG TÀU –") so that share runs every stage (dedup, classification);
the rest end as off-area, as most national news does. Nothing here is committed
data: pages are built on the fly from ../shared and cached under var/bench/.
"""

from __future__ import annotations

import copy
import gzip
import html
import json
import pickle
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from lxml import html as lxml_html

LAYOUTS = {
    "dantri": ("pages/dantri/20221224_khoi-cong-nha-ga-t3-san-bay-tan-son-nhat-20221224192522724.html",
               "h1.title-page", "h2.singular-sapo", "div.singular-content", "https://dantri.com.vn/bench/"),
    "vnexpress": ("pages/vnexpress/2025-10-22_dau-bung-keo-dai-phat-hien-ung-thu-lymphoma-ruot-non-4954454.html",
                  "h1.title-detail", "p.description", "article.fck_detail", "https://vnexpress.net/bench/"),
}
DATELINE = "BÀ RỊA – VŨNG TÀU – "


@dataclass(frozen=True)
class Page:
    url: str
    body: bytes
    content_type: str = "text/html; charset=utf-8"


def _template(corpus: Path, layout: str) -> tuple[str, str]:
    path, h1, sapo, body, base = LAYOUTS[layout]
    tree = lxml_html.fromstring((corpus / path).read_bytes())
    for node in tree.cssselect('link[rel="canonical"], meta[property="og:url"], link[rel="amphtml"]'):
        node.getparent().remove(node)
    for node in tree.cssselect('meta[property="og:title"]'):
        node.set("content", "@@TITLE@@")
    tree.cssselect("title")[0].text = "@@TITLE@@"
    tree.cssselect(h1)[0].text = "@@TITLE@@"
    for child in list(tree.cssselect(h1)[0]):
        tree.cssselect(h1)[0].remove(child)
    sapo_el = tree.cssselect(sapo)[0]
    for child in list(sapo_el):
        sapo_el.remove(child)
    sapo_el.text = "@@SAPO@@"
    body_el = tree.cssselect(body)[0]
    for child in list(body_el):
        body_el.remove(child)
    body_el.text = "@@BODY@@"
    head = tree.find("head")
    canon = copy.deepcopy(lxml_html.fragment_fromstring('<link rel="canonical" href="@@URL@@">'))
    head.insert(0, canon)
    return lxml_html.tostring(tree, encoding="unicode"), base


def _texts(shared_data: Path) -> list[tuple[str, str, list[str]]]:
    """(title, sapo, paragraphs) from the news-categories files, full articles first."""
    out = []
    for line in (shared_data / "news-categories" / "unc_dantri_10topics.jsonl").open(encoding="utf-8"):
        rec = json.loads(line)
        paras = [p for p in rec["text"].split("\n")[1:] if p.strip()]
        if len(paras) >= 2:
            out.append((rec["title"], paras[0], paras[1:]))
    for name in ("rss_vnexpress_section_feeds.jsonl", "rss_general_feeds_sample.jsonl"):
        for line in (shared_data / "news-categories" / name).open(encoding="utf-8"):
            rec = json.loads(line)
            if rec.get("summary") and rec.get("title"):
                summary = html.unescape(rec["summary"])
                out.append((html.unescape(rec["title"]), summary, [summary]))
    return out


def iter_pages(shared: Path, n: int = 5000, area_share: float = 0.5, seed: int = 7) -> Iterator[Page]:
    """``n`` pages, generated lazily (memory stays flat). The first len(texts) pages are
    distinct texts; beyond that texts repeat with a numbered variant line, so they are
    distinct pages that near-duplicate clustering groups (as syndicated copies are)."""
    texts = _texts(shared / "data")
    rng = random.Random(seed)
    templates = {name: _template(shared / "corpus", name) for name in LAYOUTS}
    for i in range(n):
        title, sapo, paras = texts[i % len(texts)]
        if i >= len(texts):
            title, paras = f"{title} ({i // len(texts) + 1})", [*paras, f"Bản tin số {i}."]
        layout = "dantri" if i % 2 == 0 else "vnexpress"
        tpl, base = templates[layout]
        if rng.random() < area_share:
            sapo = DATELINE + sapo
        url = f"{base}bai-{i:07d}.html"
        body = "".join(f"<p>{html.escape(p)}</p>" for p in paras)
        doc = (tpl.replace("@@TITLE@@", html.escape(title)).replace("@@SAPO@@", html.escape(sapo))
               .replace("@@URL@@", url).replace("@@BODY@@", body))
        yield Page(url, doc.encode("utf-8"))


def distinct_texts(shared: Path) -> int:
    return len(_texts(shared / "data"))


def build_pages(shared: Path, n: int = 5000, area_share: float = 0.5, seed: int = 7) -> list[Page]:
    """``n`` pages as a list (small runs and tests)."""
    return list(iter_pages(shared, n, area_share, seed))


def cached_pages(shared: Path, cache_dir: Path, n: int, area_share: float) -> list[Page]:
    cache = cache_dir / f"pages-{n}-{area_share}.pickle.gz"
    if cache.exists():
        return pickle.loads(gzip.decompress(cache.read_bytes()))
    pages = build_pages(shared, n, area_share)
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(gzip.compress(pickle.dumps(pages), compresslevel=1))
    return pages
