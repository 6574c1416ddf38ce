"""Trend statistics for the weekly summary: volume spikes and emerging phrases.

Pure computation (standard library + numpy, no database, no network). Inputs are plain
Python lists/dicts so callers can build them from any query.

* :func:`detect_spikes` - daily volume spikes per key (topic, area, source...): today's count against
  the previous ``baseline_days`` days, scored with a Poisson-floored z-score.
* :func:`detect_fast_spikes` - the same test on hourly counts (last hour vs. the previous 12 hours).
* :func:`emerging_phrases` - Vietnamese phrases over-represented in a current set of documents compared
  with a background set, ranked by the log-odds ratio with an informative Dirichlet prior
  (Monroe, Colaresi & Quinn 2008, "Fightin' Words", Political Analysis 16(4):372-403, section 3.5).

See ``docs/trends.md`` for the methods, defaults and known limits.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

__all__ = [
    "MAX_DOC_CHARS",
    "STOPWORDS",
    "Phrase",
    "Spike",
    "detect_fast_spikes",
    "detect_spikes",
    "emerging_phrases",
    "segmenter_name",
]

#: Each document is truncated to this many characters before segmentation (bounds CPU time).
MAX_DOC_CHARS = 5_000

#: Lower-cased Vietnamese function words / very frequent words that never make a useful phrase.
#: Compared against whole (possibly multi-syllable) words after segmentation.
#: Multi-syllable entries are written with "_" in the source list and compared with a space.
_STOPWORDS_TEXT = """
của và các những được cho với là có trong này đã người theo khi một không về từ đến tại cũng như
năm ngày tháng giờ sẽ đang thì mà để đó bị ra vào còn lại nên rằng hay hoặc nhưng vì do nếu tuy
ở trên dưới sau trước nhiều rất đây kia ấy nào gì ai đều chỉ vẫn chưa đi làm việc nhất hơn qua
tuy_nhiên trong_khi vì_vậy do_đó hiện_nay cho_biết có_thể bao_gồm đối_với theo_đó bên_cạnh ngoài_ra
thời_gian hôm_nay vừa_qua trước_đó sau_đó như_vậy tất_cả
"""
STOPWORDS: frozenset[str] = frozenset(w.replace("_", " ") for w in _STOPWORDS_TEXT.split())

_LETTER_RE = re.compile(r"[^\W\d_]", re.UNICODE)  # any letter
_DIGIT_RE = re.compile(r"\d")
_SYLLABLE_RE = re.compile(r"[^\W\d_]+", re.UNICODE)


# --------------------------------------------------------------------------------------------------
# Volume spikes
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Spike:
    """One key whose latest count is anomalously high against its own baseline.

    Attributes:
        key: the series key (topic, area, source...).
        count: the latest value (today's count, or the last hour's count), in documents.
        baseline_mean: mean count per period (day or hour) over the baseline window.
        score: z = (count - mean) / max(std, sqrt(mean), 1.0); dimensionless.
        ratio: count / max(mean, 0.5); "times the usual volume".
    """

    key: str
    count: int
    baseline_mean: float
    score: float
    ratio: float


def _spikes(series: Mapping[str, Sequence[int]], window: int, threshold: float, min_count: int) -> list[Spike]:
    if window < 1:
        raise ValueError("baseline window must be >= 1")
    out: list[Spike] = []
    for key, values in series.items():
        if len(values) < 2:  # no baseline at all
            continue
        x = int(values[-1])
        if x < min_count:
            continue
        baseline = np.asarray(values[-1 - window : -1], dtype=float)
        if np.any(baseline < 0) or x < 0:
            raise ValueError(f"negative count in series {key!r}")
        mu = float(baseline.mean())
        sigma = float(baseline.std())  # population std (ddof=0) of the baseline window
        scale = max(sigma, math.sqrt(mu), 1.0)
        z = (x - mu) / scale
        if z >= threshold:
            out.append(Spike(key=key, count=x, baseline_mean=mu, score=z, ratio=x / max(mu, 0.5)))
    out.sort(key=lambda s: (-s.score, -s.count, s.key))
    return out


def detect_spikes(
    series: Mapping[str, Sequence[int]],
    *,
    baseline_days: int = 14,
    threshold: float = 3.0,
    min_count: int = 3,
) -> list[Spike]:
    """Find keys whose count today is anomalously high against the previous ``baseline_days`` days.

    Args:
        series: ``{key: [count_day_0, ..., count_today]}`` - non-negative daily document counts,
            oldest first; the last element is "today" and is tested. Series may have different lengths;
            if shorter than ``baseline_days + 1``, the available previous days are used; a series with
            no previous day is skipped. Missing days must be filled with 0 by the caller.
        baseline_days: number of days before today forming the baseline window.
        threshold: minimum score (z) to report.
        min_count: minimum count today to report (filters 0 -> 1 -> 2 noise on quiet keys).

    Returns:
        Spikes sorted by score descending (ties: higher count, then key).

    Method: with baseline mean ``mu`` and population standard deviation ``sigma``, the score is
    ``z = (x - mu) / max(sigma, sqrt(mu), 1.0)``. The ``sqrt(mu)`` term is the Poisson standard deviation,
    a floor that keeps perfectly flat or near-empty series from producing huge z on tiny changes; the
    ``1.0`` floor handles all-zero baselines. A key spikes when ``x >= min_count`` and ``z >= threshold``.
    This is the usual robustified z-score / Poisson-floor approach of count-based event detection
    (cf. the EARS C-family syndromic surveillance detectors, Hutwagner et al. 2003).
    """
    return _spikes(series, baseline_days, threshold, min_count)


def detect_fast_spikes(
    series_hourly: Mapping[str, Sequence[int]],
    *,
    baseline_hours: int = 12,
    threshold: float = 3.0,
    min_count: int = 3,
) -> list[Spike]:
    """Fast-moving topics: the last hour's count against the previous ``baseline_hours`` hours.

    Args:
        series_hourly: ``{key: [count_hour_0, ..., count_last_hour]}`` - non-negative hourly document
            counts, oldest first; the last element is the (completed) hour being tested.
        baseline_hours: number of hours before the tested hour forming the baseline.
        threshold: minimum score (z) to report.
        min_count: minimum count in the tested hour.

    Returns:
        Spikes sorted by score descending; ``baseline_mean`` is per hour.

    Same method as :func:`detect_spikes` (Poisson-floored z-score), on an hourly grid.
    """
    return _spikes(series_hourly, baseline_hours, threshold, min_count)


# --------------------------------------------------------------------------------------------------
# Emerging phrases
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Phrase:
    """A phrase over-represented in the current documents.

    Attributes:
        text: the phrase, lower-cased, syllables separated by single spaces (e.g. ``"sạt lở đất"``).
        count_current: number of current documents containing it (document frequency).
        count_background: number of background documents containing it.
        z: z-score of the log-odds ratio (current vs. background) with an informative Dirichlet prior.
    """

    text: str
    count_current: int
    count_background: int
    z: float


def _underthesea_segmenter() -> Callable[[str], list[str]] | None:
    """underthesea's CRF word segmenter (model file shipped in the wheel; no download), or None."""
    try:
        from underthesea import word_tokenize
    except Exception:  # any import failure means "fall back"
        return None
    try:
        probe = word_tokenize("Sạt lở đất ở Quảng Trị")
    except Exception:  # e.g. missing model file; never try to fetch one
        return None
    if not probe or not all(isinstance(t, str) for t in probe):
        return None
    return word_tokenize


@lru_cache(maxsize=1)
def _segmenter() -> tuple[str, Callable[[str], list[str]] | None]:
    seg = _underthesea_segmenter()
    return ("underthesea" if seg is not None else "syllable-bigrams", seg)


def segmenter_name() -> str:
    """``"underthesea"`` when word segmentation is available, else ``"syllable-bigrams"`` (fallback)."""
    return _segmenter()[0]


def _is_content(word: str) -> bool:
    return bool(_LETTER_RE.search(word)) and not _DIGIT_RE.search(word) and word not in STOPWORDS


def _normalize(doc: str) -> str:
    return unicodedata.normalize("NFC", doc[:MAX_DOC_CHARS])


def _phrases_from_words(words: Iterable[str]) -> set[str]:
    """Multi-syllable content words plus bigrams of adjacent content words (not across dropped tokens)."""
    found: set[str] = set()
    prev: str | None = None
    for raw in words:
        w = " ".join(raw.lower().split())
        if not w or not _is_content(w) or not all(_LETTER_RE.search(s) for s in w.split()):
            prev = None
            continue
        if " " in w:
            found.add(w)
        if prev is not None:
            found.add(f"{prev} {w}")
        prev = w
    return found


def _syllable_bigrams(doc: str) -> set[str]:
    """Fallback without segmentation: bigrams of adjacent non-stopword syllables (within a sentence piece)."""
    found: set[str] = set()
    for piece in re.split(r"[^\w\s]|\d", doc.lower()):
        syllables = _SYLLABLE_RE.findall(piece)
        for a, b in zip(syllables, syllables[1:], strict=False):
            if a not in STOPWORDS and b not in STOPWORDS and f"{a} {b}" not in STOPWORDS:
                found.add(f"{a} {b}")
    return found


def _doc_phrases(doc: str, seg: Callable[[str], list[str]] | None) -> set[str]:
    text = _normalize(doc)
    if seg is None:
        return _syllable_bigrams(text)
    try:
        words = seg(text)
    except Exception:  # one bad document must not kill the report
        return _syllable_bigrams(text)
    return _phrases_from_words(words)


def _doc_freq(docs: Sequence[str], seg: Callable[[str], list[str]] | None) -> Counter[str]:
    df: Counter[str] = Counter()
    for doc in docs:
        if doc:
            df.update(_doc_phrases(doc, seg))
    return df


def _syllable_runs(text: str) -> set[tuple[str, ...]]:
    syl = text.split()
    return {tuple(syl[i : i + 2]) for i in range(len(syl) - 1)}


def _redundant(candidate: Phrase, chosen: Sequence[Phrase], ratio: float = 0.8) -> bool:
    """True when ``candidate`` shares a 2-syllable run with a chosen phrase of similar document count."""
    runs = _syllable_runs(candidate.text)
    for p in chosen:
        if runs & _syllable_runs(p.text):
            lo, hi = sorted((candidate.count_current, p.count_current))
            if lo >= ratio * hi:
                return True
    return False


def emerging_phrases(
    current_docs: Sequence[str],
    background_docs: Sequence[str],
    *,
    top: int = 20,
    min_count: int = 3,
    prior_strength: float | None = None,
) -> list[Phrase]:
    """Phrases over-represented in ``current_docs`` (e.g. this week) relative to ``background_docs``.

    Args:
        current_docs: texts (title + body) of the current period; each truncated to ``MAX_DOC_CHARS``.
        background_docs: texts of the reference period (e.g. the 4 previous weeks). With an empty
            background nothing can be "emerging" (all z are 0) and the result is empty.
        top: maximum number of phrases returned.
        min_count: minimum number of current documents containing the phrase.
        prior_strength: alpha_0, the total pseudo-count of the Dirichlet prior. ``None`` (default) uses the
            pooled corpus itself as the prior (``alpha_w = y_w,cur + y_w,bg``), as Monroe et al. do with the
            full collection; smaller values shrink less and favour rare phrases.

    Returns:
        Up to ``top`` phrases with ``z > 0``, best first. Deterministic for the same inputs.

    Method:
        1. Unicode NFC, truncate, segment into words with ``underthesea.word_tokenize`` (offline CRF
           model shipped with the package); if unavailable, fall back to syllable bigrams
           (:func:`segmenter_name` tells which). Candidate phrases are multi-syllable words and bigrams of
           adjacent words, lower-cased, after dropping punctuation, numbers and :data:`STOPWORDS`.
        2. Counts ``y`` are document frequencies (a phrase counts once per document), so one long or
           repetitive article cannot dominate.
        3. Log-odds ratio with informative Dirichlet prior (Monroe, Colaresi & Quinn 2008, eq. 16-22):
           prior ``alpha_w = alpha_0 * (y_w,cur + y_w,bg) / sum_v (y_v,cur + y_v,bg)`` (pooled corpus),
           ``delta_w = log((y_cur + a)/(n_cur + a0 - y_cur - a)) - log((y_bg + a)/(n_bg + a0 - y_bg - a))``,
           ``var(delta_w) ~= 1/(y_cur + a) + 1/(y_bg + a)``, ``z_w = delta_w / sqrt(var)``,
           where ``n`` are the summed phrase counts of each corpus.
        4. Sort by ``z`` descending (ties: more current documents, fewer syllables, text) and skip a phrase
           that shares a two-syllable run with an already selected one whose document count is within 20%
           (e.g. "sạt lở" / "sạt lở đất" / "gây sạt lở" from the same articles are reported once).
    """
    if top <= 0 or not current_docs:
        return []
    seg = _segmenter()[1]
    cur = _doc_freq(current_docs, seg)
    bg = _doc_freq(background_docs, seg)
    if not cur:
        return []
    vocab = sorted(set(cur) | set(bg))
    y_cur = np.array([cur.get(w, 0) for w in vocab], dtype=float)
    y_bg = np.array([bg.get(w, 0) for w in vocab], dtype=float)
    pooled = y_cur + y_bg
    alpha = pooled.copy() if prior_strength is None else prior_strength * pooled / pooled.sum()
    a0 = float(alpha.sum())
    n_cur, n_bg = float(y_cur.sum()), float(y_bg.sum())
    # Floors only matter for a one-phrase vocabulary, where "the rest of the corpus" is empty.
    rest_cur = np.maximum(n_cur + a0 - y_cur - alpha, 1e-9)
    rest_bg = np.maximum(n_bg + a0 - y_bg - alpha, 1e-9)
    delta = np.log((y_cur + alpha) / rest_cur) - np.log((y_bg + alpha) / rest_bg)
    z = delta / np.sqrt(1.0 / (y_cur + alpha) + 1.0 / (y_bg + alpha))
    candidates = [
        Phrase(text=w, count_current=int(c), count_background=int(b), z=round(float(s), 6))
        for w, c, b, s in zip(vocab, y_cur, y_bg, z, strict=True)
        if c >= min_count and s > 1e-9
    ]
    candidates.sort(key=lambda p: (-p.z, -p.count_current, len(p.text.split()), p.text))
    chosen: list[Phrase] = []
    for phrase in candidates:
        if len(chosen) >= top:
            break
        if not _redundant(phrase, chosen):
            chosen.append(phrase)
    return chosen
