"""Processing throughput benchmark (prints figures; not a test).

Builds N pages from real texts in real layouts (benchmarks/corpus.py) and
stores them as fetched documents (what crawl + ingest leave behind), streaming,
so memory stays flat. A child process then times mediawatch's processing
(extraction, normalization, area relevance, dedup, classification, triage,
storage) and reports its own peak RSS (workers included). The reference is
trafilatura extraction alone on the same pages, read back from the database.

    python benchmarks/pipeline.py [--n 5000] [--workers 1] [--database-url URL]
                                  [--stored 0] [--area-share 0.5] [--batch 200]
                                  [--reference-sample 2000] [--no-area-prefilter] [--json]

``--workers 0`` = one per core. Peak RSS is the highest sum over the processing
process and its workers (sampled from /proc every 0.5 s). ``--stored K`` first seeds K older processed
documents spread over the past year (the growth measurement). --database-url
takes a PostgreSQL server URL; a fresh database is created on it and dropped.
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
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def peak_rss_mb() -> float:
    """Peak RSS in MB of this process (or of its largest waited-for child)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, kids) / 1024, 1)


class TreeRSS:
    """Samples the summed RSS of this process and all its descendants (process-pool workers
    included) every ``interval`` seconds from /proc; ``peak_mb`` is the highest sum seen."""

    def __init__(self, interval: float = 0.5) -> None:
        import threading

        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(interval,), daemon=True)

    @staticmethod
    def _tree_rss_kb(root: int) -> int:
        parents: dict[int, int] = {}
        rss: dict[int, int] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                parents[int(entry.name)] = int(stat[1])
                rss[int(entry.name)] = int(stat[21]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
            except (OSError, IndexError, ValueError):
                continue
        tree, frontier = {root}, [root]
        while frontier:
            pid = frontier.pop()
            kids = [p for p, pp in parents.items() if pp == pid and p not in tree]
            tree.update(kids)
            frontier.extend(kids)
        return sum(rss.get(p, 0) for p in tree)

    def _run(self, interval: float) -> None:
        while not self._stop.wait(interval):
            self.peak_mb = max(self.peak_mb, self._tree_rss_kb(os.getpid()) / 1024)

    def __enter__(self) -> TreeRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def seed_stored(database_url: str, k: int, batch: int = 20_000) -> None:
    """Insert K processed-looking documents spread over the past year, with their LSH band
    buckets (fast core inserts)."""
    import datetime as dt
    import random

    import numpy as np
    from sqlalchemy import insert

    from storage.db import make_engine
    from storage.models import Document, MinhashBand
    from storage.types import utcnow

    engine = make_engine(database_url)
    rng = random.Random(1)
    gen = np.random.default_rng(1)
    b, r = 18, 7  # datasketch's optimum for threshold 0.6, 128 permutations
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
                    "minhash": gen.integers(0, 2**32, 128, dtype=np.uint64).tobytes(),
                })
            ids = conn.execute(insert(Document).returning(Document.id, sort_by_parameter_order=True), rows).scalars().all()
            bands = [{"document_id": doc_id, "band": j,
                      "bucket": int.from_bytes(hashlib.blake2b(row["minhash"][j * r * 8:(j + 1) * r * 8],
                                                               digest_size=8).digest(), "big", signed=True)}
                     for doc_id, row in zip(ids, rows, strict=True) for j in range(b)]
            conn.execute(insert(MinhashBand), bands)
    engine.dispose()


def store_pages(database_url: str, shared: Path, n: int, area_share: float) -> None:
    from sqlalchemy import insert

    from benchmarks.corpus import iter_pages
    from storage.db import make_engine
    from storage.models import Document
    from storage.types import utcnow

    engine = make_engine(database_url)
    now = utcnow()
    rows: list[dict[str, object]] = []
    with engine.begin() as conn:
        for page in iter_pages(shared, n, area_share):
            rows.append({"url_canonical": page.url, "status": "fetched", "fetch_url": page.url,
                         "fetch_status_code": 200, "fetched_at": now, "content_type": page.content_type,
                         "raw_sha256": hashlib.sha256(page.body).hexdigest(),
                         "raw_gzip": gzip.compress(page.body, compresslevel=1), "created_at": now, "updated_at": now})
            if len(rows) == 1000:
                conn.execute(insert(Document), rows)
                rows = []
        if rows:
            conn.execute(insert(Document), rows)
    engine.dispose()


def extract_only(database_url: str, sample: int) -> float:
    """Reference: decode + trafilatura.bare_extraction (with the pipeline's options) on ``sample``
    stored pages taken evenly across the whole set (long articles and short items alike), docs/s."""
    import trafilatura
    from sqlalchemy import select

    from pipeline.extract import TRAFILATURA_OPTIONS
    from storage.db import make_engine
    from storage.models import Document

    engine = make_engine(database_url)
    with engine.connect() as conn:
        ids = conn.execute(select(Document.id).where(Document.fetch_url.is_not(None)).order_by(Document.id)).scalars().all()
        step = max(1, len(ids) // max(1, sample))
        chosen = ids[::step][:sample]
        rows = []
        for start in range(0, len(chosen), 500):
            rows += conn.execute(select(Document.fetch_url, Document.raw_gzip)
                                 .where(Document.id.in_(chosen[start:start + 500]))).all()
    engine.dispose()
    start = time.perf_counter()
    for url, blob in rows:
        trafilatura.bare_extraction(gzip.decompress(blob).decode("utf-8"), url=url, **TRAFILATURA_OPTIONS)
    return len(rows) / (time.perf_counter() - start)


def process_child(database_url: str, workers: int, batch: int, prefilter: bool = True) -> dict[str, float]:
    """Run processing in this process; returns docs/s and this process's peak RSS (with workers)."""
    from sqlalchemy import func, select

    from mediawatch.cycle import open_database, process_into
    from mediawatch.settings import Settings
    from storage.db import session_scope
    from storage.models import CrawlRun, Document

    with tempfile.TemporaryDirectory() as tmp, TreeRSS() as tree_rss:
        settings = Settings(var_dir=Path(tmp), database_url=database_url, process_workers=workers,
                            process_batch=batch, area_prefilter=prefilter)
        with open_database(settings, migrate=False) as factory, session_scope(factory) as session:
            n = session.scalar(select(func.count()).select_from(Document).where(Document.status == "fetched"))
            start = time.perf_counter()
            run = CrawlRun(kind="bench")
            session.add(run)
            session.flush()
            process_into(session, settings, run, None)
            session.commit()
            elapsed = time.perf_counter() - start
    return {"docs_per_s": n / elapsed, "seconds": elapsed, "n": n,
            "peak_rss_mb": round(max(tree_rss.peak_mb, peak_rss_mb()), 1)}


class Database:
    """A throwaway database: a SQLite file, or a new database on a PostgreSQL server."""

    def __init__(self, server_url: str | None, tmp: str) -> None:
        self.server_url = server_url
        if not server_url:
            self.url = f"sqlite:///{tmp}/bench.db"
            return
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        self.name = f"mw_bench_{uuid.uuid4().hex[:10]}"
        self.admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        self.url = make_url(server_url).set(database=self.name).render_as_string(hide_password=False)

    def drop(self) -> None:
        if self.server_url:
            from sqlalchemy import text

            with self.admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            self.admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--database-url", default=None, help="PostgreSQL server URL; default: temporary SQLite")
    parser.add_argument("--stored", type=int, default=0)
    parser.add_argument("--area-share", type=float, default=0.5)
    parser.add_argument("--reference-sample", type=int, default=2000)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--no-area-prefilter", dest="area_prefilter", action="store_false",
                        help="MEDIAWATCH_AREA_PREFILTER=false: extract every page")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        print(json.dumps(process_child(args.child, args.workers, args.batch, args.area_prefilter)))
        return

    from storage.migrate import upgrade

    with tempfile.TemporaryDirectory() as tmp:
        db = Database(args.database_url, tmp)
        try:
            upgrade(db.url)
            if args.stored:
                t = time.perf_counter()
                seed_stored(db.url, args.stored)
                print(f"seeded {args.stored} stored documents in {time.perf_counter() - t:.1f}s", file=sys.stderr)
            t = time.perf_counter()
            store_pages(db.url, args.shared, args.n, args.area_share)
            print(f"stored {args.n} pages in {time.perf_counter() - t:.1f}s", file=sys.stderr)
            cmd = [sys.executable, __file__, "--child", db.url, "--workers", str(args.workers), "--batch", str(args.batch)]
            child = subprocess.run(cmd + ([] if args.area_prefilter else ["--no-area-prefilter"]),
                                   capture_output=True, text=True, check=True)
            proc = json.loads(child.stdout.strip().splitlines()[-1])
            ref = extract_only(db.url, args.reference_sample) if args.reference_sample else None
        finally:
            db.drop()
    result = {
        "docs_per_s": round(proc["docs_per_s"], 1),
        "extract_only_docs_per_s": round(ref, 1) if ref else None,
        "ratio": round(proc["docs_per_s"] / ref, 3) if ref else None,
        "peak_rss_mb": proc["peak_rss_mb"],
        "cores": os.cpu_count(),
        "workers": args.workers or os.cpu_count(),
        "n": args.n,
        "stored": args.stored,
        "batch": args.batch,
        "area_prefilter": args.area_prefilter,
        "database": "postgresql" if db.url.startswith("postgresql") else "sqlite",
        "seconds": round(proc["seconds"], 1),
    }
    print(f"processed {args.n} pages in {result['seconds']} s: {result['docs_per_s']} docs/s "
          f"(extraction alone {result['extract_only_docs_per_s']} docs/s, ratio {result['ratio']}), "
          f"peak RSS {result['peak_rss_mb']} MB, {result['workers']} worker(s) on {result['cores']} cores, "
          f"{result['stored']} stored before, {result['database']}")
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
