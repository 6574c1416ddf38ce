"""``threat_violence`` flag: lexicon baseline over config/flags.yaml (trained model: issue 3)."""

from __future__ import annotations

from typing import Any

from classifiers.flaglexicon import LexiconFlagClassifier


def build(settings: Any) -> LexiconFlagClassifier:
    return LexiconFlagClassifier("threat_violence", settings.config_dir)
