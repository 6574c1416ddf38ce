"""Precision/recall of area relevance on the labelled excerpts in ../shared/corpus/excerpts.

Positive = relevance in {brvt, brvt-misinformation, brvt-partial}; negative =
{not-brvt, confusable-not-brvt, not-brvt-misinformation}; brvt-keyword-only is
reported but not scored (title/tag pages with a BR-VT string but no content).
Usage: python eval/area_relevance.py [--corpus ../shared/corpus] [--json]
Prints one line per error and a summary; with --json the last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.area import Gazetteer  # noqa: E402
from pipeline.normalize import normalize_text  # noqa: E402

POSITIVE = {"brvt", "brvt-misinformation", "brvt-partial"}
NEGATIVE = {"not-brvt", "confusable-not-brvt", "not-brvt-misinformation"}


def evaluate(corpus: Path, config: Path) -> dict[str, float | int]:
    gaz = Gazetteer.load(config / "gazetteer.yaml", config / "area.yaml")
    tp = fp = fn = tn = 0
    for line in (corpus / "excerpts" / "pages_corpus_brvt.jsonl").open(encoding="utf-8"):
        rec = json.loads(line)
        label = rec["relevance"]
        if label not in POSITIVE | NEGATIVE:
            continue
        result = gaz.match("", normalize_text(rec["excerpt"]))
        gold = label in POSITIVE
        if result.relevant and gold:
            tp += 1
        elif result.relevant:
            fp += 1
            print(f"FP [{label}] {rec['url']}: {[m.matched_text for m in result.accepted][:4]}")
        elif gold:
            fn += 1
            print(f"FN [{label}] {rec['url']}: {rec['excerpt'][:90]!r}")
        else:
            tn += 1
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"tp": tp, "fp": fp, "fn": fn, "tn": tn, "precision": round(precision, 3),
            "recall": round(recall, 3), "f1": round(f1, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--config", type=Path, default=ROOT / "config")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    res = evaluate(args.corpus, args.config)
    print(f"area relevance on excerpts: precision {res['precision']}, recall {res['recall']}, F1 {res['f1']} "
          f"(tp {res['tp']}, fp {res['fp']}, fn {res['fn']}, tn {res['tn']})")
    if args.json:
        print(json.dumps(res))


if __name__ == "__main__":
    main()
