"""Weighted-lexicon scoring shared by the baseline classifiers.

score = 1 - exp(-sum(weight * min(count, 2))) over matched terms, in [0,1).
Terms match on syllable boundaries in normalized, case-folded text; a
diacritic-free variant of each term is added so unaccented social posts match.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from pipeline.normalize import fold_diacritics, normalize_text
from pipeline.textmatch import PhraseMatcher, Tokens


class Lexicon:
    def __init__(self, terms: dict[str, float]) -> None:
        self.matcher = PhraseMatcher(check_case=False)
        for term, weight in terms.items():
            norm = normalize_text(str(term))
            self.matcher.add(norm, (norm, float(weight)))
            folded = fold_diacritics(norm)
            if folded != norm:
                self.matcher.add(folded, (norm, float(weight)))

    def score(self, text: str, tokens: Tokens | None = None) -> tuple[float, list[dict[str, Any]]]:
        """(score in [0,1), matched terms with count and weight, strongest first).

        ``tokens``: the text's tokens when the caller already has them (one tokenization per document).
        """
        counts: Counter[tuple[str, float]] = Counter(m.payload for m in self.matcher.finditer(text, tokens))
        total = sum(w * min(c, 2) for (_, w), c in counts.items())
        terms = sorted(({"term": t, "count": c, "weight": w} for (t, w), c in counts.items()),
                       key=lambda d: -d["weight"] * min(d["count"], 2))
        return 1.0 - math.exp(-total), terms
