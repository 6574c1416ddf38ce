"""Claim matching: does a document restate a claim that is already in the debunk memory?

Method (Meedan Check style "similar claims", without a neural encoder):

* **Units.** A document is cut into its title, quoted passages (“…”) and sentences (split
  after ``. ! ? …``, at line breaks and at ``;``; sentences under :data:`MIN_UNIT_WORDS`
  syllables or ending in an abbreviation such as "TP." are joined to the next); the first
  :data:`MAX_UNITS` units are compared (:func:`split_units`). A document's similarity to a
  claim is the maximum over its units (and over the claim's phrasings), so a long article
  that repeats a rumour in one sentence matches as well as a short post.
* **Text.** NFC, one tone-mark placement (:func:`pipeline.normalize.normalize_text`), lower
  case, punctuation to spaces. A unit written without diacritics ("vung tau cam tam bien")
  is compared in a diacritic-free space (both sides folded with
  :func:`pipeline.normalize.fold_diacritics`); units with diacritics keep them, so "cấm" and
  "cắm" stay apart.
* **Similarity.** TF-IDF cosine over character n-grams inside word boundaries (``char_wb``,
  2–5) mixed with TF-IDF cosine over syllable uni+bigrams:
  ``sim = char_weight × cos_char + (1 − char_weight) × cos_syllable``, in [0, 1].
  IDF comes from a fixed background (the claims plus the texts of the matching set
  ``classifiers/data/misinformation/matching.jsonl``, all original, CC0), so similarities
  do not drift with the day's news and the calibrated thresholds keep their meaning.
* **Corrections.** A unit carrying a refutation cue (:data:`REFUTE_CUES`: "khẳng định không",
  "không có chủ trương", "sai sự thật" …) talks about the claim but states the correction:
  its similarity is multiplied by :data:`REFUTE_PENALTY` (0.75). Quoted claims inside a
  debunk headline are separate units, so debunk articles still match through them.
* **Speed.** The syllable channel is computed for every unit; the character channel only for
  units whose syllable cosine with some claim reaches :data:`PREFILTER` (checked on the
  matching set and on VFND articles: the highest combined similarity of a skipped unit is
  0.25, far below the suggest threshold; no best match changes).

Thresholds (suggest / auto-link) are calibrated by :func:`calibrate` on the matching set and
stored in ``classifiers/models/misinformation.json``; see the model card.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain, repeat
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from pipeline.normalize import fold_diacritics, normalize_text

DATA_DIR = Path(__file__).resolve().parent / "data" / "misinformation"
MATCHING_SET = DATA_DIR / "matching.jsonl"
MAX_UNITS = 300
MIN_UNIT_CHARS = 12
MIN_UNIT_WORDS = 8
MAX_UNIT_CHARS = 400
PREFILTER = 0.15
CHAR_WEIGHT = 0.6
MAX_DOC_CHARS = 30_000

_MISSING = repeat(-1)
# A "sentence" ending in an abbreviation ("TP.", "Q.", "PGS.TS.") continues in the next one.
_ABBREV_END = re.compile(r"(?:^|\s)(?:TP|Tp|TX|Tx|TT|Q|P|X|H|ThS|TS|PGS|GS|BS|Th|St|Mr|Ms|Dr|v\.v)\.$")
_SPLIT = re.compile(r"(?<=[.!?…])\s+|\n+|;\s*")
_QUOTED = re.compile(r"[“\"«]([^”\"»]{12,300})[”\"»]")
# Refutation cues: a unit that states the correction ("… khẳng định không có chủ trương …")
# is about the claim but does not make it; its similarity is multiplied by REFUTE_PENALTY.
REFUTE_CUES = re.compile(
    r"\b(?:khẳng định (?:không|chưa)|không có (?:chủ trương|kế hoạch|quy định|văn bản|chương trình|căn cứ|cơ sở"
    r"|bằng chứng|sự cố|chuyện)|chưa có (?:bằng chứng|căn cứ|cơ sở)|không xảy ra|không đúng sự thật|sai sự thật"
    r"|bác bỏ|tin giả|tiếp tục có giá trị|vẫn (?:hoạt động|vận hành|đón khách|có giá trị)|là giả mạo"
    r"|không (?:hề )?ban hành)\b")
_REFUTE_CUES_FOLDED = re.compile(fold_diacritics(REFUTE_CUES.pattern))
REFUTE_PENALTY = 0.75
_NON_WORD = re.compile(r"[^\w]+|_")
_NON_WORD_LINES = re.compile(r"[^\w\n]+|_")
_MARKED = re.compile("[" + "".join(ch for ch in map(chr, range(0xC0, 0x1F00))
                                   if ch.isalpha() and fold_diacritics(ch) != ch) + "]")


def match_text(text: str, normalized: bool = False) -> str:
    """Normalized form used for matching: NFC + tone placement (skipped when ``normalized``),
    lower case, punctuation → space."""
    return " ".join(_NON_WORD.sub(" ", (text if normalized else normalize_text(text)).lower()).split())


def refutes(unit: str) -> bool:
    """True when a (normalized or raw) unit carries a refutation cue (:data:`REFUTE_CUES`),
    with or without diacritics."""
    low = unit.lower()
    return bool(REFUTE_CUES.search(low) or _REFUTE_CUES_FOLDED.search(fold_diacritics(low)))


def has_diacritics(text: str, min_ratio: float = 0.15) -> bool:
    """True when at least ``min_ratio`` of the non-space characters are letters carrying a
    Vietnamese mark (or đ): distinguishes normal Vietnamese from text typed without
    diacritics. Expects NFC text."""
    chars = len(text) - text.count(" ")
    return chars > 0 and len(_MARKED.findall(text)) / chars >= min_ratio


def split_units(title: str, text: str, max_units: int = MAX_UNITS) -> list[str]:
    """Title, quoted passages (“…”) and sentences of ``text`` (raw or normalized strings), at
    most ``max_units`` of them. Body sentences shorter than :data:`MIN_UNIT_WORDS` syllables
    are joined to the next sentence (a caption or fragment such as "Các bãi tắm thưa vắng
    hơn." is not a claim on its own; a short last sentence joins the one before); units shorter than :data:`MIN_UNIT_CHARS` characters are
    dropped; sentences longer than :data:`MAX_UNIT_CHARS` are cut into pieces of about that
    length at spaces."""
    units: list[str] = [p for p in ([title.strip()] if title else []) if len(p) >= MIN_UNIT_CHARS]
    units += [m.group(1).strip() for m in _QUOTED.finditer(f"{title}\n{text[:MAX_DOC_CHARS]}")][:20]
    pending, n_fixed = "", len(units)
    for part in _SPLIT.split(text or ""):
        part = f"{pending} {part.strip()}".strip() if pending else part.strip()
        if part.count(" ") + 1 < MIN_UNIT_WORDS or (part[-1:] == "." and _ABBREV_END.search(part[-8:])):
            pending = part
            continue
        pending = ""
        while len(part) > MAX_UNIT_CHARS:
            cut = part.rfind(" ", MAX_UNIT_CHARS // 2, MAX_UNIT_CHARS)
            cut = cut if cut > 0 else MAX_UNIT_CHARS
            units.append(part[:cut])
            part = part[cut:].strip()
        if len(part) >= MIN_UNIT_CHARS:
            units.append(part)
        if len(units) >= max_units:
            break
    if pending and len(units) > n_fixed and len(units[-1]) + len(pending) < 2 * MAX_UNIT_CHARS:
        units[-1] = f"{units[-1]} {pending}"  # a short last sentence joins the one before
    elif pending and len(pending) >= MIN_UNIT_CHARS and len(units) < max_units:
        units.append(pending)
    return units[:max_units]


@dataclass(frozen=True)
class Match:
    """Best claim of one document: ``similarity`` in [0,1], ``claim_index`` (index into the
    matcher's claims, -1 when there are no claims or no units), ``unit`` (the sentence or title
    that matched, raw text)."""

    similarity: float
    claim_index: int
    unit: str


class _Channel:
    """One TF-IDF space (char_wb or syllable n-grams) with the claim matrix in it."""

    def __init__(self, analyzer: str, ngram_range: tuple[int, int], corpus: list[str], claims: list[str]) -> None:
        kwargs: dict[str, Any] = {"token_pattern": r"(?u)\b\w+\b"} if analyzer == "word" else {}
        self.vectorizer = TfidfVectorizer(analyzer=analyzer, ngram_range=ngram_range, sublinear_tf=True,
                                          dtype=np.float32, **kwargs)
        self.vectorizer.fit(corpus)
        self.claims_t = self.vectorizer.transform(claims).T.tocsr()

    def sims(self, units: list[str]) -> sparse.csr_matrix:
        return (self.transform(units) @ self.claims_t).tocsr()

    def transform(self, units: list[str]) -> sparse.csr_matrix:
        return self.vectorizer.transform(units)


class _SyllableChannel(_Channel):
    """The syllable 1–2-gram channel with a faster transform for units that are already
    lower-cased with punctuation turned into spaces (:func:`match_text`): same vocabulary, IDF,
    sublinear TF and L2 norm as the fitted TfidfVectorizer, so the same vectors."""

    def __init__(self, corpus: list[str], claims: list[str]) -> None:
        super().__init__("word", (1, 2), corpus, claims)
        self.vocab = self.vectorizer.vocabulary_
        self.idf = self.vectorizer.idf_.astype(np.float32)

    def transform(self, units: list[str]) -> sparse.csr_matrix:
        vocab = self.vocab
        indptr, indices, counts = [0], [], []
        for u in units:
            toks = u.split()
            hits = Counter(map(vocab.get, chain(toks, map(" ".join, zip(toks, toks[1:], strict=False))), _MISSING))
            hits.pop(-1, None)
            indices.extend(hits.keys())
            counts.extend(hits.values())
            indptr.append(len(indices))
        data = np.asarray(counts, dtype=np.float32)
        X = sparse.csr_matrix((data, np.asarray(indices, dtype=np.int32), np.asarray(indptr, dtype=np.int32)),
                              shape=(len(units), len(self.idf)))
        X.data = (1.0 + np.log(X.data)) * self.idf[X.indices]
        norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return sparse.csr_matrix(sparse.diags(1.0 / norms) @ X)


class ClaimMatcher:
    """Similarity of documents to a fixed list of claims.

    ``claims``: one entry per debunk, either a string or a list of phrasings (the debunk's
    similarity is the best over its phrasings). ``background``: extra texts for the IDF
    (raw strings; e.g. the matching set). ``char_weight``: weight of the character channel
    (the syllable channel gets the rest). Raises ValueError when ``claims`` is empty.
    """

    def __init__(self, claims: Sequence[str | Sequence[str]], background: Iterable[str] = (),
                 char_weight: float = CHAR_WEIGHT, char_range: tuple[int, int] = (2, 5),
                 word_range: tuple[int, int] = (1, 2), fold_undiacritized: bool = True,
                 prefilter: float = PREFILTER, refute_penalty: float = REFUTE_PENALTY) -> None:
        if not claims:
            raise ValueError("no claims to match against")
        rows: list[str] = []
        owner: list[int] = []
        for i, claim in enumerate(claims):
            for phrasing in ([claim] if isinstance(claim, str) else list(claim)):
                if phrasing and phrasing.strip():
                    rows.append(match_text(phrasing))
                    owner.append(i)
        self.n_claims = len(claims)
        self.owner = np.asarray(owner)
        self.char_weight = float(char_weight)
        self.prefilter = float(prefilter)
        self.refute_penalty = float(refute_penalty)
        self.fold = fold_undiacritized
        corpus = rows + [match_text(u) for t in background for u in split_units("", t)]
        self.word = (_SyllableChannel(corpus, rows) if tuple(word_range) == (1, 2)
                     else _Channel("word", word_range, corpus, rows))
        self.char = _Channel("char_wb", char_range, corpus, rows) if char_weight > 0 else None
        folded_rows = [fold_diacritics(r) for r in rows]
        folded_corpus = [fold_diacritics(c) for c in corpus]
        if self.fold:
            self.word_f = (_SyllableChannel(folded_corpus, folded_rows) if tuple(word_range) == (1, 2)
                           else _Channel("word", word_range, folded_corpus, folded_rows))
            self.char_f = _Channel("char_wb", char_range, folded_corpus, folded_rows) if char_weight > 0 else None

    # -- core ---------------------------------------------------------------------------
    def _unit_sims(self, units: list[str]) -> np.ndarray:
        """(n_units, n_claims) similarities of normalized units."""
        return self._score_units(units)

    def _score_units(self, units: list[str]) -> np.ndarray:
        out = np.zeros((len(units), self.n_claims), dtype=np.float32)
        folded = np.array([self.fold and not has_diacritics(u) for u in units])
        for mask, word, char, conv in ((~folded, self.word, self.char, None),
                                       (folded, getattr(self, "word_f", None), getattr(self, "char_f", None),
                                        fold_diacritics)):
            idx = np.flatnonzero(mask)
            if not len(idx) or word is None:
                continue
            texts = [conv(units[i]) if conv else units[i] for i in idx]
            w = word.sims(texts).toarray()
            rows = w.copy() if char is None else (1 - self.char_weight) * w
            if char is not None:
                cand = np.flatnonzero(w.max(axis=1) >= self.prefilter)
                if len(cand):
                    rows[cand] += self.char_weight * char.sims([texts[i] for i in cand]).toarray()
            out[idx] = self._reduce_phrasings(rows)
        if self.refute_penalty != 1.0:
            pen = [i for i in np.flatnonzero(out.max(axis=1) >= self.prefilter) if refutes(units[i])]
            out[pen] *= self.refute_penalty
        return out

    def _reduce_phrasings(self, rows: np.ndarray) -> np.ndarray:
        if len(self.owner) == self.n_claims:
            return rows
        out = np.zeros((rows.shape[0], self.n_claims), dtype=np.float32)
        for j, i in enumerate(self.owner):
            np.maximum(out[:, i], rows[:, j], out=out[:, i])
        return out

    def doc_similarities(self, docs: Sequence[tuple[str, str]], normalized: bool = False
                         ) -> tuple[np.ndarray, list[list[str]], np.ndarray]:
        """For (title, text) pairs: (S, units, argunit) where S is (n_docs, n_claims), the best
        similarity of any unit of each document to each claim; ``units[d]`` the document's
        units (normalized text, original case); ``argunit[d, c]`` the index of the best unit
        (−1 when the document has none). ``normalized``: the texts already went through
        :func:`pipeline.normalize.normalize_text` (as :class:`classifiers.base.DocInput` texts
        have). All units of the batch are vectorized at once."""
        norm = (lambda s: s or "") if normalized else (lambda s: normalize_text(s or ""))
        units = [split_units(norm(t), norm((x or "")[:MAX_DOC_CHARS])) for t, x in docs]
        flat = []
        for us in units:
            if us:
                flat.extend(" ".join(u.split()) for u in _NON_WORD_LINES.sub(" ", "\n".join(us).lower()).split("\n"))
        sims = self._unit_sims(flat)
        S = np.zeros((len(docs), self.n_claims), dtype=np.float32)
        arg = np.full((len(docs), self.n_claims), -1, dtype=np.int64)
        start = 0
        for d, us in enumerate(units):
            if us:
                block = sims[start:start + len(us)]
                arg[d] = block.argmax(axis=0)
                S[d] = block.max(axis=0)
            start += len(us)
        return np.clip(S, 0.0, 1.0), units, arg

    def best(self, docs: Sequence[tuple[str, str]], normalized: bool = False) -> list[Match]:
        """The best claim per (title, text) document (see :class:`Match`)."""
        S, units, arg = self.doc_similarities(docs, normalized)
        out = []
        for d in range(len(docs)):
            if not units[d]:
                out.append(Match(0.0, -1, ""))
                continue
            c = int(S[d].argmax())
            out.append(Match(float(S[d, c]), c, units[d][int(arg[d, c])]))
        return out


def shared_phrases(unit: str, claim: str, min_len: int = 2, k: int = 3) -> list[str]:
    """Longest runs of consecutive claim syllables that also occur consecutively in ``unit``
    (compared lower-case, without diacritics when either side has none): what the analyst sees
    as the words the document shares with the claim. At most ``k``, longest first."""
    u, c = match_text(unit).split(), match_text(claim).split()
    if not (has_diacritics(" ".join(u)) and has_diacritics(" ".join(c))):
        u, c = [fold_diacritics(w) for w in u], [fold_diacritics(w) for w in c]
    grams = {tuple(u[i:i + n]) for n in range(min_len, 9) for i in range(len(u) - n + 1)}
    found: list[tuple[int, int]] = []
    i = 0
    while i < len(c):
        best = 0
        for n in range(min(8, len(c) - i), min_len - 1, -1):
            if tuple(c[i:i + n]) in grams:
                best = n
                break
        if best:
            found.append((i, best))
            i += best
        else:
            i += 1
    words = match_text(claim).split()
    return [" ".join(words[i:i + n]) for i, n in sorted(found, key=lambda x: -x[1])[:k]]


# -- the matching set and calibration ---------------------------------------------------------

def load_matching_set(path: Path = MATCHING_SET) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(claims, texts) of the matching set JSONL. Claim rows: claim_id, claim, verdict, topic,
    area. Text rows: id, claim_id (gold claim for label 1, the confusable claim or null for
    label 0), label (1 = restates the claim), kind (report / correction / hard_negative /
    other_rumour / unrelated), style (rumour / report / debunk / news), diacritics, text."""
    claims, texts = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            (claims if row["type"] == "claim" else texts).append(row)
    return claims, texts


def retrieval_scores(matcher: ClaimMatcher, claim_ids: Sequence[str], texts: Sequence[dict[str, Any]]
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For matching-set ``texts`` against a matcher built on ``claim_ids`` (same order):
    (best similarity, correct, label) arrays; ``correct`` = label 1 and the best claim is the
    gold one."""
    matches = matcher.best([(t.get("title", ""), t["text"]) for t in texts])
    sim = np.array([m.similarity for m in matches])
    label = np.array([int(t["label"]) for t in texts])
    correct = np.array([int(t["label"] == 1 and m.claim_index >= 0 and claim_ids[m.claim_index] == t["claim_id"])
                        for t, m in zip(texts, matches, strict=True)])
    return sim, correct, label


def precision_recall_at(sim: np.ndarray, correct: np.ndarray, label: np.ndarray, t: float) -> tuple[float, float, int]:
    """(precision, recall, n linked) when every text with best similarity ≥ ``t`` is linked to
    its best claim: a link is right only if it is the gold claim."""
    linked = sim >= t
    n = int(linked.sum())
    tp = int((linked & (correct == 1)).sum())
    pos = int(label.sum())
    return (tp / n if n else 1.0), (tp / pos if pos else 0.0), n


def pick_thresholds(sim: np.ndarray, correct: np.ndarray, label: np.ndarray, min_precision: float = 0.95,
                    min_recall: float = 0.9) -> tuple[float, float]:
    """(suggest, autolink). ``autolink``: the lowest similarity t such that precision is ≥
    ``min_precision`` at t and at every higher candidate threshold. ``suggest``: the highest t
    whose recall is ≥ ``min_recall`` (capped at ``autolink``). Candidates: the observed
    similarities, rounded down to 0.01."""
    cands = np.unique(np.floor(sim[sim > 0] * 100) / 100)
    autolink = float(cands.max()) if len(cands) else 1.0
    for t in sorted(cands, reverse=True):
        if precision_recall_at(sim, correct, label, t)[0] >= min_precision:
            autolink = float(t)
        else:
            break
    suggest = float(cands.min()) if len(cands) else 0.0
    for t in sorted(cands, reverse=True):
        if precision_recall_at(sim, correct, label, t)[1] >= min_recall:
            suggest = float(t)
            break
    return min(suggest, autolink), autolink


def grouped_folds(texts: Sequence[dict[str, Any]], n_folds: int = 5) -> list[int]:
    """Fold index per text: texts of one claim share a fold (claims dealt round-robin in
    sorted order); texts without a claim are dealt round-robin by position. Deterministic."""
    claim_ids = sorted({t["claim_id"] for t in texts if t.get("claim_id")})
    fold_of = {c: i % n_folds for i, c in enumerate(claim_ids)}
    out, k = [], 0
    for t in texts:
        if t.get("claim_id"):
            out.append(fold_of[t["claim_id"]])
        else:
            out.append(k % n_folds)
            k += 1
    return out


def out_of_fold_scores(claims: Sequence[dict[str, Any]], texts: Sequence[dict[str, Any]], n_folds: int = 5,
                       **matcher_kwargs: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Grouped cross-validation of the matcher: each fold's texts are scored by a matcher whose
    IDF background holds only the other folds' texts (as a newly added debunk's reports would
    be unseen), against the full claim memory. Returns (sim, correct, label, fold)."""
    ids = [c["claim_id"] for c in claims]
    folds = np.array(grouped_folds(texts, n_folds))
    sim = np.zeros(len(texts))
    correct = np.zeros(len(texts), dtype=int)
    label = np.array([int(t["label"]) for t in texts])
    for f in range(n_folds):
        test = np.flatnonzero(folds == f)
        background = [t["text"] for t, g in zip(texts, folds, strict=True) if g != f]
        matcher = ClaimMatcher([c["claim"] for c in claims], background, **matcher_kwargs)
        s, c, _ = retrieval_scores(matcher, ids, [texts[i] for i in test])
        sim[test], correct[test] = s, c
    return sim, correct, label, folds


def calibrate(claims: Sequence[dict[str, Any]], texts: Sequence[dict[str, Any]], n_folds: int = 5,
              min_precision: float = 0.95, min_recall: float = 0.9, **matcher_kwargs: Any) -> dict[str, Any]:
    """Thresholds from out-of-fold similarities (:func:`out_of_fold_scores`) plus a nested
    estimate of how they generalize (thresholds picked on 4 folds' out-of-fold scores, applied
    to the 5th). Returns {"suggest", "autolink", "at_suggest", "at_autolink" (precision,
    recall, n linked on the pooled out-of-fold scores), "nested" (the same, pooled over held-out
    folds), "auc" (ROC-AUC of the best similarity for correct links vs the rest)}."""
    from sklearn.metrics import roc_auc_score

    sim, correct, label, folds = out_of_fold_scores(claims, texts, n_folds, **matcher_kwargs)
    suggest, autolink = pick_thresholds(sim, correct, label, min_precision, min_recall)
    nested = {"suggest": [0, 0, 0], "autolink": [0, 0, 0]}  # tp, linked, positives
    for f in range(n_folds):
        tr, te = folds != f, folds == f
        s_t, a_t = pick_thresholds(sim[tr], correct[tr], label[tr], min_precision, min_recall)
        for name, t in (("suggest", s_t), ("autolink", a_t)):
            linked = sim[te] >= t
            nested[name][0] += int((linked & (correct[te] == 1)).sum())
            nested[name][1] += int(linked.sum())
            nested[name][2] += int(label[te].sum())

    def pr(t: float) -> dict[str, float]:
        p, r, n = precision_recall_at(sim, correct, label, t)
        return {"precision": round(p, 4), "recall": round(r, 4), "linked": n}

    return {
        "suggest": suggest, "autolink": autolink, "at_suggest": pr(suggest), "at_autolink": pr(autolink),
        "nested": {k: {"precision": round(v[0] / v[1], 4) if v[1] else 1.0, "recall": round(v[0] / v[2], 4),
                       "linked": v[1]} for k, v in nested.items()},
        "auc": round(float(roc_auc_score(correct, sim)), 4),
        "n_texts": len(texts), "n_positive": int(label.sum()), "n_claims": len(claims), "folds": n_folds,
    }
