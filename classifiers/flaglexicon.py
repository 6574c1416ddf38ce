"""A flag classifier driven by one category of config/flags.yaml."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from classifiers.base import DocInput, Prediction
from classifiers.lexicon import Lexicon


def load_flag_config(config_dir: Path) -> dict[str, Any]:
    path = config_dir / "flags.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))["categories"]


def config_hash(config_dir: Path, *names: str) -> str:
    h = hashlib.sha256()
    for name in names:
        h.update((config_dir / name).read_bytes())
    return h.hexdigest()[:8]


class LexiconFlagClassifier:
    """Baseline for one risk category: weighted terms, score in [0,1)."""

    kind = "flag"

    def __init__(self, name: str, config_dir: Path) -> None:
        cfg = load_flag_config(config_dir)[name]
        self.name = name
        self.threshold = float(cfg.get("threshold", 0.6))
        self.lexicon = Lexicon(cfg.get("terms", {}))
        self.version = f"lexicon-{config_hash(config_dir, 'flags.yaml')}"

    def predict(self, docs: Sequence[DocInput]) -> list[dict[str, Prediction]]:
        out = []
        for doc in docs:
            score, terms = self.lexicon.score(doc.full, doc.tokens)
            out.append({self.name: Prediction(round(score, 4), self.threshold,
                                              {"rule": "lexicon", "matched_terms": terms[:10]})})
        return out
