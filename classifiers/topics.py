"""Policy topics (multi-label): the weighted lexicons of config/topics.yaml plus a trained TF-IDF model.

Shipped score of a topic = max(lexicon score, model probability rescaled so that the model's decision
threshold lands on the topic threshold of topics.yaml); a topic is tagged when that score reaches the
threshold. The lexicon reads the whole document; the model reads the title and the first
:data:`MODEL_CHARS` characters (what the lead says a piece is about; also keeps the classifier fast).

The model (``classifiers/models/topics.*``) is a one-vs-rest TextModel trained only on licence-clean
text: the original CC0 short texts in ``classifiers/data/topics/texts.jsonl`` (written for this
project), labelled by their author and by weak labels from the lexicons (union). Research-only data
(news-categories: Dân trí articles, RSS snippets) is used only for evaluation and for an in-memory
comparison model that is never saved.

Evaluations (see :func:`evaluations`): ``corpus/topics`` (macro-F1 over the 13 topics on 213 real
documents of ../shared/corpus labelled by hand; ids/URLs + labels in
``classifiers/data/topics/eval_labels.jsonl``), one ``corpus/topics:<topic>`` per topic, variants
(lexicon only, model only, research model) and ``news-categories/topics`` (+ ``@research-tfidf``).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from classifiers.base import DocInput, Prediction
from classifiers.flaglexicon import config_hash
from classifiers.textmodel import (
    MODELS_DIR,
    TextModel,
    make_pipeline,
    model_version,
    prepare_text,
    readable_term,
    sha256_files,
)

log = logging.getLogger(__name__)

NAME = "topics"
DATA_DIR = Path(__file__).resolve().parent / "data" / "topics"
TRAIN_FILE = DATA_DIR / "texts.jsonl"
EVAL_LABELS = DATA_DIR / "eval_labels.jsonl"
MODEL_CHARS = 600  # characters of "title\ntext" the model reads (title + lead; keeps ≥ 1,000 docs/s)
MIN_REPORTED = 0.2  # topics scoring below this are left out of predict()'s dicts
MODEL_PARAMS: dict[str, Any] = {"C": 4.0, "max_char_features": 40_000, "max_word_features": 20_000}


# --- the classifier ----------------------------------------------------------------------------------

class TopicLexicon:
    """All topic lexicons in one phrase matcher (one pass per document instead of one per topic).

    Same scoring as :class:`classifiers.lexicon.Lexicon` per topic (score = 1 - exp(-Σ weight·min(count, 2)),
    diacritic-free variants added), except that the longest phrase wins across topics too: "cảng hàng không"
    (transport) hides the "cảng" (seaports) inside it."""

    def __init__(self, lexicons: dict[str, dict[str, float]]) -> None:
        from pipeline.normalize import fold_diacritics, normalize_text
        from pipeline.textmatch import PhraseMatcher

        self.topics = list(lexicons)
        payloads: dict[str, list[tuple[int, str, float]]] = {}
        for j, topic in enumerate(self.topics):
            for term, weight in lexicons[topic].items():
                norm = normalize_text(str(term))
                for variant in {norm, fold_diacritics(norm)}:
                    payloads.setdefault(variant.casefold(), []).append((j, norm, float(weight)))
        self.matcher = PhraseMatcher(check_case=False)
        for phrase, payload in payloads.items():
            self.matcher.add(phrase, tuple(dict.fromkeys(payload)))

    def score(self, doc: DocInput) -> tuple[np.ndarray, list[list[dict[str, Any]]]]:
        """(scores per topic in [0,1), matched terms per topic strongest first: [{"term","count","weight"}])."""
        counts: list[dict[tuple[str, float], int]] = [{} for _ in self.topics]
        for m in self.matcher.finditer(doc.full, doc.tokens):
            for j, term, weight in m.payload:
                counts[j][(term, weight)] = counts[j].get((term, weight), 0) + 1
        scores = np.array([1.0 - math.exp(-sum(w * min(c, 2) for (_, w), c in cj.items())) for cj in counts])
        terms = [sorted(({"term": t, "count": c, "weight": w} for (t, w), c in cj.items()),
                        key=lambda d: -d["weight"] * min(d["count"], 2)) for cj in counts]
        return scores, terms


def load_topic_config(config_dir: Path) -> tuple[float, dict[str, str], TopicLexicon]:
    """(threshold, {topic: Vietnamese label}, TopicLexicon) from ``config_dir/topics.yaml``."""
    cfg = yaml.safe_load((Path(config_dir) / "topics.yaml").read_text(encoding="utf-8"))
    threshold = float(cfg.get("threshold", 0.75))
    labels = {k: v.get("label", k) for k, v in cfg["topics"].items()}
    terms = {k: ({t: 1.0 for t in v.get("terms", [])} if isinstance(v.get("terms"), list) else v.get("terms", {}))
             for k, v in cfg["topics"].items()}
    return threshold, labels, TopicLexicon(terms)


def rescale(p: np.ndarray | float, model_threshold: float, target: float) -> np.ndarray:
    """Monotone piecewise-linear map of probabilities in [0,1] with ``model_threshold`` -> ``target``."""
    p = np.asarray(p, dtype=float)
    t = min(max(model_threshold, 1e-6), 1 - 1e-6)
    return np.where(p < t, target * p / t, target + (1 - target) * (p - t) / (1 - t))


def batch_model_scores(model: TextModel, texts: Sequence[str]) -> tuple[np.ndarray, Any]:
    """Probabilities (n, len(model.labels)) and the TF-IDF rows (sparse CSR, n × features) of ``texts``.

    Vectorizes once; the rows let :func:`explain_row` explain any document without a second pass."""
    features = model.pipeline.named_steps["features"]
    clf = model.pipeline.named_steps["clf"]
    x = features.transform([prepare_text(t) for t in texts]).tocsr()
    proba = clf.predict_proba(x)
    if len(model.labels) == 1 and proba.shape[1] == 2:
        proba = proba[:, 1:2]
    return proba, x


def explain_row(model: TextModel, x: Any, i: int, label_index: int = 0, k: int = 5) -> list[dict[str, Any]]:
    """Top ``k`` n-grams pushing row ``i`` of ``x`` towards ``model.labels[label_index]``:
    [{"term", "weight"}] with weight = coefficient × TF-IDF value (log-odds units)."""
    clf = model.pipeline.named_steps["clf"]
    estimator = clf.estimators_[label_index] if hasattr(clf, "estimators_") else clf
    start, end = x.indptr[i], x.indptr[i + 1]
    idx, vals = x.indices[start:end], x.data[start:end]
    contrib = vals * estimator.coef_[0][idx]
    names = model._feature_names()
    out: list[dict[str, Any]] = []
    for j in np.argsort(-contrib):
        if contrib[j] <= 0 or len(out) >= k:
            break
        if (term := readable_term(names[idx[j]])) is not None:
            out.append({"term": term, "weight": round(float(contrib[j]), 3)})
    return out


def load_model() -> TextModel | None:
    """The shipped topic model, or None when it was never trained (the lexicons then work alone)."""
    try:
        return TextModel.load(NAME)
    except FileNotFoundError:
        log.warning("no trained topic model in %s: lexicons only", MODELS_DIR)
        return None


class TopicClassifier:
    """Multi-label topics: lexicon (whole text) ∨ model (lead), see the module docstring.

    ``mode``: "combined" (shipped), "lexicon" or "model" (evaluation variants)."""

    name = NAME
    kind = "topics"

    def __init__(self, config_dir: Path, model: TextModel | None = None, mode: str = "combined") -> None:
        self.threshold, self.labels, self.lexicon = load_topic_config(config_dir)
        self.topics = self.lexicon.topics
        self.model = model if mode != "lexicon" else None
        self.mode = mode if self.model is not None else "lexicon"
        lex_version = f"lexicon-{config_hash(Path(config_dir), 'topics.yaml')}"
        self.version = lex_version if self.model is None else f"{self.model.version}+{lex_version}"
        self._columns = {t: i for i, t in enumerate(self.model.labels)} if self.model is not None else {}

    def scores(self, docs: Sequence[DocInput]) -> tuple[np.ndarray, np.ndarray, np.ndarray, Any]:
        """(combined, lexicon, model) score matrices (n × topics in config order) and (the model's TF-IDF rows,
        the lexicon's matched terms per document and topic)."""
        topics = self.topics
        n = len(docs)
        lex = np.zeros((n, len(topics)))
        terms: list[list[list[dict[str, Any]]]] = [[[] for _ in topics] for _ in docs]
        if self.mode != "model":
            for i, doc in enumerate(docs):
                lex[i], terms[i] = self.lexicon.score(doc)
        mod = np.zeros((n, len(topics)))
        rows = None
        if self.model is not None and n:
            proba, rows = batch_model_scores(self.model, [d.full[:MODEL_CHARS] for d in docs])
            for j, topic in enumerate(topics):
                if topic in self._columns:
                    col = self._columns[topic]
                    mod[:, j] = rescale(proba[:, col], self.model.threshold_for(topic), self.threshold)
        combined = mod if self.mode == "model" else np.maximum(lex, mod)
        return combined, lex, mod, (rows, terms)

    def predict(self, docs: Sequence[DocInput]) -> list[dict[str, Prediction]]:
        """Per document: {topic: Prediction} for topics scoring ≥ MIN_REPORTED (positive at ≥ threshold)."""
        combined, lex, mod, (rows, lex_terms) = self.scores(docs)
        out = []
        for i in range(len(docs)):
            preds = {}
            for j, topic in enumerate(self.topics):
                score = float(combined[i, j])
                if score < MIN_REPORTED:
                    continue
                terms = lex_terms[i][j][:6]
                expl: dict[str, Any] = {"rule": "lexicon" if self.model is None else "lexicon+model",
                                        "lexicon_score": round(float(lex[i, j]), 4)}
                if self.model is not None:
                    expl["model_score"] = round(float(mod[i, j]), 4)
                    expl["model_version"] = self.model.version
                    if score >= self.threshold and mod[i, j] >= lex[i, j] and topic in self._columns:
                        model_terms = explain_row(self.model, rows, i, self._columns[topic])
                        seen = {t["term"] for t in terms}
                        terms = terms + [t for t in model_terms if t["term"] not in seen]
                expl["matched_terms"] = terms[:8] or [{"term": f"({topic})", "weight": round(score, 3)}]
                preds[topic] = Prediction(round(score, 4), self.threshold, expl)
            out.append(preds)
        return out


def build(settings: Any) -> TopicClassifier:
    """The shipped topic classifier (lexicons of settings.config_dir + classifiers/models/topics.*)."""
    return TopicClassifier(settings.config_dir, load_model())


# --- training ----------------------------------------------------------------------------------------

def load_texts(path: Path = TRAIN_FILE) -> list[dict[str, Any]]:
    """The original CC0 training texts: [{"id", "text", "topics": [...], "public_concern", "split"}]."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def weak_labels(texts: Sequence[str], config_dir: Path) -> np.ndarray:
    """0/1 matrix (n × topics in config order): lexicon score ≥ the topics.yaml threshold."""
    threshold, _, lexicon = load_topic_config(config_dir)
    return np.array([(lexicon.score(DocInput("", t))[0] >= threshold).astype(int) for t in texts], dtype=int)


def training_matrix(rows: Sequence[dict[str, Any]], config_dir: Path, source: str = "union") -> np.ndarray:
    """Labels for ``rows``: "author", "weak" (lexicons) or "union" of both (the shipped choice)."""
    topics = load_topic_config(config_dir)[2].topics
    author = np.array([[int(t in r["topics"]) for t in topics] for r in rows], dtype=int)
    if source == "author":
        return author
    weak = weak_labels([r["text"] for r in rows], config_dir)
    return weak if source == "weak" else np.maximum(author, weak)


def fit_model(texts: Sequence[str], y: np.ndarray, topics: Sequence[str]) -> Any:
    """A fitted one-vs-rest pipeline; topics without a positive example get a constant-0 column."""
    pipe = make_pipeline(multilabel=True, **MODEL_PARAMS)
    pipe.fit([prepare_text(t[:MODEL_CHARS]) for t in texts], y)
    return pipe


def _cv_probabilities(texts: list[str], y: np.ndarray, folds: int = 5, seed: int = 7) -> np.ndarray:
    """Out-of-fold model probabilities (n × topics) for threshold choice and held-out metrics."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(texts))
    out = np.zeros(y.shape)
    for f in range(folds):
        test = order[f::folds]
        train = np.setdiff1d(order, test)
        pipe = make_pipeline(multilabel=True, **MODEL_PARAMS)
        pipe.fit([prepare_text(texts[i][:MODEL_CHARS]) for i in train], y[train])
        out[test] = pipe.predict_proba([prepare_text(texts[i][:MODEL_CHARS]) for i in test])
    return out


def _macro_f1(y: np.ndarray, pred: np.ndarray) -> tuple[float, dict[str, float]]:
    from sklearn.metrics import f1_score

    per = [float(f1_score(y[:, j], pred[:, j], zero_division=0)) for j in range(y.shape[1])]
    return float(np.mean(per)), per  # type: ignore[return-value]


def train(settings: Any, with_labels: bool = False) -> dict[str, Any]:
    """Train and save the shipped topic model; writes classifiers/models/topics.{joblib,json,md}.

    Data: classifiers/data/topics/texts.jsonl (original, CC0), labels = author ∪ lexicon weak labels,
    plus analysts' topic decisions when ``with_labels``. The model threshold (one for all topics) is the
    one maximizing 5-fold out-of-fold macro-F1 of the shipped combination max(lexicon, model) on these
    texts. Returns a summary dict (n_train, version, threshold, CV metrics, label effect)."""
    config_dir = Path(settings.config_dir)
    threshold, _, lexicon = load_topic_config(config_dir)
    topics = lexicon.topics
    rows = load_texts()
    texts = [r["text"] for r in rows]
    y = training_matrix(rows, config_dir, "union")
    extra_texts: list[str] = []
    extra_y: list[list[int]] = []
    if with_labels:
        from classifiers.labels import analyst_labels

        by_text: dict[str, list[int]] = {}
        for j, topic in enumerate(topics):
            for text, value in analyst_labels(settings, topic):
                by_text.setdefault(text, [0] * len(topics))[j] = int(value)
        extra_texts, extra_y = list(by_text), list(by_text.values())
    lex = np.array([lexicon.score(DocInput("", x))[0] for x in texts])
    oof = _cv_probabilities(texts, y)
    best = (0.5, -1.0)
    for t_model in np.arange(0.15, 0.71, 0.05):
        comb = np.maximum(lex, rescale(oof, float(t_model), threshold)) >= threshold
        score = _macro_f1(y, comb.astype(int))[0]
        if score > best[1] + 1e-9:
            best = (round(float(t_model), 2), score)
    t_model = best[0]
    author = training_matrix(rows, config_dir, "author")
    cv = {
        "model_only_macro_f1_vs_author_labels": round(_macro_f1(author, (oof >= t_model).astype(int))[0], 4),
        "lexicon_only_macro_f1_vs_author_labels": round(_macro_f1(author, (lex >= threshold).astype(int))[0], 4),
        "combined_macro_f1_vs_author_labels": round(_macro_f1(
            author, (np.maximum(lex, rescale(oof, t_model, threshold)) >= threshold).astype(int))[0], 4),
    }
    all_texts = texts + extra_texts
    all_y = np.vstack([y, np.array(extra_y, dtype=int)]) if extra_y else y
    pipe = fit_model(all_texts, all_y, topics)
    data_hash = sha256_files([TRAIN_FILE])
    model = TextModel(NAME, pipe, topics, {t: t_model for t in topics}, {
        "version": model_version(NAME, data_hash),
        "data": [{"path": "classifiers/data/topics/texts.jsonl", "sha256": data_hash, "licence": "CC0-1.0",
                  "n": len(rows), "labels": "author topics ∪ lexicon weak labels (config/topics.yaml)"}],
        "analyst_labels": len(extra_texts), "model_chars": MODEL_CHARS, "params": MODEL_PARAMS,
        "threshold_choice": "5-fold out-of-fold macro-F1 of max(lexicon, rescaled model) on the training texts",
        "cv": cv, "lexicon_sha": config_hash(config_dir, "topics.yaml"),
    })
    model.save()
    summary = {"n_train": len(all_texts), "n_analyst_labels": len(extra_texts), "version": model.version,
               "threshold": t_model, "topic_threshold": threshold, "cv": cv}
    if with_labels:
        summary["labels_effect"] = ("analyst labels are added to the training set; compare `mediawatch eval "
                                    "--only topics` before/after (corpus/topics)")
    _write_card(model, summary, _corpus_card_lines(settings))
    return summary


def _corpus_card_lines(settings: Any) -> list[str]:
    """Markdown lines with the corpus/topics numbers of the just-saved model (empty note without ../shared)."""
    from evaluation.framework import DataMissing, compute_metrics

    _corpus_run.cache_clear()
    try:
        results = {v: compute_metrics(_corpus_result(settings, v)) for v in ("shipped", "lexicon", "model")}
    except DataMissing:
        return ["(../shared was not present when this model was trained: no corpus numbers here.)", ""]
    names = {"shipped": "shipped max(lexicon, model)", "lexicon": "lexicon only", "model": "model only"}
    lines = ["| variant | macro-F1 over 13 topics |", "|---|---|"]
    lines += [f"| {names[v]} | {100 * m['macro_f1']:.1f} |" for v, m in results.items()]
    lines += ["", "Per topic (shipped): ", "", "| topic | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    lines += [f"| {t} | {100 * c['precision']:.0f} | {100 * c['recall']:.0f} | {100 * c['f1']:.0f} | {c['support']} |"
              for t, c in results["shipped"]["per_class"].items()]
    ship, lex, mod = (results[v]["macro_f1"] for v in ("shipped", "lexicon", "model"))
    verdict = (f"The model alone {'beats' if mod > lex else 'does not beat'} the lexicon; the combination "
               f"{'beats both, so it is shipped' if ship > max(lex, mod) else 'does not beat both: review it'}.")
    return [*lines, "", verdict, ""]


def _write_card(model: TextModel, summary: dict[str, Any], eval_lines: Sequence[str] = ()) -> None:
    card = MODELS_DIR / f"{NAME}.md"
    lines = [
        f"# Model card: `{NAME}` (policy topics, multi-label)", "",
        f"- Version: `{model.version}`; trained {dt.datetime.now(dt.UTC):%Y-%m-%d}.",
        "- Shipped score per topic: max(lexicon score of config/topics.yaml on the whole text, model probability "
        f"on the first {MODEL_CHARS} characters rescaled so the model threshold maps to the topic threshold "
        f"{summary['topic_threshold']}).",
        "- Model: TextModel (TF-IDF char_wb 2–5 + syllable 1–2 grams → one-vs-rest logistic regression), "
        f"params {MODEL_PARAMS}.",
        f"- Training data: `classifiers/data/topics/texts.jsonl`, {summary['n_train'] - summary['n_analyst_labels']} "
        "original short Vietnamese texts written for this project (CC0-1.0; README in that folder), labels = the "
        f"author's topics ∪ lexicon weak labels; analyst labels: {summary['n_analyst_labels']}. No research-only data.",
        f"- Model threshold {summary['threshold']} (all topics), chosen by 5-fold out-of-fold macro-F1 of the "
        "shipped combination on the training texts.",
        f"- Cross-validated on the training texts (vs the author's labels): {summary['cv']}.", "",
        "## Evaluation on real documents", "",
        "`corpus/topics`: 213 real documents from ../shared/corpus (101 BR-VT web excerpts, 20 article pages, "
        "92 VnExpress feed items), topics labelled by hand (ids/URLs + labels only in "
        "`classifiers/data/topics/eval_labels.jsonl`). Run `mediawatch eval --only topics`; the latest numbers "
        "are in eval/report.md.", "",
        *eval_lines,
        "## Known failure modes", "",
        "- The lexicon tags long articles with every topic they mention twice (precision drops on long pages).",
        "- Low support in the evaluation for education (2) and social welfare/prices (3): those F1 are noisy.",
        "- World news, science and technology have no topic; the model sometimes guesses economy or public order.",
        "- Trained on short texts about the province: national/world news in other styles is out of domain.",
        "- The evaluation labels were made by one person (the model's author); the lexicon was revised (ambiguous "
        "terms down-weighted, missing terms added) after reading the evaluation documents, and 63 national-news "
        "style training texts were added once after the first evaluation (no evaluation text paraphrased). No "
        "threshold or weight was fitted to the evaluation scores; treat the numbers as indicative.", "",
    ]
    card.write_text("\n".join(lines), encoding="utf-8")


# --- evaluation ----------------------------------------------------------------------------------------

# research model: C=1 and char 3-5 grams keep the in-memory fit under ~20 s on one core
RESEARCH_CHARS = 1500
RESEARCH_PARAMS: dict[str, Any] = {"multilabel": True, "C": 1.0, "char_range": (3, 5), "max_char_features": 40_000,
                                   "max_word_features": 20_000}
DANTRI_MAP = {"business": "economy_investment", "education": "education", "health": "health",
              "travel": "tourism", "sport": "culture_sports", "entertainment": "culture_sports"}


def _read_corpus_docs(shared_dir: Path) -> tuple[list[dict[str, Any]], list[DocInput], list[Path]]:
    """The labelled corpus documents: (label rows, DocInputs, files read) — texts come from ../shared."""
    import html as html_lib
    import re

    import feedparser

    from evaluation.framework import DataMissing
    from pipeline.normalize import normalize_text

    corpus = Path(shared_dir) / "corpus"
    rows = [json.loads(x) for x in EVAL_LABELS.read_text(encoding="utf-8").splitlines() if x.strip()]
    excerpts_path = corpus / "excerpts" / "pages_corpus_brvt.jsonl"
    excerpts = [json.loads(x) for x in excerpts_path.read_text(encoding="utf-8").splitlines() if x.strip()]
    feeds: dict[str, dict[str, str]] = {}
    files = {excerpts_path}
    docs = []
    for r in rows:
        if r["id"].startswith("excerpt:"):
            rec = excerpts[int(r["id"].split(":", 1)[1])]
            if rec["url"] != r["url"]:
                raise DataMissing(f"excerpt {r['id']} does not match its URL (corpus changed?)")
            title, text = "", rec["excerpt"]
        elif r["id"].startswith("page:"):
            path = corpus / r["source"]
            files.add(path)
            body = path.read_text(encoding="utf-8").strip()
            title, _, text = body.partition("\n")
        else:
            path = corpus / r["source"]
            files.add(path)
            if r["source"] not in feeds:
                parsed = feedparser.parse(path.read_bytes())
                feeds[r["source"]] = {}
                for e in parsed.entries:
                    summary = html_lib.unescape(re.sub(r"<[^>]+>", " ", e.get("summary", "")))
                    feeds[r["source"]].setdefault((e.get("link") or "").strip(),
                                                  f"{(e.get('title') or '').strip()}\n{summary}")
            title, _, text = feeds[r["source"]][r["url"]].partition("\n")
        docs.append(DocInput(normalize_text(title), normalize_text(text)))
    return rows, docs, sorted(files)


def _multilabel_result(key: str, topics: list[str], y: np.ndarray, pred: np.ndarray, data_hash: str, model: str,
                       shipped: bool, notes: str) -> Any:
    """An EvalResult whose per-class P/R/F1 are the per-topic binary P/R/F1 of a multi-label prediction.

    Encoding: one (true=t, pred=t) pair per true positive, (t, k) per false negative and (k, t) per false
    positive, where k = len(topics) is a "no topic" index outside ``labels`` (sklearn ignores it as a class),
    so macro-F1 = mean of the per-topic F1. Documents with no topic and no prediction add nothing."""
    from evaluation.framework import EvalResult

    k = len(topics)
    yt, yp = [], []
    for i in range(y.shape[0]):
        for j in range(k):
            if y[i, j] and pred[i, j]:
                yt.append(j), yp.append(j)
            elif y[i, j]:
                yt.append(j), yp.append(k)
            elif pred[i, j]:
                yt.append(k), yp.append(j)
    return EvalResult(key, list(topics), np.array(yt, dtype=int), np.array(yp, dtype=int), None, data_hash,
                      model, shipped, {}, notes)


@functools.lru_cache(maxsize=2)
def _corpus_run(shared_dir: str, config_dir: str) -> dict[str, Any]:
    """Scores of the shipped classifier (and its parts) on the hand-labelled corpus documents (cached)."""
    rows, docs, files = _read_corpus_docs(Path(shared_dir))
    config_dir = Path(config_dir)
    threshold, _, lexicon = load_topic_config(config_dir)
    topics = lexicon.topics
    y = np.array([[int(t in r["topics"]) for t in topics] for r in rows], dtype=int)
    model = load_model()
    clf = TopicClassifier(config_dir, model)
    combined, lex, mod, _ = clf.scores(docs)
    data_hash = sha256_files([EVAL_LABELS, *files])
    out = {"rows": rows, "docs": docs, "y": y, "topics": topics, "threshold": threshold, "combined": combined,
           "lexicon": lex, "model_scores": mod, "data_hash": data_hash, "version": clf.version,
           "model": model}
    return out


def _corpus_result(settings: Any, variant: str) -> Any:
    from evaluation.framework import shared_file

    shared_file(settings, "corpus", "excerpts", "pages_corpus_brvt.jsonl")
    run = _corpus_run(str(settings.shared_dir), str(settings.config_dir))
    y, topics, thr = run["y"], run["topics"], run["threshold"]
    support = dict(zip(topics, y.sum(axis=0).tolist(), strict=True))
    base = (f"{len(run['rows'])} real documents (../shared/corpus: excerpts, article pages, VnExpress feed items), "
            f"topics labelled by hand (classifiers/data/topics/eval_labels.jsonl). Per-class rows = per-topic "
            f"binary P/R/F1 (support = documents with the topic); macro-F1 = mean over the {len(topics)} topics. "
            f"Support: {support}. ")
    if variant == "shipped":
        variants = {name: _macro(y, (m >= thr).astype(int)) for name, m in
                    (("lexicon only", run["lexicon"]), ("model only", run["model_scores"]),
                     ("shipped max(lexicon, model)", run["combined"]))}
        notes = base + "Macro-F1 by variant: " + "; ".join(f"{k} {100 * v:.1f}" for k, v in variants.items()) + "."
        return _multilabel_result("corpus/topics", topics, y, (run["combined"] >= thr).astype(int),
                                  run["data_hash"], run["version"], True, notes)
    if variant in ("lexicon", "model"):
        scores = run["lexicon"] if variant == "lexicon" else run["model_scores"]
        return _multilabel_result(f"corpus/topics@{variant}-only", topics, y, (scores >= thr).astype(int),
                                  run["data_hash"], f"variant: {variant} only ({run['version']})", False,
                                  base + f"Variant of the shipped classifier: {variant} scores alone.")
    raise ValueError(variant)


def _macro(y: np.ndarray, pred: np.ndarray) -> float:
    return _macro_f1(y, pred)[0]


def _topic_result(settings: Any, topic: str) -> Any:
    from evaluation.framework import EvalResult, shared_file

    shared_file(settings, "corpus", "excerpts", "pages_corpus_brvt.jsonl")
    run = _corpus_run(str(settings.shared_dir), str(settings.config_dir))
    j = run["topics"].index(topic)
    y = run["y"][:, j]
    score = run["combined"][:, j]
    return EvalResult(f"corpus/topics:{topic}", [f"not {topic}", topic], y, (score >= run["threshold"]).astype(int),
                      score, run["data_hash"], run["version"], True, {},
                      f"Binary view of corpus/topics for {topic}: {int(y.sum())} of {len(y)} documents have it.")


@functools.lru_cache(maxsize=2)
def _dantri_run(shared_dir: str, config_dir: str) -> dict[str, Any]:
    """Dân trí articles (research-only): a seeded stratified 70/30 split (the corpus has no official split),
    the research model trained in memory on the 70 %, scores of the research and shipped models on the 30 %."""
    from sklearn.model_selection import train_test_split

    path = Path(shared_dir) / "data" / "news-categories" / "unc_dantri_10topics.jsonl"
    recs = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    threshold, _, lexicon = load_topic_config(Path(config_dir))
    topics = [t for t in lexicon.topics if t in set(DANTRI_MAP.values())]
    train_r, test_r = train_test_split(recs, test_size=0.3, random_state=20261129,
                                       stratify=[r["category"] for r in recs])

    def matrix(rs: list[dict[str, Any]]) -> np.ndarray:
        return np.array([[int(DANTRI_MAP.get(r["category"]) == t) for t in topics] for r in rs], dtype=int)

    def text(r: dict[str, Any]) -> str:
        return r["text"][:RESEARCH_CHARS]

    research = make_pipeline(**RESEARCH_PARAMS)
    research.fit([prepare_text(text(r)) for r in train_r], matrix(train_r))
    research_scores = research.predict_proba([prepare_text(text(r)) for r in test_r])
    model = load_model()
    clf = TopicClassifier(Path(config_dir), model)
    docs = [DocInput(r["title"], r["text"][len(r["title"]):].strip() if r["text"].startswith(r["title"])
                     else r["text"]) for r in test_r]
    combined, _, _, _ = clf.scores(docs)
    cols = [lexicon.topics.index(t) for t in topics]
    return {"topics": topics, "y": matrix(test_r), "research": research_scores, "shipped": combined[:, cols],
            "threshold": threshold, "data_hash": sha256_files([path]), "version": clf.version,
            "n_train": len(train_r), "research_model": research}


def _dantri_result(settings: Any, research: bool) -> Any:
    from evaluation.framework import shared_file

    shared_file(settings, "data", "news-categories", "unc_dantri_10topics.jsonl")
    run = _dantri_run(str(settings.shared_dir), str(settings.config_dir))
    notes = ("Dân trí articles (news-categories/unc_dantri_10topics.jsonl, research/testing only), seeded stratified "
             f"30 % test split ({len(run['y'])} articles); category -> topic: {DANTRI_MAP}; society, science, tech and "
             "world have no topic (negatives for all). Single-label source: a business article that is really about "
             "tourism counts as a false positive for tourism. Per-class rows = per-topic binary P/R/F1.")
    if research:
        return _multilabel_result("news-categories/topics@research-tfidf", run["topics"], run["y"],
                                  (run["research"] >= 0.5).astype(int), run["data_hash"],
                                  f"research-only: TextModel pipeline {RESEARCH_PARAMS} on the first "
                                  f"{RESEARCH_CHARS} characters, trained in memory on the 70 % split "
                                  f"({run['n_train']} Dân trí articles), threshold 0.5; never saved", False,
                                  notes)
    return _multilabel_result("news-categories/topics", run["topics"], run["y"],
                              (run["shipped"] >= run["threshold"]).astype(int), run["data_hash"], run["version"],
                              True, notes + " Shipped classifier (trained without Dân trí text).")


def _corpus_research_result(settings: Any) -> Any:
    """The research (Dân trí-trained) model on the hand-labelled corpus, for the 5 topics it knows."""
    from evaluation.framework import shared_file

    shared_file(settings, "data", "news-categories", "unc_dantri_10topics.jsonl")
    shared_file(settings, "corpus", "excerpts", "pages_corpus_brvt.jsonl")
    dan = _dantri_run(str(settings.shared_dir), str(settings.config_dir))
    run = _corpus_run(str(settings.shared_dir), str(settings.config_dir))
    cols = [run["topics"].index(t) for t in dan["topics"]]
    texts = [prepare_text(d.full[:RESEARCH_CHARS]) for d in run["docs"]]
    research = dan["research_model"].predict_proba(texts)
    y = run["y"][:, cols]
    shipped = _macro(y, (run["combined"][:, cols] >= run["threshold"]).astype(int))
    return _multilabel_result("corpus/topics@research-tfidf", dan["topics"], y, (research >= 0.5).astype(int),
                              run["data_hash"], "research-only: TextModel "
                              "trained in memory on Dân trí (news-categories 70 % split); never saved", False,
                              f"The Dân trí model on the hand-labelled corpus, only the {len(cols)} topics it "
                              f"knows. Shipped classifier on the same topics: macro-F1 {100 * shipped:.1f}.")


def evaluations(settings: Any) -> list[Any]:
    """EvalSpecs: corpus/topics (+ per topic, variants, research model) and news-categories/topics (+ research)."""
    from evaluation.framework import EvalSpec

    topics = load_topic_config(Path(settings.config_dir))[2].topics
    specs = [
        EvalSpec("corpus/topics", NAME, lambda s: _corpus_result(s, "shipped"),
                 "Shipped topics on 213 hand-labelled real documents; macro-F1 over 13 topics"),
        EvalSpec("corpus/topics@lexicon-only", NAME, lambda s: _corpus_result(s, "lexicon"),
                 "Variant: config/topics.yaml lexicons alone"),
        EvalSpec("corpus/topics@model-only", NAME, lambda s: _corpus_result(s, "model"),
                 "Variant: the trained model alone"),
        EvalSpec("corpus/topics@research-tfidf", NAME, _corpus_research_result,
                 "Research-only Dân trí model on the hand-labelled corpus (5 mapped topics)"),
        EvalSpec("news-categories/topics", NAME, lambda s: _dantri_result(s, False),
                 "Shipped topics on the Dân trí test split (5 mapped topics)"),
        EvalSpec("news-categories/topics@research-tfidf", NAME, lambda s: _dantri_result(s, True),
                 "Research-only model trained in memory on the Dân trí 70 % split"),
    ]
    for topic in topics:
        specs.append(EvalSpec(f"corpus/topics:{topic}", NAME, functools.partial(_topic_result, topic=topic),
                              f"Binary view of corpus/topics for {topic}"))
    return specs

