"""Classifier registry: name -> module with ``build(settings)``.

Adding a classifier = one module in classifiers/ + one line here. The order
is the order they run in. There is no classifier of political views, and
none is to be added: criticism of a policy is ``public_concern``.
"""

from __future__ import annotations

import importlib
from typing import Any

from classifiers.base import Classifier

CLASSIFIERS: dict[str, str] = {
    "topics": "classifiers.topics",
    "misinformation": "classifiers.misinformation",
    "scam_fraud": "classifiers.scam_fraud",
    "threat_violence": "classifiers.threat_violence",
    "hate_abuse": "classifiers.hate_abuse",
    "public_concern": "classifiers.public_concern",
}


def build_all(settings: Any, names: list[str] | None = None) -> list[Classifier]:
    """Instantiate the registered classifiers (all, or ``names``); raises KeyError for unknown names."""
    return [importlib.import_module(CLASSIFIERS[name]).build(settings) for name in (names or list(CLASSIFIERS))]
