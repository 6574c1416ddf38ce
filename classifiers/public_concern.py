"""``public_concern`` flag: complaints, grievances, petitions, questions to the authorities and criticism of
policies (sharp political criticism included) that the communications office should answer.

There is no classifier of political views: criticism of a policy, an official or the authorities is a
public concern to be answered, never anything else. Negatives: neutral news, official announcements and
answers, promotions, praise, chat, scams and threats.

Score = max(lexicon score of config/flags.yaml ``public_concern`` rescaled so its threshold maps to
:data:`THRESHOLD`, model probability rescaled likewise). The model is a TextModel trained on the original
CC0 examples in ``classifiers/data/public_concern/examples.jsonl`` plus the topic texts of
``classifiers/data/topics/texts.jsonl`` (each carries a public_concern label), train splits only, with a
diacritic-free copy of every accented text; it reads the first :data:`MODEL_CHARS` characters, the
lexicon reads everything.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from classifiers.base import DocInput, Prediction
from classifiers.flaglexicon import config_hash, load_flag_config
from classifiers.flagmix import finish_explanation, fit_binary, model_part, model_terms, read_jsonl
from classifiers.lexicon import Lexicon
from classifiers.textmodel import MODELS_DIR, TextModel, make_pipeline, model_version, prepare_text, sha256_files
from classifiers.topics import rescale

NAME = "public_concern"
DATA_DIR = Path(__file__).resolve().parent / "data" / NAME
EXAMPLES = DATA_DIR / "examples.jsonl"
TOPIC_TEXTS = Path(__file__).resolve().parent / "data" / "topics" / "texts.jsonl"
THRESHOLD = 0.5
MODEL_CHARS = 600  # characters of "title\ntext" the model reads (title + lead; keeps ≥ 1,000 docs/s)
MODEL_PARAMS: dict[str, Any] = {"C": 4.0, "max_char_features": 30_000, "max_word_features": 15_000}


def _fold(text: str) -> str:
    from pipeline.normalize import fold_diacritics

    return fold_diacritics(text)


def load_model() -> TextModel | None:
    """The shipped model, or None when it was never trained (the lexicon then works alone)."""
    try:
        return TextModel.load(NAME)
    except FileNotFoundError:
        return None


class PublicConcernClassifier:
    """Lexicon ∨ model (see the module docstring). ``mode``: "combined" (shipped), "lexicon" or "model"."""

    name = NAME
    kind = "flag"

    def __init__(self, config_dir: Path, model: TextModel | None, mode: str = "combined") -> None:
        cfg = load_flag_config(Path(config_dir))[NAME]
        self.lexicon = Lexicon(cfg.get("terms", {}))
        self.lexicon_threshold = float(cfg.get("threshold", 0.6))
        self.model = model if mode != "lexicon" else None
        self.mode = mode if self.model is not None else "lexicon"
        self.threshold = THRESHOLD
        lex_version = f"lexicon-{config_hash(Path(config_dir), 'flags.yaml')}"
        self.version = lex_version if self.model is None else f"{self.model.version}+{lex_version}"

    def scores(self, docs: Sequence[DocInput]) -> tuple[np.ndarray, np.ndarray, np.ndarray, Any, list[Any]]:
        """(combined, rescaled lexicon, rescaled model) scores (n,), the model's TF-IDF rows, lexicon terms."""
        n = len(docs)
        lex_raw, terms = [], []
        for d in docs:
            s, t = self.lexicon.score(d.full, d.tokens) if self.mode != "model" else (0.0, [])
            lex_raw.append(s)
            terms.append(t)
        lex = rescale(np.array(lex_raw), self.lexicon_threshold, THRESHOLD) if n else np.zeros(0)
        mod, rows = model_part(self.model, docs, NAME, THRESHOLD, MODEL_CHARS)
        combined = mod if self.mode == "model" else np.maximum(lex, mod)
        return combined, lex, mod, rows, terms

    def predict(self, docs: Sequence[DocInput]) -> list[dict[str, Prediction]]:
        """One {"public_concern": Prediction} per document; explanation: lexicon terms + model n-grams."""
        combined, lex, mod, rows, lex_terms = self.scores(docs)
        out = []
        for i in range(len(docs)):
            score = float(combined[i])
            terms = [{"term": t["term"], "weight": t["weight"]} for t in lex_terms[i][:6]]
            terms += model_terms(self.model, rows, i, score, THRESHOLD, exclude={t["term"] for t in terms})
            expl = finish_explanation({"rule": "model+lexicon" if self.model is not None else "lexicon",
                                       "lexicon_score": round(float(lex[i]), 4), "matched_terms": terms[:8]},
                                      self.model, mod[i], score, THRESHOLD)
            out.append({NAME: Prediction(round(score, 4), THRESHOLD, expl)})
        return out


def build(settings: Any) -> PublicConcernClassifier:
    """The shipped classifier (flags.yaml lexicon + classifiers/models/public_concern.*); no ../shared needed."""
    return PublicConcernClassifier(settings.config_dir, load_model())


# --- training ------------------------------------------------------------------------------------------

def load_examples(path: Path = EXAMPLES) -> list[dict[str, Any]]:
    """[{"id", "text", "label" 0/1, "kind", "split"}] — original CC0 examples."""
    return read_jsonl(path)


def labelled(split: str) -> tuple[list[str], list[int]]:
    """Texts and labels of ``split`` (examples + topic texts with their public_concern label), no copies."""
    rows = [r for r in load_examples() if r["split"] == split]
    topics = [r for r in read_jsonl(TOPIC_TEXTS) if r["split"] == split]
    return ([r["text"] for r in rows] + [r["text"] for r in topics],
            [int(r["label"]) for r in rows] + [int(r["public_concern"]) for r in topics])


def training_set() -> tuple[list[str], list[int]]:
    """The train split plus a diacritic-free copy of every accented text."""
    texts, labels = labelled("train")
    folded = [(_fold(t), y) for t, y in zip(texts, labels, strict=True) if _fold(t) != t]
    return texts + [t for t, _ in folded], labels + [y for _, y in folded]


def _fit(texts: Sequence[str], labels: Sequence[int]) -> Any:
    return fit_binary(MODEL_PARAMS, texts, labels, MODEL_CHARS)


def _metrics(y: np.ndarray, pred: np.ndarray, score: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import f1_score, precision_score, recall_score, roc_auc_score

    return {"macro_f1": round(float(f1_score(y, pred, average="macro")), 4),
            "precision": round(float(precision_score(y, pred, zero_division=0)), 4),
            "recall": round(float(recall_score(y, pred, zero_division=0)), 4),
            "auc": round(float(roc_auc_score(y, score)), 4)}


def train(settings: Any, with_labels: bool = False) -> dict[str, Any]:
    """Train and save the shipped model; writes classifiers/models/public_concern.{joblib,json,md}.

    Data: train splits of the original examples and topic texts (+ analysts' public_concern decisions when
    ``with_labels``). Model threshold: maximizes 5-fold out-of-fold macro-F1 of max(lexicon, model) on the
    training split. Held-out metrics on the test splits. Returns a summary dict."""
    from sklearn.model_selection import StratifiedKFold

    texts, labels = training_set()
    extra: list[tuple[str, int]] = []
    if with_labels:
        from classifiers.labels import analyst_labels

        extra = analyst_labels(settings, NAME)
    y = np.array(labels)
    oof = np.zeros(len(texts))
    for tr, te in StratifiedKFold(5, shuffle=True, random_state=13).split(texts, y):
        pipe = _fit([texts[i] for i in tr], y[tr])
        oof[te] = pipe.predict_proba([prepare_text(texts[i][:MODEL_CHARS]) for i in te])[:, 1]
    base = PublicConcernClassifier(Path(settings.config_dir), None)
    lex_train = base.scores([DocInput("", t) for t in texts])[1]
    from sklearn.metrics import f1_score

    best = (0.5, -1.0)
    for t in np.arange(0.2, 0.81, 0.05):
        f = float(f1_score(y, np.maximum(lex_train, rescale(oof, float(t), THRESHOLD)) >= THRESHOLD, average="macro"))
        if f > best[1] + 1e-9:
            best = (round(float(t), 2), f)
    t_model = best[0]
    test_texts, test_labels = labelled("test")
    y_test = np.array(test_labels)

    def held_out(model: TextModel) -> dict[str, Any]:
        clf = PublicConcernClassifier(Path(settings.config_dir), model)
        combined, lex, mod, _, _ = clf.scores([DocInput("", t) for t in test_texts])
        return {"combined": _metrics(y_test, (combined >= THRESHOLD).astype(int), combined),
                "lexicon_only": _metrics(y_test, (lex >= THRESHOLD).astype(int), lex),
                "model_only": _metrics(y_test, (mod >= THRESHOLD).astype(int), mod)}

    data_hash = sha256_files([EXAMPLES, TOPIC_TEXTS])
    meta = {"version": model_version(NAME, data_hash), "model_chars": MODEL_CHARS, "params": MODEL_PARAMS,
            "data": [{"path": "classifiers/data/public_concern/examples.jsonl (split=train)", "licence": "CC0-1.0"},
                     {"path": "classifiers/data/topics/texts.jsonl (split=train, field public_concern)",
                      "licence": "CC0-1.0"}],
            "data_sha256": data_hash, "analyst_labels": len(extra), "cv_macro_f1": round(best[1], 4),
            "threshold_choice": "5-fold out-of-fold macro-F1 of max(lexicon, rescaled model) on the training split"}
    summary: dict[str, Any] = {"n_train": len(texts) + len(extra), "n_analyst_labels": len(extra),
                               "threshold": THRESHOLD, "model_threshold": t_model}
    if extra:
        summary["held_out_before_labels"] = held_out(TextModel(NAME, _fit(texts, labels), [NAME], t_model, dict(meta)))
    model = TextModel(NAME, _fit(texts + [t for t, _ in extra], labels + [int(v) for _, v in extra]), [NAME],
                      t_model, meta)
    summary["held_out"] = held_out(model)
    model.meta["held_out"] = summary["held_out"]
    model.save()
    summary["version"] = model.version
    _write_card(model, summary)
    return summary


def _write_card(model: TextModel, summary: dict[str, Any]) -> None:
    h = summary["held_out"]
    lines = [
        f"# Model card: `{NAME}` (complaints, petitions, questions and criticism to answer)", "",
        f"- Version: `{model.version}`; trained {dt.datetime.now(dt.UTC):%Y-%m-%d}.",
        "- Definition: complaints and grievances about public services, petitions, questions to the authorities, "
        "criticism of policies and officials, however sharp (a concern the office answers publicly). Not: neutral news, announcements, official answers, promotions, "
        "praise, chat, scams, threats.",
        f"- Score = max(config/flags.yaml public_concern lexicon score, model probability), each rescaled so its "
        f"own threshold maps to {THRESHOLD} (lexicon threshold from flags.yaml, model threshold "
        f"{summary['model_threshold']}); flagged at ≥ {THRESHOLD}.",
        f"- Model: TextModel (TF-IDF char_wb 2–5 + syllable 1–2 grams → logistic regression, balanced), {MODEL_PARAMS}, "
        f"first {MODEL_CHARS} characters.",
        "- Training data (CC0, written for this project): `classifiers/data/public_concern/examples.jsonl` train split "
        "+ `classifiers/data/topics/texts.jsonl` train split (its public_concern field), each accented text also "
        f"diacritic-free; n = {summary['n_train']} (analyst labels: {summary['n_analyst_labels']}). No research-only data.",
        "- Model threshold: maximizes 5-fold out-of-fold macro-F1 of the shipped combination on the training split.",
        "", "## Held-out test splits (`own/public_concern`)", "",
        "| variant | macro-F1 | precision | recall | ROC-AUC |", "|---|---|---|---|---|",
        *[f"| {k} | {100 * v['macro_f1']:.1f} | {100 * v['precision']:.1f} | {100 * v['recall']:.1f} | {v['auc']:.3f} |"
          for k, v in h.items()],
        "", "Also evaluated (eval/report.md): `uit-vsfc/negative-feedback` — the shipped scorer against negative "
        "student feedback (UIT-VSFC test, research-only) as a proxy for grievances; strong domain shift (short, "
        "lower-cased, tokenised classroom feedback, not news or petitions). `uit-vsfc/sentiment@research-tfidf` "
        "is a research-only 3-class sentiment model trained in memory on the UIT-VSFC train split.", "",
        "## Known failure modes", "",
        "- News that only mentions that complaints were received and resolved can be flagged (lexicon: phản ánh).",
        "- Mild dissatisfaction without complaint words (\"hơi chậm\") is missed; very long articles are judged "
        "on their first 1,000 characters by the model.",
        "- Written by one person: the held-out numbers are on the same style of text.", "",
    ]
    (MODELS_DIR / f"{NAME}.md").write_text("\n".join(lines), encoding="utf-8")


# --- evaluation ----------------------------------------------------------------------------------------

def _own_result(settings: Any) -> Any:
    from evaluation.framework import EvalResult

    texts, labels = labelled("test")
    clf = build(settings)
    combined, lex, mod, _, _ = clf.scores([DocInput("", t) for t in texts])
    y = np.array(labels)
    parts = {"lexicon only": _metrics(y, (lex >= THRESHOLD).astype(int), lex)["macro_f1"]}
    if clf.model is not None:
        parts["model only"] = _metrics(y, (mod >= THRESHOLD).astype(int), mod)["macro_f1"]
    return EvalResult("own/public_concern", ["no concern", "public concern"], y, (combined >= THRESHOLD).astype(int),
                      combined, sha256_files([EXAMPLES, TOPIC_TEXTS]), clf.version, True, {},
                      f"Held-out test splits of the original examples and topic texts ({len(y)} texts, {int(y.sum())} "
                      "concerns incl. questions, petitions, sharp criticism, unaccented posts; negatives: news, "
                      "announcements, official answers, promotions, praise, chat). Macro-F1 of the parts: "
                      + "; ".join(f"{k} {100 * v:.1f}" for k, v in parts.items()))


def _vsfc(settings: Any, split: str) -> tuple[list[str], list[int], list[Path]]:
    from evaluation.framework import shared_file

    sents = shared_file(settings, "data", "uit-vsfc", split, "sents.txt")
    labels = shared_file(settings, "data", "uit-vsfc", split, "sentiments.txt")
    texts = sents.read_text(encoding="utf-8").splitlines()
    ys = [int(x) for x in labels.read_text(encoding="utf-8").splitlines()]
    if len(texts) != len(ys):
        raise ValueError(f"UIT-VSFC {split}: {len(texts)} sentences but {len(ys)} labels")
    return texts, ys, [sents, labels]


def _vsfc_sentiment_research(settings: Any) -> Any:
    """Research-only 3-class sentiment model (TextModel pipeline, one-vs-rest) trained in memory on the
    official UIT-VSFC train split, evaluated on the official test split; never saved."""
    from evaluation.framework import EvalResult

    tr_x, tr_y, tr_files = _vsfc(settings, "train")
    te_x, te_y, te_files = _vsfc(settings, "test")
    pipe = make_pipeline(multilabel=True)  # OneVsRest over the 3 classes (liblinear is binary only)
    pipe.fit([prepare_text(t) for t in tr_x], tr_y)
    proba = pipe.predict_proba([prepare_text(t) for t in te_x])
    return EvalResult("uit-vsfc/sentiment@research-tfidf", ["negative", "neutral", "positive"], np.array(te_y),
                      proba.argmax(axis=1), proba, sha256_files(te_files + tr_files),
                      "research-only: TextModel pipeline (OvR logistic regression) trained in memory on the "
                      f"UIT-VSFC train split ({len(tr_x)} sentences); never saved", False,
                      {"TF-IDF (measured here)": 75.2},
                      "UIT-VSFC official test split (students' feedback, research-only). 3-class sentiment.")


def _vsfc_negative_feedback(settings: Any) -> Any:
    from evaluation.framework import EvalResult

    te_x, te_y, files = _vsfc(settings, "test")
    clf = build(settings)
    combined = clf.scores([DocInput("", t) for t in te_x])[0]
    y = np.array([int(v == 0) for v in te_y])
    return EvalResult("uit-vsfc/negative-feedback", ["not negative", "negative feedback"], y,
                      (combined >= THRESHOLD).astype(int), combined, sha256_files(files), clf.version, True, {},
                      "Shipped public_concern scorer vs negative sentiment of UIT-VSFC test sentences (research-only) "
                      "as a proxy for grievances. Strong domain shift: short lower-cased student feedback about "
                      "lecturers and courses, not news, petitions or posts about public services; negative feedback "
                      "is not always a concern to answer and vice versa. Read it as a sanity check of direction.")


def evaluations(settings: Any) -> list[Any]:
    """own/public_concern (held-out, no ../shared), UIT-VSFC sentiment (research) and negative-feedback proxy."""
    from evaluation.framework import EvalSpec

    return [
        EvalSpec("own/public_concern", NAME, _own_result, "Held-out split of the original labelled examples"),
        EvalSpec("uit-vsfc/sentiment@research-tfidf", NAME, _vsfc_sentiment_research,
                 "Research-only 3-class sentiment model on UIT-VSFC (in memory)"),
        EvalSpec("uit-vsfc/negative-feedback", NAME, _vsfc_negative_feedback,
                 "Shipped public_concern scorer vs negative student feedback (proxy, domain shift)"),
    ]
