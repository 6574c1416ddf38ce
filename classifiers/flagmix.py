"""Flags that combine a readable part (a lexicon or rules) with a model: the model's probability is
rescaled so its threshold lands on the flag's threshold, and the flag's score is the max of the two
(public_concern, threat_violence). Shared here: the model part, its explanation terms, the tail of
the explanation, and the training helpers of those modules.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from classifiers.base import DocInput
from classifiers.textmodel import TextModel, make_pipeline, prepare_text
from classifiers.topics import batch_model_scores, explain_row, rescale


def model_part(model: TextModel | None, docs: Sequence[DocInput], name: str, threshold: float,
               chars: int) -> tuple[np.ndarray, Any]:
    """Rescaled model scores, shape (n,) in [0,1] (the model's threshold for ``name`` maps to
    ``threshold``), and the TF-IDF rows for explanations; zeros and None without a model."""
    if model is None or not docs:
        return np.zeros(len(docs)), None
    proba, rows = batch_model_scores(model, [d.full[:chars] for d in docs])
    return rescale(proba[:, 0], model.threshold_for(name), threshold), rows


def model_terms(model: TextModel | None, rows: Any, i: int, score: float, threshold: float,
                exclude: set[str] | frozenset[str] = frozenset()) -> list[dict[str, Any]]:
    """The model's top n-grams for document ``i`` (not those in ``exclude``) when its score is at least
    half the threshold; [] otherwise or without a model."""
    if model is None or score < 0.5 * threshold:
        return []
    return [t for t in explain_row(model, rows, i, 0, k=5) if t["term"] not in exclude]


def finish_explanation(expl: dict[str, Any], model: TextModel | None, model_score: float, score: float,
                       threshold: float) -> dict[str, Any]:
    """Add the model's score and version; a flag with no matched term says the model raised it."""
    if model is not None:
        expl["model_score"] = round(float(model_score), 4)
        expl["model_version"] = model.version
    if score >= threshold and not expl["matched_terms"]:
        expl["matched_terms"] = [{"term": "(model)", "weight": round(score, 3)}]
    return expl


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """One dict per non-empty line of a UTF-8 JSON-lines file."""
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def fit_binary(params: dict[str, Any], texts: Sequence[str], labels: Sequence[int], chars: int) -> Any:
    """A fitted :func:`classifiers.textmodel.make_pipeline` (``params``) on texts cut to ``chars``."""
    pipe = make_pipeline(**params)
    pipe.fit([prepare_text(t[:chars]) for t in texts], list(labels))
    return pipe
