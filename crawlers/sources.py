"""Source definitions: ``config/sources.yaml`` and replay-corpus sources.

A source is declarative (kind, url, language, ...); its ``kind`` names a
module in :mod:`crawlers.registry`. Unknown fields (evidence, notes, status,
relevance) are kept in ``extra`` so the evidence notes travel with the source.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from crawlers.replay import excerpt_entries, read_replay_map


class SourceConfigError(ValueError):
    """sources.yaml is unreadable or a source entry is invalid."""


class SourceSpec(BaseModel):
    """One source as configured. ``urls`` is used by the ``urls`` kind (page list)."""

    model_config = ConfigDict(extra="allow")

    name: str
    kind: str
    url: str = ""
    urls: list[str] = Field(default_factory=list)
    key: str = ""
    outlet: str | None = None
    language: str | None = "vi"
    outlet_type: str | None = "press"
    enabled: bool = True
    article_pattern: str | None = None
    replay_snapshot: str | None = None
    max_entries: int | None = None

    def model_post_init(self, _ctx: Any) -> None:
        if not self.key:
            self.key = slugify(self.name)
        if not self.url and self.urls:
            self.url = self.urls[0]

    @property
    def extra(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


def slugify(text: str) -> str:
    """ASCII slug of a Vietnamese name: 'Dân Trí – home' -> 'dan-tri-home'."""
    text = text.replace("đ", "d").replace("Đ", "D")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def load_sources(path: Path, *, enabled_only: bool = True) -> list[SourceSpec]:
    """Read sources from YAML (``sources:`` list). Raises SourceConfigError."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        specs = [SourceSpec(**item) for item in data.get("sources", [])]
    except (OSError, yaml.YAMLError, ValidationError, TypeError) as exc:
        raise SourceConfigError(f"{path}: {exc}") from exc
    keys = [s.key for s in specs]
    dupes = {k for k in keys if keys.count(k) > 1}
    if dupes:
        raise SourceConfigError(f"{path}: duplicate source keys {sorted(dupes)}")
    return [s for s in specs if s.enabled or not enabled_only]


def sources_from_replay_map(corpus_dir: Path) -> list[SourceSpec]:
    """Demo sources covering a replay corpus: one feed source per captured feed,
    one listing source per listing page, one page-list source per host for
    the article pages that no feed or listing links to, and one page-list
    source for the text excerpts (see :func:`crawlers.replay.excerpt_entries`)."""
    entries = read_replay_map(corpus_dir)
    feeds = [e for e in entries if e.kind.startswith("feed")]
    listings = [e for e in entries if e.kind.startswith("listing")]
    pages = [e for e in entries if e.kind.startswith("page")]
    linked: set[str] = set()
    for e in feeds + listings:
        body = e.read().decode("utf-8", "replace")
        linked.update(re.findall(r"https?://[^\s\"'<>]+", body))
    specs: list[SourceSpec] = []
    for e in feeds:
        host = e.url.split("/")[2]
        specs.append(SourceSpec(name=f"replay feed {host} {e.snapshot}", kind="rss", url=e.url,
                                replay_snapshot=e.snapshot, outlet=host))
    for e in listings:
        host = e.url.split("/")[2]
        specs.append(SourceSpec(name=f"replay listing {host} {e.snapshot}", kind="html", url=e.url,
                                replay_snapshot=e.snapshot, outlet=host))
    by_host: dict[str, list[str]] = {}
    for e in pages:
        if e.url not in linked:
            by_host.setdefault(e.url.split("/")[2], []).append(e.url)
    for host, urls in sorted(by_host.items()):
        specs.append(SourceSpec(name=f"replay pages {host}", kind="urls", urls=sorted(urls), outlet=host))
    excerpts = excerpt_entries(corpus_dir)
    if excerpts:
        specs.append(SourceSpec(name="replay excerpts (text-only captures)", kind="urls",
                                urls=[e.url for e in excerpts], outlet=None))
    return specs
