"""``hate_abuse`` flag: insults, slurs, abuse and hate speech against people or groups.

What it flags: profanity aimed at someone, insults, demeaning or dehumanizing
language, hate against a group (region, ethnicity, gender, sexuality, disability).
What it does NOT flag: criticism of a policy, an official or an authority, however
sharp (that is ``public_concern``); news reports *about* abuse are left to the
lexicon rules below.

Score = max(model, rules):

* model: TF-IDF char_wb 2-5 + syllable 1-2 grams + logistic regression
  (classifiers/textmodel.py), trained on ViHOS (MIT; comment label = has a hate or
  offensive span) plus the project's original CC0 examples in
  classifiers/data/hate_abuse/ (news-register and policy-criticism negatives and a
  few abusive sentences). The whole document is scored at once: scoring each
  sentence and taking the max found quoted abuse more often but flagged about a
  third of ordinary news articles (see the model card).
* rules: the ``hate_abuse`` lexicon of config/flags.yaml, rescaled so that its own
  threshold lands on the model's threshold (so "rules positive" ⇔ "score ≥ threshold").

The shipped model is classifiers/models/hate_abuse.{joblib,json}; its card is
hate_abuse.md. ``train`` rebuilds them from ../shared/data/vihos; ``evaluations``
measures the shipped classifier on ViHSD and ViCTSD (research-only sets) and trains
research-only TF-IDF baselines in memory for comparison.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import random
import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from classifiers.base import DocInput, Prediction
from classifiers.flaglexicon import config_hash, load_flag_config
from classifiers.lexicon import Lexicon
from classifiers.textmodel import (
    MODELS_DIR,
    SYLLABLE_PATTERN,
    TextModel,
    make_pipeline,
    model_version,
    prepare_text,
    readable_term,
    sha256_files,
)
from evaluation.framework import EvalResult, EvalSpec, shared_file
from pipeline.normalize import normalize_text

NAME = "hate_abuse"
DATA_DIR = Path(__file__).resolve().parent / "data" / NAME
ORIGINAL = DATA_DIR / "original.jsonl"
VIHOS = {"train": ("vihos", "Span_Extraction_based_version", "train.csv"),
         "dev": ("vihos", "Span_Extraction_based_version", "dev.csv"),
         "test": ("vihos", "Test_data", "test.csv")}
C_GRID = (2.0, 4.0, 8.0)
THRESHOLDS = np.round(np.arange(0.05, 0.951, 0.01), 2)
ORIGINAL_WEIGHT = 3.0  # sample weight of original examples and analyst labels (few, but in our domain)
N_PARAGRAPHS = 300  # synthetic news-like paragraphs built from the original negative sentences
K_TERMS = 6
_SYLLABLE = re.compile(SYLLABLE_PATTERN)


# --- data ---------------------------------------------------------------------------------------

def read_csv(path: Path, text_col: str, label_col: str) -> tuple[list[str], list[str]]:
    """(texts, raw label strings) of a CSV file; empty cells become ""."""
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return [r.get(text_col) or "" for r in rows], [r.get(label_col) or "" for r in rows]


def load_vihos(settings: Any, split: str) -> tuple[list[str], list[int], Path]:
    """ViHOS ``split`` ("train" | "dev" | "test") as (normalized texts, 0/1 labels, path):
    label 1 when the comment has any hate/offensive span (``index_spans != "[]"``).
    Raises DataMissing without ../shared."""
    path = shared_file(settings, "data", *VIHOS[split])
    texts, spans = read_csv(path, "content", "index_spans")
    return [normalize_text(t) for t in texts], [int(s.strip() not in ("", "[]")) for s in spans], path


def load_original() -> list[dict[str, Any]]:
    """The original CC0 examples: [{"text", "label" (0/1), "kind"}] from classifiers/data/hate_abuse/."""
    return [json.loads(line) for line in ORIGINAL.read_text(encoding="utf-8").splitlines() if line.strip()]


def dedup_key(text: str) -> str:
    """Case-, punctuation- and whitespace-insensitive identity of a short text (for overlap checks)."""
    return re.sub(r"\W+", " ", normalize_text(text).casefold()).strip()


def _paragraphs(sentences: list[str], n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.sample(sentences, min(len(sentences), rng.randint(3, 8)))) for _ in range(n)]


def _exclusion_keys(settings: Any) -> tuple[set[str], list[str]]:
    """Keys of every evaluation text (ViHOS dev/test, ViHSD test, ViCTSD test) present under ../shared:
    training comments equal to one of them are dropped, so held-out numbers stay held out."""
    files = [("ViHOS dev", VIHOS["dev"], "content"), ("ViHOS test", VIHOS["test"], "content"),
             ("ViHSD test", ("vihsd", "test.csv"), "free_text"), ("ViCTSD test", ("victsd", "ViCTSD_test.csv"), "Comment")]
    keys: set[str] = set()
    used = []
    for label, parts, col in files:
        path = Path(settings.shared_dir, "data", *parts)
        if path.exists():
            keys |= {dedup_key(t) for t in read_csv(path, col, col)[0]}
            used.append(label)
    return keys, used


# --- features -----------------------------------------------------------------------------------

@lru_cache(maxsize=50_000)
def _char_grams(word: str) -> tuple[str, ...]:
    """scikit-learn's ``char_wb`` 2-5 n-grams of one word, in the same order."""
    padded, grams = f" {word} ", []
    for n in range(2, 6):
        offset = 0
        grams.append(padded[:n])
        while offset + n < len(padded):
            offset += 1
            grams.append(padded[offset:offset + n])
        if offset == 0:  # a short word counts once, as in scikit-learn
            break
    return tuple(grams)


# --- the classifier -----------------------------------------------------------------------------

class HateAbuseClassifier:
    """Shipped model + lexicon rules; see the module docstring."""

    name = NAME
    kind = "flag"

    def __init__(self, model: TextModel, config_dir: Path) -> None:
        cfg = load_flag_config(config_dir)[NAME]
        self.model = model
        self.threshold = float(model.threshold_for(NAME))
        self.rule_threshold = float(cfg.get("threshold", 0.6))
        self.lexicon = Lexicon(cfg.get("terms", {}))
        self.version = f"{model.version}+lexicon-{config_hash(config_dir, 'flags.yaml')}"
        features = model.pipeline.named_steps["features"]
        self._features = features
        self._char, self._word = (dict(features.transformer_list)[k] for k in ("char", "word"))
        self._word_index: dict[str, np.ndarray] = {}
        ch, wd = self._char, self._word
        self._fast = (ch.analyzer == "char_wb" and ch.ngram_range == (2, 5) and wd.analyzer == "word"
                      and wd.ngram_range == (1, 2) and wd.token_pattern == SYLLABLE_PATTERN
                      and ch.sublinear_tf and wd.sublinear_tf and ch.norm == wd.norm == "l2")
        self._coef = model.pipeline.named_steps["clf"].coef_[0]
        self._names = [n.split("__", 1)[-1].strip() for n in features.get_feature_names_out()]

    def _rule_score(self, s: float) -> float:
        """Lexicon score rescaled piecewise-linearly so that its threshold maps to the model's."""
        t, r = self.threshold, self.rule_threshold
        return s * t / r if s < r else t + (s - r) * (1 - t) / max(1e-9, 1 - r)

    def _grams_of(self, word: str) -> np.ndarray:
        idx = self._word_index.get(word)
        if idx is None:
            vocab = self._char.vocabulary_
            idx = np.array([vocab[g] for g in _char_grams(word) if g in vocab], dtype=np.int64)
            if len(self._word_index) < 200_000:
                self._word_index[word] = idx
        return idx

    def _syllable_grams(self, text: str) -> list[int]:
        toks = _SYLLABLE.findall(text)
        vocab = self._word.vocabulary_
        grams = toks + [f"{x} {y}" for x, y in zip(toks, toks[1:], strict=False)]
        return [vocab[g] for g in grams if g in vocab]

    def features(self, texts: list[str]) -> Any:
        """Feature matrix (CSR, float32) of ``prepare_text``-ed texts, equal to the pipeline's own
        ``features.transform`` (per block: counts → 1 + log → × idf → L2) but built from cached per-word
        n-gram indices and summed by scipy: several times faster than scikit-learn's analyzers."""
        from scipy.sparse import csr_matrix

        if not self._fast:  # a model with other features: use scikit-learn
            return self._features.transform(texts).tocsr()
        n_char, n = len(self._char.vocabulary_), len(texts)
        idf = np.r_[self._char.idf_, self._word.idf_].astype(np.float32)
        empty = np.empty(0, np.int64)
        cols, counts = [], []
        for text in texts:
            words = Counter(text.split())
            grams = Counter(self._syllable_grams(text))
            parts = [self._grams_of(w) for w in words] + [np.fromiter(grams, np.int64, len(grams)) + n_char, empty]
            cols.append(np.concatenate(parts))
            counts.append(np.repeat(np.fromiter(words.values(), np.float32, len(words)), [len(p) for p in parts[:-2]]))
            counts.append(np.fromiter(grams.values(), np.float32, len(grams)))
        rows = np.repeat(np.arange(n), [len(c) for c in cols])
        matrix = csr_matrix((np.concatenate(counts or [empty]).astype(np.float32), (rows, np.concatenate(cols or [empty]))),
                            shape=(n, len(idf)), dtype=np.float32)  # duplicates are summed: raw counts
        matrix.data = (np.log(matrix.data) + 1) * idf[matrix.indices]
        row_of = np.repeat(np.arange(n), np.diff(matrix.indptr))
        block = (matrix.indices >= n_char).astype(np.int64)  # 0 = char, 1 = syllable
        norms = np.sqrt(np.bincount(row_of * 2 + block, weights=matrix.data.astype(np.float64) ** 2, minlength=2 * n))
        matrix.data /= np.maximum(norms[row_of * 2 + block], 1e-12).astype(np.float32)
        return matrix

    def _top_terms(self, matrix: Any, i: int) -> list[dict[str, Any]]:
        """Same as :meth:`TextModel.explain` (coefficient × TF-IDF, positive only) for row ``i`` of an
        already vectorized CSR matrix, so each document is vectorized once."""
        lo, hi = matrix.indptr[i], matrix.indptr[i + 1]
        cols = matrix.indices[lo:hi]
        contrib = matrix.data[lo:hi] * self._coef[cols]
        out: list[dict[str, Any]] = []
        for j in np.argsort(-contrib):
            if contrib[j] <= 0 or len(out) >= K_TERMS:
                break
            if (term := readable_term(self._names[cols[j]])) is not None:
                out.append({"term": term, "weight": round(float(contrib[j]), 3)})
        return out

    def predict(self, docs: Sequence[DocInput]) -> list[dict[str, Prediction]]:
        """One {"hate_abuse": Prediction} per doc; score in [0,1], threshold from the model card."""
        if not docs:
            return []
        matrix = self.features([prepare_text(d.full) for d in docs])
        model_scores = self.model.pipeline.named_steps["clf"].predict_proba(matrix)[:, 1]
        out = []
        for i, doc in enumerate(docs):
            lex, lex_terms = self.lexicon.score(doc.full, doc.tokens)
            rule = self._rule_score(lex)
            m = float(model_scores[i])
            terms = [{"term": t["term"], "weight": t["weight"]} for t in lex_terms[:5]]
            terms += [t for t in self._top_terms(matrix, i) if t["term"] not in {x["term"] for x in terms}]
            rules = ["lexicon"] if lex >= self.rule_threshold else []
            explanation = {"rule": "model+rules", "model_version": self.model.version,
                           "model_score": round(m, 4), "lexicon_score": round(lex, 4), "rules": rules,
                           "matched_terms": terms[:10]}
            out.append({NAME: Prediction(round(min(1.0, max(m, rule)), 4), self.threshold, explanation)})
        return out


def build(settings: Any) -> HateAbuseClassifier:
    """The shipped classifier (needs only the repo: classifiers/models/hate_abuse.* and config/flags.yaml)."""
    return HateAbuseClassifier(TextModel.load(NAME), Path(settings.config_dir))


# --- training -----------------------------------------------------------------------------------

def _best_threshold(y: Sequence[int], scores: np.ndarray) -> tuple[float, float]:
    """(threshold, macro-F1) maximizing macro-F1 over THRESHOLDS (ties: the lowest)."""
    from sklearn.metrics import f1_score

    f1s = [f1_score(y, scores >= t, average="macro") for t in THRESHOLDS]
    i = int(np.argmax(f1s))
    return float(THRESHOLDS[i]), float(f1s[i])


def _binary_metrics(y: Sequence[int], scores: np.ndarray, threshold: float) -> dict[str, Any]:
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support, roc_auc_score

    pred = (scores >= threshold).astype(int)
    p, r, f, s = precision_recall_fscore_support(y, pred, labels=[0, 1], zero_division=0)
    return {"n": len(y), "macro_f1": round(float(np.mean(f)), 4), "auc": round(float(roc_auc_score(y, scores)), 4),
            "per_class": {lab: {"precision": round(float(p[i]), 4), "recall": round(float(r[i]), 4),
                                "f1": round(float(f[i]), 4), "support": int(s[i])}
                          for i, lab in enumerate(("clean", "abusive"))},
            "confusion": confusion_matrix(y, pred, labels=[0, 1]).tolist()}


def _fit(texts: list[str], labels: list[int], weights: np.ndarray, dev: tuple[list[str], list[int]]
         ) -> tuple[Any, float, float, dict[str, float]]:
    """Fit one pipeline per C in C_GRID; keep the best on ``dev`` (macro-F1 at its best threshold).
    Returns (pipeline, C, threshold, {C: dev macro-F1})."""
    best: tuple[float, Any, float, float] | None = None
    tried = {}
    for c in C_GRID:
        pipe = make_pipeline(C=c)
        pipe.fit([prepare_text(t) for t in texts], labels, clf__sample_weight=weights)
        thr, f1 = _best_threshold(dev[1], pipe.predict_proba([prepare_text(t) for t in dev[0]])[:, 1])
        tried[str(c)] = round(f1, 4)
        if best is None or f1 > best[0]:
            best = (f1, pipe, c, thr)
    assert best is not None
    return best[1], best[2], best[3], tried


def _news_flag_rate(settings: Any, model: TextModel) -> dict[str, Any] | None:
    """Share of the ../shared/corpus news texts (all ordinary news, none abusive) the model flags."""
    corpus = Path(settings.shared_dir, "corpus")
    texts = [p.read_text(encoding="utf-8") for p in sorted(corpus.glob("gold/*/*.txt"))]
    excerpts = corpus / "excerpts" / "pages_corpus_brvt.jsonl"
    if excerpts.exists():
        texts += [json.loads(line)["excerpt"] for line in excerpts.read_text(encoding="utf-8").splitlines() if line]
    if not texts:
        return None
    scores = model.scores([normalize_text(t) for t in texts])[:, 0]
    return {"n": len(texts), "flagged": round(float(np.mean(scores >= model.threshold_for(NAME))), 4)}


def train(settings: Any, with_labels: bool = False, models_dir: Path = MODELS_DIR) -> dict[str, Any]:
    """Train the shipped model and write ``models_dir``/hate_abuse.{joblib,json,md}.

    Data: ViHOS train (../shared/data/vihos, MIT) minus comments that also occur in an evaluation
    set, plus classifiers/data/hate_abuse/original.jsonl (CC0) and 300 news-like paragraphs built
    from its negative sentences, plus analyst labels when ``with_labels``. C is picked on ViHOS dev,
    the threshold maximizes macro-F1 on ViHOS dev; held-out metrics are on the official ViHOS test.
    Returns a JSON-able summary. Raises DataMissing without ../shared/data/vihos."""
    tr_x, tr_y, tr_path = load_vihos(settings, "train")
    dev_x, dev_y, dev_path = load_vihos(settings, "dev")
    te_x, te_y, te_path = load_vihos(settings, "test")
    exclude, excluded_from = _exclusion_keys(settings)
    kept = [i for i, t in enumerate(tr_x) if dedup_key(t) not in exclude]
    original = load_original()
    para_src = [r["text"] for r in original if r["label"] == 0 and r["kind"] in ("news", "policy_criticism")]
    extra_x = [normalize_text(r["text"]) for r in original] + _paragraphs(para_src, N_PARAGRAPHS)
    extra_y = [int(r["label"]) for r in original] + [0] * N_PARAGRAPHS
    base_x, base_y = [tr_x[i] for i in kept] + extra_x, [tr_y[i] for i in kept] + extra_y
    weights = np.r_[np.ones(len(kept)), np.full(len(extra_x), ORIGINAL_WEIGHT)]
    labels = [] if not with_labels else _analyst_labels(settings)
    data_hash = hashlib.sha256(sha256_files([tr_path, dev_path, ORIGINAL]).encode()
                               + json.dumps(labels, ensure_ascii=False).encode()).hexdigest()

    before = None
    if labels:
        pipe0, _, thr0, _ = _fit(base_x, base_y, weights, (dev_x, dev_y))
        before = _binary_metrics(te_y, pipe0.predict_proba([prepare_text(t) for t in te_x])[:, 1], thr0)
    lab_x, lab_y = [normalize_text(t) for t, _ in labels], [int(v) for _, v in labels]
    pipe, c, thr, tried = _fit(base_x + lab_x, base_y + lab_y,
                               np.r_[weights, np.full(len(lab_x), ORIGINAL_WEIGHT)], (dev_x, dev_y))
    held_out = _binary_metrics(te_y, pipe.predict_proba([prepare_text(t) for t in te_x])[:, 1], thr)
    meta = {
        "version": model_version(NAME, data_hash), "data_sha256": data_hash, "C": c, "dev_macro_f1_by_C": tried,
        "threshold_rule": "maximizes macro-F1 on ViHOS dev (grid 0.05..0.95 step 0.01)",
        "training_data": {"vihos_train": len(tr_x), "vihos_train_kept": len(kept),
                          "dropped_overlap_with": excluded_from, "original_examples": len(original),
                          "synthetic_paragraphs": N_PARAGRAPHS, "analyst_labels": len(labels)},
        "held_out": {"set": "ViHOS official test (Test_data/test.csv)", **held_out},
        "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    model = TextModel(NAME, pipe, [NAME], thr, meta)
    meta["news_flag_rate"] = _news_flag_rate(settings, model)
    model.save(models_dir)
    summary = {"n_train": len(base_x) + len(lab_x), "version": model.version, "threshold": thr, "C": c,
               "held_out": {k: held_out[k] for k in ("n", "macro_f1", "auc")}}
    if with_labels:
        summary["labels"] = {"n": len(labels), "before": None if before is None else
                             {k: before[k] for k in ("macro_f1", "auc")}, "after": summary["held_out"]}
    shipped = _shipped_eval_table(settings, model, models_dir)
    (models_dir / f"{NAME}.md").write_text(_card(model, shipped), encoding="utf-8")
    return summary


def _analyst_labels(settings: Any) -> list[tuple[str, int]]:
    from classifiers.labels import analyst_labels

    return analyst_labels(settings, NAME)


# --- evaluations --------------------------------------------------------------------------------

def _vihsd(settings: Any, split: str) -> tuple[list[str], np.ndarray, Path]:
    path = shared_file(settings, "data", "vihsd", f"{split}.csv")
    texts, labels = read_csv(path, "free_text", "label_id")
    return [normalize_text(t) for t in texts], np.array([int(v) for v in labels]), path


def _victsd(settings: Any, split: str) -> tuple[list[str], np.ndarray, Path]:
    path = shared_file(settings, "data", "victsd", f"ViCTSD_{split}.csv")
    texts, labels = read_csv(path, "Comment", "Toxicity")
    return [normalize_text(t) for t in texts], np.array([int(v) for v in labels]), path


def _shipped_scores(clf: HateAbuseClassifier, texts: list[str]) -> np.ndarray:
    preds = clf.predict([DocInput("", t) for t in texts])
    return np.array([p[NAME].score for p in preds])


def _run_shipped(settings: Any, key: str, clf: HateAbuseClassifier | None = None) -> EvalResult:
    clf = clf or build(settings)
    if key == "vihsd/hate_abuse":
        texts, y, path = _vihsd(settings, "test")
        y = (y >= 1).astype(int)
        published: dict[str, float] = {}
        notes = ("Binary: gold = OFFENSIVE or HATE. The published ViHSD numbers are 3-class (see "
                 "`vihsd/hate_abuse@research-tfidf`), so none is listed here. ViHOS comments come from ViHSD; "
                 "ViHOS training comments that also occur in this test split were dropped before training.")
    else:
        texts, y, path = _victsd(settings, "test")
        published = {"PhoBERT": 59.40, "TF-IDF (measured here)": 72.1}
        notes = ("ViCTSD `Toxicity` is broader than abuse (rude, disrespectful or aggressive comments on VnExpress, "
                 "where profanity is moderated); the shipped model was not trained on it.")
    scores = _shipped_scores(clf, texts)
    return EvalResult(key, ["clean", "abusive"], y, (scores >= clf.threshold).astype(int), scores,
                      sha256_files([path]), clf.version, True, published,
                      notes + f" Threshold {clf.threshold} (chosen on ViHOS dev).")


# Research-only configurations, picked on each set's dev split (offline grid; refitting the grid in every
# eval run would exceed the 60 s budget on a loaded core). Dev macro-F1 (%) of what was tried:
# ViHSD (argmax, balanced one-vs-rest): C=1 64.2, C=2 64.3, C=4 64.7, C=8 63.9, C=16 64.0; C=4 char 1-5 64.8;
#   C=4 syllable 1-3 64.5; unbalanced C=4 61.1 (65.6 with dev-tuned class weights, 65.0 on test: not kept).
# ViCTSD (threshold tuned on valid): C=0.5 70.6, C=1 70.7, C=2 70.2, C=4 70.4, C=8 70.7, C=16 70.4;
#   C=4 char 1-5 70.3, char 3-6 70.8, syllable 1-3 70.7; unbalanced C=4 70.6.
RESEARCH_VIHSD = {"C": 4.0, "char_range": (2, 5)}  # char 1-5 is 0.1 point better on dev, ~60% slower: noise
RESEARCH_VICTSD = {"C": 4.0, "char_range": (3, 6)}
RESEARCH_NOTE = " Configuration picked on the dev split among the ones listed in classifiers/hate_abuse.py. Never saved."


def _describe(cfg: dict[str, Any]) -> str:
    lo, hi = cfg["char_range"]
    return f"TF-IDF char_wb {lo}-{hi} + syllable 1-2, LR C={cfg['C']:g}"


def _run_research_vihsd(settings: Any) -> EvalResult:
    """3-class TF-IDF baseline (one-vs-rest, balanced) trained in memory on ViHSD train."""
    (tr_x, tr_y, p1), (_, _, p2), (te_x, te_y, p3) = (_vihsd(settings, s) for s in ("train", "dev", "test"))
    pipe = make_pipeline(multilabel=True, **RESEARCH_VIHSD)  # one-vs-rest logistic regressions over 3 classes
    pipe.fit([prepare_text(t) for t in tr_x], tr_y)
    proba = pipe.predict_proba([prepare_text(t) for t in te_x])
    return EvalResult("vihsd/hate_abuse@research-tfidf", ["clean", "offensive", "hate"], te_y, proba.argmax(1),
                      proba, sha256_files([p1, p2, p3]),
                      f"research-only: {_describe(RESEARCH_VIHSD)} (one-vs-rest), ViHSD train", False,
                      {"TF-IDF (measured here)": 64.5}, "Prediction = most probable class." + RESEARCH_NOTE)


def _run_research_victsd(settings: Any) -> EvalResult:
    """Binary TF-IDF baseline trained in memory on ViCTSD train; threshold maximizes macro-F1 on ViCTSD valid."""
    (tr_x, tr_y, p1), (dv_x, dv_y, p2), (te_x, te_y, p3) = (_victsd(settings, s) for s in ("train", "valid", "test"))
    pipe = make_pipeline(**RESEARCH_VICTSD)
    pipe.fit([prepare_text(t) for t in tr_x], tr_y)
    thr, _ = _best_threshold(dv_y, pipe.predict_proba([prepare_text(t) for t in dv_x])[:, 1])
    scores = pipe.predict_proba([prepare_text(t) for t in te_x])[:, 1]
    return EvalResult("victsd/toxicity@research-tfidf", ["clean", "toxic"], te_y, (scores >= thr).astype(int),
                      scores, sha256_files([p1, p2, p3]),
                      f"research-only: {_describe(RESEARCH_VICTSD)}, threshold {thr}, ViCTSD train", False,
                      {"PhoBERT": 59.40, "TF-IDF (measured here)": 72.1},
                      f"Threshold {thr} chosen on ViCTSD valid." + RESEARCH_NOTE)


def evaluations(settings: Any) -> list[EvalSpec]:
    """Specs: shipped classifier on ViHSD test (binary) and ViCTSD test (Toxicity), and research-only
    TF-IDF baselines trained in memory on each set's train split. Each raises DataMissing without ../shared."""
    return [
        EvalSpec("vihsd/hate_abuse", NAME, lambda s: _run_shipped(s, "vihsd/hate_abuse"),
                 "ViHSD official test, binary (offensive or hate vs clean), shipped classifier"),
        EvalSpec("victsd/toxicity", NAME, lambda s: _run_shipped(s, "victsd/toxicity"),
                 "ViCTSD test, Toxicity column, shipped classifier"),
        EvalSpec("vihsd/hate_abuse@research-tfidf", NAME, _run_research_vihsd,
                 "ViHSD 3-class, TF-IDF model trained on ViHSD train (research-only, in memory)"),
        EvalSpec("victsd/toxicity@research-tfidf", NAME, _run_research_victsd,
                 "ViCTSD Toxicity, TF-IDF model trained on ViCTSD train (research-only, in memory)"),
    ]


def _shipped_eval_table(settings: Any, model: TextModel, models_dir: Path) -> list[tuple[str, dict[str, Any]]]:
    from evaluation.framework import DataMissing, compute_metrics

    clf = HateAbuseClassifier(model, Path(settings.config_dir))
    rows = []
    for key in ("vihsd/hate_abuse", "victsd/toxicity"):
        try:
            rows.append((key, compute_metrics(_run_shipped(settings, key, clf))))
        except DataMissing:
            continue
    return rows


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}"


def _card(model: TextModel, shipped: list[tuple[str, dict[str, Any]]]) -> str:
    """The Markdown model card (classifiers/models/hate_abuse.md)."""
    m, h = model.meta, model.meta["held_out"]
    td, news = m["training_data"], m.get("news_flag_rate")
    pc = h["per_class"]
    lines = [
        f"# Model card: `{NAME}`", "",
        f"Version `{model.version}`, trained {m['trained_at']} by `mediawatch train {NAME}`.", "",
        "Flags insults, slurs, profanity aimed at people, demeaning language and hate against groups "
        "(region, ethnicity, gender, sexuality, disability). Criticism of a policy or an authority is "
        "*not* abuse (it is `public_concern`); the original examples include such criticism as negatives.", "",
        "## Data and licences", "",
        f"- ViHOS (MIT, Hoang et al., EACL 2023), span-annotated comments; comment label = any hate/offensive "
        f"span. Train split: {td['vihos_train']} comments, {td['vihos_train_kept']} kept after dropping comments "
        f"that also occur in {', '.join(td['dropped_overlap_with']) or '(no evaluation set present)'} "
        "(ViHOS was sampled from ViHSD, so about 1,250 of its training comments are ViHSD test comments).",
        f"- {td['original_examples']} original examples written for this project (CC0, "
        "`classifiers/data/hate_abuse/`): news-register and policy-criticism sentences and neutral comments "
        f"(label 0) and abusive sentences (label 1), weight {ORIGINAL_WEIGHT:g}; plus {td['synthetic_paragraphs']} "
        "paragraphs of 3-8 of its news/criticism sentences (label 0), so whole articles are seen as clean.",
        f"- Analyst labels: {td['analyst_labels']}.",
        "- No research-only data (ViHSD, ViCTSD) is in the model.", "",
        "## Model, threshold", "",
        f"TF-IDF char_wb 2-5 + syllable 1-2 grams + logistic regression (balanced), C = {m['C']:g} picked on "
        f"ViHOS dev (macro-F1 by C: {m['dev_macro_f1_by_C']}). Threshold **{model.threshold}**: "
        f"{m['threshold_rule']}. The classifier's score is max(model, lexicon of config/flags.yaml rescaled so "
        "its threshold 0.6 maps to the model threshold); explanations are the top n-grams by coefficient × "
        "TF-IDF (`TextModel.explain`), after matched lexicon terms. Speed: about 1,100 documents of 2 KB per "
        "second on one core (features summed from cached per-word n-gram indices, equal to scikit-learn's "
        "transform, which alone manages about 400/s).", "",
        "## Held-out metrics (ViHOS official test, model alone)", "",
        f"n = {h['n']}, macro-F1 **{_pct(h['macro_f1'])}**, ROC-AUC {h['auc']:.3f}. "
        f"Clean P/R/F1 {_pct(pc['clean']['precision'])}/{_pct(pc['clean']['recall'])}/{_pct(pc['clean']['f1'])}; "
        f"abusive {_pct(pc['abusive']['precision'])}/{_pct(pc['abusive']['recall'])}/{_pct(pc['abusive']['f1'])}. "
        f"Confusion (rows true clean/abusive): {h['confusion']}.", "",
    ]
    if shipped:
        lines += ["## Other sets (shipped classifier, `mediawatch eval`)", "",
                  "| key | n | macro-F1 | ROC-AUC |", "|---|---|---|---|"]
        lines += [f"| `{k}` | {r['n']} | {_pct(r['macro_f1'])} | {r['auc']:.3f} |" for k, r in shipped]
        lines.append("")
    if news:
        lines += [f"Ordinary news texts of ../shared/corpus flagged by the model: {news['flagged']:.1%} of "
                  f"{news['n']} (none is abusive). Without the original news-register negatives it was about 60%.", ""]
    lines += [
        "## Tried and rejected (measured during development)", "",
        "- Scoring each sentence and taking the max: ViHOS test comments pasted into news texts were found "
        "89% of the time instead of 44%, but 34% of ordinary news texts were flagged instead of 3%. Whole-document "
        "scoring is shipped; quoted abuse in news is left to the lexicon (\"lăng mạ\", \"miệt thị\"...).",
        "- char 1-5, 2-6, 3-5, 4-5 ranges, syllable 1-3 grams, 30k-100k features, unbalanced weights: within "
        "±1 point of the default on ViHOS dev, none better on all sets.",
        f"- Research-only comparison models (never saved), picked on each set's dev split: ViHSD "
        f"{_describe(RESEARCH_VIHSD)}, ViCTSD {_describe(RESEARCH_VICTSD)} with a threshold tuned on valid. Tried: "
        "C 0.5-16, char 1-5 / 2-5 / 3-6, syllable 1-2 / 1-3, balanced or not, dev-tuned class weights; all "
        "within about 1 point on dev (the list with numbers is in classifiers/hate_abuse.py).", "",
        "## Known failure modes", "",
        "- Trained on social comments: news articles are far from the training data; long texts dilute one "
        "abusive sentence (see above).",
        "- Character n-grams inside ordinary words look like abbreviations of slurs (\"ngu\" in \"nguồn\", "
        "\"lon\" in \"Long Sơn\", \"éo\" in \"kéo\", \"sủa\" in \"sáng sủa\"): short formal sentences can score high.",
        "- ViHOS marks profanity used as an intensifier (\"vl\", \"vãi\") as offensive, so friendly slang is flagged.",
        "- Threshold chosen on ViHOS dev, where half the comments are abusive; in real streams abuse is rarer, so "
        "precision is lower than on ViHOS (see ViHSD, 17% abusive).",
        "- Sarcasm, coded slurs and new teencode; rudeness without insult words (ViCTSD `Toxicity`) is mostly missed.",
    ]
    return "\n".join(lines) + "\n"
