"""``misinformation`` flag: debunk-memory matching plus a lexicon of rumour/denial terms.

Each document's sentences are compared with the known false claims in
config/debunks.yaml by TF-IDF cosine over syllable unigrams and bigrams
(measured against character 3-5-grams on the demo and shared corpora: the
reported rumour scored 0.61 vs. 0.22 for the closest unrelated sentence with
syllables, 0.57 vs. 0.33 with characters, so syllables are used).
Inverse document frequencies come from a background of news sentences given
to :meth:`fit_background` (the pipeline passes the batch and recent stored
documents), so n-grams common in all news ("người dân", "thành phố") weigh
little. Thresholds are provisional until the matching set of issue 3
calibrates them. Similarity maps to a score as follows: below ``suggest`` 0;
in [suggest, autolink) 0.5-0.6 (a suggestion shown with other flags, never a
flag on its own); from ``autolink`` up 0.9-1.0.
A best similarity >= ``debunk_suggest`` links the debunk as a suggestion,
>= ``debunk_autolink`` as a confident link (thresholds in flags.yaml; Meedan
Check style). score = max(lexicon score, similarity scaled so that the
auto-link threshold maps to 0.9).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import yaml
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity

from classifiers.base import DocInput, Prediction
from classifiers.flaglexicon import config_hash, load_flag_config
from classifiers.lexicon import Lexicon
from pipeline.normalize import normalize_text

_SENTENCE = re.compile(r"(?<=[.!?…])\s+|\n+")


class MisinformationClassifier:
    name = "misinformation"
    kind = "flag"

    def __init__(self, config_dir: Any) -> None:
        cfg = load_flag_config(config_dir)["misinformation"]
        self.threshold = float(cfg.get("threshold", 0.6))
        self.suggest = float(cfg.get("debunk_suggest", 0.35))
        self.autolink = float(cfg.get("debunk_autolink", 0.6))
        self.lexicon = Lexicon(cfg.get("terms", {}))
        path = config_dir / "debunks.yaml"
        self.debunks = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("debunks", []) if path.exists() else []
        self.version = f"lexicon+tfidf-{config_hash(config_dir, 'flags.yaml', 'debunks.yaml')}"
        self.claims = [normalize_text(d["claim"]).casefold() for d in self.debunks]
        self.vectorizer: TfidfVectorizer | None = None
        self.fit_background([])

    def fit_background(self, texts: Sequence[str]) -> None:
        """Refit IDF on the claims plus background ``texts`` (normalized news text)."""
        if not self.claims:
            return
        background = [s for t in texts for s in _SENTENCE.split(t.casefold()) if len(s) > 15][:50_000]
        self.vectorizer = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True,
                                          token_pattern=r"(?u)\b\w+\b")
        self.vectorizer.fit(self.claims + background)
        self.claim_matrix = self.vectorizer.transform(self.claims)

    def _best_debunk(self, text: str) -> tuple[float, dict[str, Any] | None, str]:
        if self.vectorizer is None:
            return 0.0, None, ""
        sentences = [s for s in _SENTENCE.split(text.casefold()) if len(s) > 15][:300]
        if not sentences:
            return 0.0, None, ""
        sims = cosine_similarity(self.vectorizer.transform(sentences), self.claim_matrix)
        row, col = divmod(int(sims.argmax()), sims.shape[1])
        return float(sims[row, col]), self.debunks[col], sentences[row]

    def predict(self, docs: Sequence[DocInput]) -> list[dict[str, Prediction]]:
        out = []
        for doc in docs:
            lex_score, terms = self.lexicon.score(doc.full, doc.tokens)
            sim, debunk, sentence = self._best_debunk(doc.full)
            explanation: dict[str, Any] = {"rule": "lexicon+debunk", "matched_terms": terms[:10]}
            sim_score = 0.0
            if debunk is not None and sim >= self.suggest:
                if sim >= self.autolink:
                    sim_score = 0.9 + 0.1 * min(1.0, (sim - self.autolink) / max(1e-9, 1 - self.autolink))
                else:
                    sim_score = 0.5 + 0.1 * (sim - self.suggest) / max(1e-9, self.autolink - self.suggest)
                explanation["debunk"] = {
                    "id": debunk.get("id"), "claim": debunk["claim"], "verdict": debunk.get("verdict"),
                    "source_url": debunk.get("source_url"), "similarity": round(sim, 3),
                    "link": "auto" if sim >= self.autolink else "suggest", "sentence": sentence[:300],
                }
            out.append({self.name: Prediction(round(max(lex_score, sim_score), 4), self.threshold, explanation)})
        return out


def build(settings: Any) -> MisinformationClassifier:
    return MisinformationClassifier(settings.config_dir)
