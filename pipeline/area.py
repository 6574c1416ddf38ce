"""Area relevance from the gazetteer (config/gazetteer.yaml + config/area.yaml).

A document is in the area when it mentions at least one place of the area
with enough evidence:
- an alias of an entity marked ``ambiguous: false`` in the gazetteer, an
  alias listed under (or containing) an ``anchors`` entry in area.yaml, or an
  alias that names its parent ("Xã Long Sơn, TP.HCM"), is evidence on its own;
- an alias of an ambiguous entity counts only when the same document also has
  such unambiguous evidence (the "supporting context");
- matches inside an ``exclusions`` phrase ("Phú Mỹ Hưng", "cầu Phú Mỹ") and
  entities listed under ``not_area`` (the whole of TP.HCM) never count.
Matching is on syllable boundaries, after normalization, with capitalization
checked ("tỷ phú Mỹ" is not Phú Mỹ). Precision/recall on the labelled
excerpts: see eval/area_relevance.py and README.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pipeline.normalize import normalize_text
from pipeline.textmatch import PhraseMatcher, tokenize

log = logging.getLogger(__name__)
# type words written either case ("xã Long Sơn" / "Xã Long Sơn"); proper names must be capitalized
TYPE_WORDS = frozenset({"xã", "phường", "huyện", "thị", "trấn", "thành", "phố", "tỉnh", "quận", "đặc", "khu",
                        "tp", "tx", "tt", "p", "x", "h", "đk", "vực", "cũ", "mới", "city", "province"})
SECTIONS = ("region", "old_districts", "old_communes_2025", "old_communes_dissolved_2025_01_01",
            "new_units", "landmarks")


@dataclass(frozen=True)
class Place:
    id: str
    name: str
    ambiguous: bool


@dataclass(frozen=True)
class PlaceMatch:
    place: Place
    matched_text: str
    field: str
    start: int
    accepted: bool
    evidence: str


@dataclass
class AreaResult:
    relevant: bool
    matches: list[PlaceMatch] = field(default_factory=list)

    @property
    def accepted(self) -> list[PlaceMatch]:
        return [m for m in self.matches if m.accepted]


PARENT_SUFFIXES = (("tp", "hcm"), ("tphcm",), ("hồ", "chí", "minh"), ("vũng", "tàu"), ("br", "vt"), ("brvt",))


def _anchored(toks: tuple[str, ...], anchor_keys: list[tuple[str, ...]]) -> bool:
    """An alias is unambiguous when it names its parent ("Xã Long Sơn, TP.HCM") or contains an anchor."""
    if any(len(toks) > len(p) and toks[-len(p):] == p for p in PARENT_SUFFIXES):
        return True
    return any(len(a) <= len(toks) and any(toks[i:i + len(a)] == a for i in range(len(toks) - len(a) + 1))
               for a in anchor_keys)


class Gazetteer:
    """Compiled alias matcher; build once per process with :meth:`load`."""

    def __init__(self, entities: list[dict[str, Any]], overrides: dict[str, Any]) -> None:
        anchors = {normalize_text(a).casefold() for a in overrides.get("anchors", [])}
        anchor_keys = [tuple(tokenize(a).lower) for a in anchors]
        not_area = set(overrides.get("not_area", []))
        self.matcher = PhraseMatcher(check_case=True, case_free=TYPE_WORDS)
        self.exclusions = PhraseMatcher(check_case=False)
        for phrase in overrides.get("exclusions", []):
            self.exclusions.add(normalize_text(phrase), phrase)
        self.min_syllables = int(overrides.get("min_alias_syllables", 2))
        chosen: dict[str, tuple[str, Place]] = {}
        for ent in entities:
            if ent.get("id") in not_area:
                continue
            ambiguous = bool(ent.get("ambiguous"))
            place_id = str(ent.get("id") or "landmark:" + ent["name"])
            for alias in {ent["name"], *ent.get("aliases", [])}:
                norm = normalize_text(alias)
                n_syll = len(tokenize(norm))
                if n_syll < self.min_syllables and not (norm.isupper() and len(norm) >= 4):
                    continue
                toks = tuple(tokenize(norm).lower)
                place = Place(place_id, ent["name"], ambiguous and not _anchored(toks, anchor_keys))
                key = " ".join(toks)
                # one place per alias: an unambiguous reading beats an ambiguous one
                if key not in chosen or (chosen[key][1].ambiguous and not place.ambiguous):
                    chosen[key] = (norm, place)
        for norm, place in chosen.values():
            self.matcher.add(norm, place)
        count = len(chosen)
        log.debug("gazetteer: %d aliases", count)

    @classmethod
    def load(cls, gazetteer_path: Path, overrides_path: Path | None = None) -> Gazetteer:
        """Read the gazetteer YAML (sections as in shared/gazetteer/brvt.yaml)."""
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ~10x faster on the 120 KB gazetteer
        data = yaml.load(gazetteer_path.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506 - a safe loader
        overrides = {}
        if overrides_path and overrides_path.exists():
            overrides = yaml.safe_load(overrides_path.read_text(encoding="utf-8")) or {}
        entities = [e for sec in SECTIONS for e in data.get(sec, []) or []]
        entities += overrides.get("extra_places", []) or []
        return cls(entities, overrides)

    def match(self, title: str | None, text: str | None) -> AreaResult:
        """Find area places in normalized ``title`` and ``text``; decide relevance."""
        raw: list[tuple[str, Any]] = []
        for field_name, value in (("title", title), ("text", text)):
            if not value:
                continue
            tokens = tokenize(value)
            excluded = [(m.start, m.end) for m in self.exclusions.finditer(value, tokens)]
            for m in self.matcher.finditer(value, tokens):
                if any(s <= m.start < e or s < m.end <= e for s, e in excluded):
                    continue
                raw.append((field_name, m))
        strong = sorted({m.payload.name for _, m in raw if not m.payload.ambiguous})
        out = []
        for field_name, m in raw:
            place: Place = m.payload
            if not place.ambiguous:
                out.append(PlaceMatch(place, m.text, field_name, m.start, True, "unambiguous name"))
            elif strong:
                out.append(PlaceMatch(place, m.text, field_name, m.start, True,
                                      "ambiguous name, supported by " + ", ".join(strong[:3])))
            else:
                out.append(PlaceMatch(place, m.text, field_name, m.start, False,
                                      "ambiguous name without supporting context"))
        return AreaResult(relevant=bool(strong), matches=out)
