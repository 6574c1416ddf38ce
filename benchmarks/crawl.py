"""Crawl benchmark: throughput and measured per-host politeness (prints figures; not a test).

Runs a real crawl (crawlers/job.py ``run_crawl``: the Scrapy child process, the same settings
as ``mediawatch crawl``) against the replay server on 127.0.0.1, serving synthetic feeds and
article pages for ``--hosts`` hostnames x ``--pages`` pages (or ``--corpus DIR`` with a
replay_map.tsv, e.g. ../shared/corpus). The server records the time each request arrives;
per real hostname the benchmark prints the number of requests and the min / median gap between
consecutive request arrivals, next to the configured DOWNLOAD_DELAY, and ends with PASS when
every host's min gap is at least the configured delay minus ``--tolerance`` (default 0), FAIL
otherwise (exit code 1). Scrapy spaces the *dispatch* of requests to one host by DOWNLOAD_DELAY
(crawlers/job.py turns its 0.5-1.5x randomization off and adds a margin of 20 % of the delay, at
most 50 ms: ``politeness_delay``), because the arrival at the server can lag the dispatch by a few
milliseconds (event loop busy parsing, a new connection); without the margin the min gap measured
here was up to 38 ms under the delay while the median sat on it.

    python benchmarks/crawl.py [--hosts 4] [--pages 40] [--delay 0.25] [--concurrency 2]
                               [--corpus DIR] [--tolerance 0] [--json]

pages/s = article pages fetched / wall time of the crawl (feeds, robots.txt and Scrapy start-up
included). With --json the last line is one JSON object with the same figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def synthetic(hosts: int, pages: int) -> tuple[list, list]:
    """(replay entries, source specs): one RSS feed per host listing its ``pages`` article pages."""
    from crawlers.replay import ReplayEntry
    from crawlers.sources import SourceSpec

    entries, specs = [], []
    for h in range(hosts):
        host = f"https://bao{h + 1}.example.vn"
        items = []
        for p in range(pages):
            url = f"{host}/tin/{p + 1}.html"
            text = " ".join(f"Câu {k} của bài {p + 1} trên báo {h + 1} về Bà Rịa – Vũng Tàu." for k in range(40))
            body = (f'<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>Bài {p + 1}</title></head>'
                    f"<body><article><h1>Bài {p + 1}</h1><p>{text}</p></article></body></html>")
            entries.append(ReplayEntry(url=url, content_type="text/html; charset=utf-8", body=body.encode("utf-8")))
            items.append(f"<item><title>Bài {p + 1}</title><link>{url}</link></item>")
        feed = f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Báo {h + 1}</title>{"".join(items)}</channel></rss>'
        entries.append(ReplayEntry(url=f"{host}/rss", content_type="application/rss+xml", kind="feed",
                                   body=feed.encode("utf-8")))
        specs.append(SourceSpec(name=f"Báo {h + 1}", key=f"bao-{h + 1}", kind="rss", url=f"{host}/rss"))
    return entries, specs


def gaps_by_host(arrivals: list[tuple[float, str]]) -> dict[str, list[float]]:
    """Seconds between consecutive request arrivals, per original hostname."""
    times: dict[str, list[float]] = {}
    for t, url in sorted(arrivals):
        times.setdefault(urlsplit(url).hostname or "?", []).append(t)
    return {h: [b - a for a, b in zip(ts, ts[1:], strict=False)] for h, ts in times.items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hosts", type=int, default=4)
    ap.add_argument("--pages", type=int, default=40, help="article pages per host")
    ap.add_argument("--delay", type=float, default=0.25, help="DOWNLOAD_DELAY (s)")
    ap.add_argument("--concurrency", type=int, default=2, help="per-host concurrency")
    ap.add_argument("--corpus", type=Path, help="replay corpus folder (replay_map.tsv) instead of synthetic pages")
    ap.add_argument("--tolerance", type=float, default=0.0, help="dispatch-to-arrival slack (s) allowed below the delay")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    from crawlers.job import run_crawl
    from crawlers.replay import ReplayServer
    from crawlers.sources import sources_from_replay_map
    from mediawatch.settings import Settings

    if args.corpus:
        server, specs = ReplayServer.from_corpus(args.corpus), sources_from_replay_map(args.corpus)
    else:
        entries, specs = synthetic(args.hosts, args.pages)
        server = ReplayServer(entries)
    arrivals: list[tuple[float, str]] = []
    lock = threading.Lock()
    lookup = server.lookup

    def timed_lookup(url: str, snapshot: str | None):  # type: ignore[no-untyped-def]
        with lock:
            arrivals.append((time.monotonic(), url))
        return lookup(url, snapshot)

    server.lookup = timed_lookup  # type: ignore[method-assign]
    with tempfile.TemporaryDirectory() as tmp, server:
        settings = Settings(var_dir=Path(tmp), database_url=f"sqlite:///{tmp}/x.db", replay_url=server.base_url,
                            download_delay=args.delay, per_host_concurrency=args.concurrency, retry_times=0)
        started = time.monotonic()
        records = run_crawl(settings, specs, {}, [], timeout=3600)
        wall = time.monotonic() - started
    pages = sum(1 for r in records if r["type"] == "page" and r.get("body_b64"))
    per_host = {}
    for host, gaps in sorted(gaps_by_host(arrivals).items()):
        per_host[host] = {"requests": len(gaps) + 1, "min_gap_s": round(min(gaps), 4) if gaps else None,
                          "median_gap_s": round(statistics.median(gaps), 4) if gaps else None}
    ok = all(h["min_gap_s"] is None or h["min_gap_s"] >= args.delay - args.tolerance for h in per_host.values())
    print(f"crawl: {len(specs)} sources, {pages} pages in {wall:.1f} s = {pages / wall:.2f} pages/s "
          f"(delay {args.delay} s, per-host concurrency {args.concurrency}, {os.cpu_count()} cores)")
    print(f"{'host':28} {'requests':>8} {'min gap':>9} {'median gap':>11} {'delay':>7}")
    for host, h in per_host.items():
        print(f"{host:28} {h['requests']:8d} {h['min_gap_s'] if h['min_gap_s'] is not None else '-':>9} "
              f"{h['median_gap_s'] if h['median_gap_s'] is not None else '-':>11} {args.delay:>7}")
    print(("PASS" if ok else "FAIL") + f": min gap >= configured delay {args.delay} s (tolerance {args.tolerance} s) for every host")
    if args.json:
        print(json.dumps({"pages": pages, "seconds": round(wall, 2), "pages_per_s": round(pages / wall, 3),
                          "delay_s": args.delay, "per_host": per_host, "pass": ok}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
