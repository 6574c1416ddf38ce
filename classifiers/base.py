"""The classifier interface.

A classifier has a ``name``, a ``kind`` ("flag" for one of the five risk
categories, "topics" for multi-label policy topics) and a ``version``, and
``predict(docs)`` returns, for each input document, a dict label ->
:class:`Prediction` (score in [0,1] plus an explanation an analyst can read).
Flag classifiers return exactly one label, their category. Classifiers are
built from settings by their module's ``build(settings)`` function.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

from pipeline.textmatch import Tokens

FLAG_CATEGORIES = ("misinformation", "scam_fraud", "threat_violence", "hate_abuse", "public_concern")


@dataclass(frozen=True)
class DocInput:
    """What a classifier sees: normalized title and text (display text stays raw)."""

    title: str
    text: str

    @cached_property
    def full(self) -> str:
        return f"{self.title}\n{self.text}" if self.title else self.text

    @cached_property
    def tokens(self) -> Tokens:
        """Syllable tokens of :attr:`full`, computed once and shared by every classifier."""
        return Tokens(self.full)


@dataclass(frozen=True)
class Prediction:
    score: float
    threshold: float
    explanation: dict[str, Any] = field(default_factory=dict)

    @property
    def positive(self) -> bool:
        return self.score >= self.threshold


class Classifier(Protocol):
    name: str
    kind: str
    version: str

    def predict(self, docs: Sequence[DocInput]) -> list[dict[str, Prediction]]:
        """One dict label -> Prediction per document, in input order."""
        ...
