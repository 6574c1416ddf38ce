"""Processing throughput benchmark (prints figures; not a test).

Builds N distinct pages from real texts in real layouts (benchmarks/corpus.py),
stores them as fetched documents (what the crawler + ingest leave behind), then
times ``mediawatch``'s processing (extraction, normalization, area relevance,
dedup, classification, triage, storage) and, as the reference, trafilatura
extraction alone on the same pages.

    python benchmarks/pipeline.py [--n 5000] [--workers 1] [--database-url URL]
                                  [--stored 0] [--area-share 0.5] [--json]

``--stored K`` first seeds K older documents (the growth measurement).
With --json the last line is one JSON object: docs_per_s,
extract_only_docs_per_s, ratio, peak_rss_mb, cores, workers, n, stored, database.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from benchmarks.corpus import Page, cached_pages  # noqa: E402
from mediawatch.settings import Settings  # noqa: E402
from storage.types import utcnow  # noqa: E402


def peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, kids) / 1024, 1)


def extract_only(pages: list[Page]) -> float:
    """Reference: trafilatura on each page (decode + bare_extraction), docs/s."""
    import trafilatura

    start = time.perf_counter()
    for page in pages:
        trafilatura.bare_extraction(page.body.decode("utf-8"), url=page.url, with_metadata=True)
    return len(pages) / (time.perf_counter() - start)


def seed_stored(database_url: str, k: int, batch: int = 20_000) -> None:
    """Insert K processed-looking documents spread over the past year (fast core inserts)."""
    import datetime as dt
    import random

    import numpy as np
    from sqlalchemy import insert

    from storage.db import make_engine
    from storage.models import Document

    engine = make_engine(database_url)
    rng = random.Random(1)
    now = utcnow()
    with engine.begin() as conn:
        for start in range(0, k, batch):
            rows = []
            for i in range(start, min(k, start + batch)):
                created = now - dt.timedelta(days=rng.uniform(0, 365))
                rows.append({
                    "url_canonical": f"https://old.example/bai-{i}.html", "status": "ok", "title": f"Bài cũ {i}",
                    "text": "nội dung cũ", "created_at": created, "updated_at": created, "processed_at": created,
                    "content_hash": hashlib.sha256(str(i).encode()).hexdigest(),
                    "minhash": np.random.default_rng(i).integers(0, 2**32, 128, dtype=np.uint64).tobytes(),
                })
            conn.execute(insert(Document), rows)
    engine.dispose()


def store_pages(database_url: str, pages: list[Page]) -> None:
    from sqlalchemy import insert

    from storage.db import make_engine
    from storage.models import Document

    engine = make_engine(database_url)
    now = utcnow()
    with engine.begin() as conn:
        for start in range(0, len(pages), 2000):
            conn.execute(insert(Document), [
                {"url_canonical": p.url, "status": "fetched", "fetch_url": p.url, "fetch_status_code": 200,
                 "fetched_at": now, "content_type": p.content_type, "raw_sha256": hashlib.sha256(p.body).hexdigest(),
                 "raw_gzip": gzip.compress(p.body, compresslevel=1), "created_at": now, "updated_at": now}
                for p in pages[start:start + 2000]])
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--stored", type=int, default=0)
    parser.add_argument("--area-share", type=float, default=0.5)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--skip-reference", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from mediawatch.cycle import open_database, process_into
    from storage.db import session_scope
    from storage.migrate import upgrade
    from storage.models import CrawlRun

    pages = cached_pages(args.shared, ROOT / "var" / "bench", args.n, args.area_share)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        upgrade(url)
        if args.stored:
            t = time.perf_counter()
            seed_stored(url, args.stored)
            print(f"seeded {args.stored} stored documents in {time.perf_counter() - t:.1f}s", file=sys.stderr)
        store_pages(url, pages)
        settings = Settings(var_dir=Path(tmp) / "var", database_url=url, process_workers=args.workers)
        start = time.perf_counter()
        with open_database(settings, migrate=False) as factory, session_scope(factory) as session:
            run = CrawlRun(kind="bench")
            session.add(run)
            session.flush()
            process_into(session, settings, run, None)
        elapsed = time.perf_counter() - start
    docs_per_s = len(pages) / elapsed
    ref = None if args.skip_reference else extract_only(pages)
    result = {
        "docs_per_s": round(docs_per_s, 1),
        "extract_only_docs_per_s": round(ref, 1) if ref else None,
        "ratio": round(docs_per_s / ref, 3) if ref else None,
        "peak_rss_mb": peak_rss_mb(),
        "cores": os.cpu_count(),
        "workers": args.workers,
        "n": len(pages),
        "stored": args.stored,
        "database": "postgresql" if url.startswith("postgresql") else "sqlite",
        "seconds": round(elapsed, 1),
    }
    print(f"processed {result['n']} pages in {result['seconds']} s: {result['docs_per_s']} docs/s "
          f"(extraction alone {result['extract_only_docs_per_s']} docs/s, ratio {result['ratio']}), "
          f"peak RSS {result['peak_rss_mb']} MB, workers {args.workers}/{result['cores']} cores, {result['database']}")
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
