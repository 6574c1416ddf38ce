"""Trained linear text models shared by the classifiers: TF-IDF n-grams + logistic regression.

Features: character n-grams within word boundaries (``char_wb``, 2–5) and
syllable uni/bigrams (Vietnamese words are space-separated syllables, so
"word" tokens here are syllables). Both are measured on the evaluation sets to
do as well as or better than underthesea word segmentation at a fraction of
the cost (eval/report.md). Text is lower-cased and NFC-normalized first.

A :class:`TextModel` is a fitted scikit-learn pipeline plus metadata
(``name``, ``version``, ``threshold``, ``labels``, training-data provenance),
saved as ``classifiers/models/<name>.joblib`` + ``<name>.json``. Models are
loaded only from that folder of the repository (pickles are code: never load
one from a user-supplied path). :meth:`TextModel.explain` gives the top
contributing n-grams of a document (coefficient × TF-IDF weight), which is the
explanation analysts see.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

MODELS_DIR = Path(__file__).resolve().parent / "models"
SYLLABLE_PATTERN = r"(?u)\b\w+\b"


def prepare_text(text: str, max_chars: int = 20_000) -> str:
    """NFC, lower-case, cut at ``max_chars`` characters (bounded work on long pages)."""
    return unicodedata.normalize("NFC", text[:max_chars]).lower()


def make_pipeline(C: float = 4.0, char_range: tuple[int, int] = (2, 5), word_range: tuple[int, int] = (1, 2),  # noqa: N803
                  max_char_features: int = 60_000, max_word_features: int = 40_000, multilabel: bool = False,
                  class_weight: str | None = "balanced") -> Any:
    """An unfitted sklearn Pipeline: FeatureUnion(char_wb TF-IDF, syllable TF-IDF) → LogisticRegression
    (one-vs-rest for ``multilabel``)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import FeatureUnion, Pipeline

    features = FeatureUnion([
        ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=char_range, sublinear_tf=True, min_df=2,
                                 max_features=max_char_features, dtype=np.float32)),
        ("word", TfidfVectorizer(analyzer="word", token_pattern=SYLLABLE_PATTERN, ngram_range=word_range,
                                 sublinear_tf=True, min_df=2, max_features=max_word_features, dtype=np.float32)),
    ])
    clf = LogisticRegression(C=C, max_iter=2000, class_weight=class_weight, solver="liblinear")
    return Pipeline([("features", features), ("clf", OneVsRestClassifier(clf) if multilabel else clf)])


def readable_term(name: str) -> str | None:
    """A feature name as an analyst should see it (prefix and padding removed), or None when it is
    not worth showing: fewer than two letters (character n-grams such as " d")."""
    term = str(name).split("__", 1)[-1].strip()
    return term if sum(ch.isalpha() for ch in term) >= 2 else None


def sha256_files(paths: Sequence[Path]) -> str:
    """SHA-256 over the bytes of ``paths`` in order (the data hash in model cards and the eval gate)."""
    h = hashlib.sha256()
    for p in paths:
        h.update(Path(p).read_bytes())
    return h.hexdigest()


@dataclass
class TextModel:
    """A fitted pipeline with its metadata. ``labels``: class names of the positive columns
    (one for a binary flag model; one per topic for a multi-label model)."""

    name: str
    pipeline: Any
    labels: list[str]
    threshold: float | dict[str, float] = 0.5
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def version(self) -> str:
        return str(self.meta.get("version", f"{self.name}-unversioned"))

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """Probabilities in [0,1], shape (len(texts), len(labels))."""
        proba = self.pipeline.predict_proba([prepare_text(t) for t in texts])
        if len(self.labels) == 1 and proba.shape[1] == 2:
            return proba[:, 1:2]
        return proba

    def threshold_for(self, label: str) -> float:
        return float(self.threshold[label]) if isinstance(self.threshold, dict) else float(self.threshold)

    def explain(self, text: str, label_index: int = 0, k: int = 6) -> list[dict[str, Any]]:
        """The ``k`` n-grams of ``text`` that push the score of ``labels[label_index]`` up most:
        [{"term": str, "weight": float}], weight = coefficient × TF-IDF value (log-odds units)."""
        features = self.pipeline.named_steps["features"]
        clf = self.pipeline.named_steps["clf"]
        estimator = clf.estimators_[label_index] if hasattr(clf, "estimators_") else clf
        row = features.transform([prepare_text(text)]).tocsr()
        coef = estimator.coef_[0]
        contrib = row.data * coef[row.indices]
        names = self._feature_names()
        out = []
        for i in np.argsort(-contrib):
            if contrib[i] <= 0 or len(out) >= k:
                break
            if (term := readable_term(names[row.indices[i]])) is not None:
                out.append({"term": term, "weight": round(float(contrib[i]), 3)})
        return out

    def _feature_names(self) -> np.ndarray:
        if "_names" not in self.meta:
            self.meta["_names"] = self.pipeline.named_steps["features"].get_feature_names_out()
        return self.meta["_names"]

    def save(self, directory: Path = MODELS_DIR) -> tuple[Path, Path]:
        """Write ``<name>.joblib`` and ``<name>.json`` (metadata); returns both paths."""
        import joblib

        directory.mkdir(parents=True, exist_ok=True)
        meta = {k: v for k, v in self.meta.items() if not k.startswith("_")}
        meta.setdefault("trained_at", dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
        model_path, meta_path = directory / f"{self.name}.joblib", directory / f"{self.name}.json"
        joblib.dump({"pipeline": self.pipeline, "labels": self.labels, "threshold": self.threshold}, model_path,
                    compress=3)
        meta["model_sha256"] = hashlib.sha256(model_path.read_bytes()).hexdigest()
        meta_path.write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        self.meta.update(meta)
        return model_path, meta_path

    @classmethod
    def load(cls, name: str, directory: Path = MODELS_DIR) -> TextModel:
        """Load a shipped model by name; raises FileNotFoundError when it was never trained."""
        import joblib

        blob = joblib.load(directory / f"{name}.joblib")
        meta = json.loads((directory / f"{name}.json").read_text(encoding="utf-8"))
        return cls(name, blob["pipeline"], list(blob["labels"]), blob["threshold"], meta)


def model_version(name: str, data_sha256: str) -> str:
    """``<name>-<yyyymmdd>-<first 8 hex of the training data hash>``."""
    return f"{name}-{dt.datetime.now(dt.UTC):%Y%m%d}-{data_sha256[:8]}"
