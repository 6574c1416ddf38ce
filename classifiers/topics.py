"""Policy topics (multi-label) from config/topics.yaml lexicons."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

from classifiers.base import DocInput, Prediction
from classifiers.flaglexicon import config_hash
from classifiers.lexicon import Lexicon


class TopicClassifier:
    name = "topics"
    kind = "topics"

    def __init__(self, config_dir: Any) -> None:
        cfg = yaml.safe_load((config_dir / "topics.yaml").read_text(encoding="utf-8"))
        self.threshold = float(cfg.get("threshold", 0.75))
        self.labels = {k: v.get("label", k) for k, v in cfg["topics"].items()}
        self.lexicons = {k: Lexicon({t: 1.0 for t in v.get("terms", [])} if isinstance(v.get("terms"), list)
                                    else v.get("terms", {}))
                         for k, v in cfg["topics"].items()}
        self.version = f"lexicon-{config_hash(config_dir, 'topics.yaml')}"

    def predict(self, docs: Sequence[DocInput]) -> list[dict[str, Prediction]]:
        out = []
        for doc in docs:
            preds = {}
            for topic, lexicon in self.lexicons.items():
                score, terms = lexicon.score(doc.full, doc.tokens)
                if terms:
                    preds[topic] = Prediction(round(score, 4), self.threshold,
                                              {"rule": "lexicon", "matched_terms": terms[:8]})
            out.append(preds)
        return out


def build(settings: Any) -> TopicClassifier:
    return TopicClassifier(settings.config_dir)
