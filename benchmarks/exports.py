"""Export benchmark (prints figures; not a test): streamed CSV and XLSX of N documents.

Seeds N ``ok`` documents (about 2 KB of Vietnamese text each) into a fresh SQLite
file, then exports them as CSV and as XLSX in a child process each and prints
rows/s and the child's peak RSS, so one can see that memory does not grow with N.

    python benchmarks/exports.py [--n 100000] [--json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TEXT = ("Cảng Cái Mép – Thị Vải tiếp nhận thêm tàu container trọng tải lớn, "
        "người dân phường Tam Thắng phản ánh ngập úng kéo dài sau mỗi trận mưa. ") * 14


def seed(url: str, n: int) -> None:
    from sqlalchemy import insert

    from storage.db import make_engine
    from storage.migrate import upgrade
    from storage.models import Document

    upgrade(url)
    engine = make_engine(url)
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        for start in range(0, n, 5000):
            conn.execute(insert(Document), [
                {"url_canonical": f"https://bao.example/bai-{i}.html", "status": "ok", "title": f"Bài số {i}",
                 "text": TEXT, "created_at": now - dt.timedelta(seconds=i), "updated_at": now}
                for i in range(start, min(n, start + 5000))])
    engine.dispose()


def child(url: str, fmt: str, out: str) -> None:
    from mediawatch.settings import Settings
    from reports.exports import export
    from storage.db import make_engine, make_session_factory

    settings = Settings(database_url=url)
    engine = make_engine(url)
    started = time.perf_counter()
    with make_session_factory(engine)() as session:
        rows = export(session, settings, "documents", Path(out), fmt, "benchmark", {})
        session.commit()
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rows": rows, "seconds": round(seconds, 2), "peak_rss_mb": round(peak_mb, 1)}))  # noqa: T201


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        seed(url, args.n)
        results = {}
        for fmt in ("csv", "xlsx"):
            out = f"{tmp}/export.{fmt}"
            proc = subprocess.run([sys.executable, __file__, "--child", url, fmt, out],
                                  capture_output=True, text=True, check=True)
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            r["rows_per_s"] = round(r["rows"] / r["seconds"])
            r["file_mb"] = round(Path(out).stat().st_size / 1e6, 1)
            results[fmt] = r
            print(f"{fmt}: {r['rows']} rows in {r['seconds']} s = {r['rows_per_s']} rows/s, "  # noqa: T201
                  f"peak RSS {r['peak_rss_mb']} MB, file {r['file_mb']} MB")
        if args.json:
            print(json.dumps({"n": args.n, **results}))  # noqa: T201


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
