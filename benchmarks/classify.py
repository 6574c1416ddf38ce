"""Classification throughput benchmark (prints figures; not a test).

Runs every registered classifier (classifiers/registry.py: topics and the five
flags) over N documents on one core, in batches as the pipeline does, and
prints documents/s overall and per classifier. Texts: real article texts from
``../shared/data/news-categories/`` when present (title + body, cut at 5,000
characters), else the bundled demo corpus's texts repeated with a numbered line.

    python benchmarks/classify.py [--n 10000] [--batch 200] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load_texts(n: int) -> tuple[list[tuple[str, str]], str]:
    """(title, text) pairs, at most 5,000 characters of text each, and where they came from."""
    data = ROOT.parent / "shared" / "data" / "news-categories" / "unc_dantri_10topics.jsonl"
    out: list[tuple[str, str]] = []
    if data.exists():
        with data.open(encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                out.append((row.get("title") or "", (row.get("text") or "")[:5000]))
        source = f"{data.name} ({len(out)} distinct articles)"
    else:
        from crawlers.replay import read_replay_map
        from pipeline.extract import page_text, parse_html

        for entry in read_replay_map(ROOT / "demo" / "corpus"):
            if entry.content_type.startswith("text/html"):
                out.append(("", page_text(parse_html(entry.read().decode("utf-8", "replace")))[:5000]))
        source = f"demo corpus ({len(out)} pages)"
    texts = [out[i % len(out)] if i < len(out) else (out[i % len(out)][0], f"{out[i % len(out)][1]}\nBản {i}.")
             for i in range(n)]
    return texts, source


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core

    from classifiers.base import DocInput
    from classifiers.registry import build_all
    from mediawatch.settings import Settings
    from pipeline.normalize import normalize_text

    texts, source = load_texts(args.n)
    docs = [DocInput(normalize_text(t), normalize_text(x)) for t, x in texts]
    classifiers = build_all(Settings())
    per: dict[str, float] = {c.name: 0.0 for c in classifiers}
    started = time.perf_counter()
    for start in range(0, len(docs), args.batch):
        batch = docs[start:start + args.batch]
        for c in classifiers:
            t0 = time.perf_counter()
            c.predict(batch)
            per[c.name] += time.perf_counter() - t0
    total = time.perf_counter() - started
    result = {"n": args.n, "source": source, "seconds": round(total, 2), "docs_per_s": round(args.n / total, 1),
              "per_classifier_docs_per_s": {k: round(args.n / v, 1) for k, v in per.items()},
              "versions": {c.name: c.version for c in classifiers}}
    print(f"{args.n} documents from {source} on one core: {result['docs_per_s']} docs/s "  # noqa: T201
          f"({total:.1f} s, all {len(classifiers)} classifiers)")
    for name, rate in result["per_classifier_docs_per_s"].items():
        print(f"  {name:16s} {rate:10.1f} docs/s  ({result['versions'][name]})")  # noqa: T201
    if args.json:
        print(json.dumps(result, ensure_ascii=False))  # noqa: T201


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
