"""``hate_abuse`` flag: lexicon baseline over config/flags.yaml (trained model: issue 3)."""

from __future__ import annotations

from typing import Any

from classifiers.flaglexicon import LexiconFlagClassifier


def build(settings: Any) -> LexiconFlagClassifier:
    return LexiconFlagClassifier("hate_abuse", settings.config_dir)
