"""Scale-out crawling: two real `mediawatch crawl-worker` processes share one Redis queue and
duplicate filter and one database (SQLite, or PostgreSQL when MEDIAWATCH_TEST_DATABASE_URL is set).

A loopback HTTP server counts hits per path: 3 feeds x 40 entries over 100 article pages (feeds
overlap: 20 entries are shared), 3 articles redirect (two to pages another feed names, one to a
page no feed names). Asserted: every page fetched exactly once, one document per page fetched, one
run-item status per feed entry, nothing lost, both workers downloaded something.

Needs Redis at 127.0.0.1:6379 (MEDIAWATCH_TEST_REDIS_URL): skips when it is unreachable, fails
instead when MEDIAWATCH_REQUIRE_SERVICES=1 (set by .ci/run).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select

from crawlers import worker_serializer
from crawlers.distributed import enqueue_sources, fingerprint, keys
from crawlers.sources import SourceSpec
from mediawatch.settings import REPO_ROOT
from storage.models import CrawlRun, Document, RunItem

REDIS_URL = os.environ.get("MEDIAWATCH_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
N_ARTICLES = 100
FEEDS = {1: range(0, 40), 2: range(30, 70), 3: range(60, 100)}
REDIRECTS = {5: 50, 45: 200, 75: 80}  # article -> target article (200 is in no feed)
PAGE_DELAY = 0.3  # s per article response: one worker alone needs ~15 s, longer than an idle worker's 5 s poll of the queue (Scrapy's engine heartbeat)


@pytest.fixture
def redis_conn() -> Iterator[object]:
    import redis

    conn = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        conn.ping()
    except redis.exceptions.RedisError as exc:
        if os.environ.get("MEDIAWATCH_REQUIRE_SERVICES") == "1":
            pytest.fail(f"Redis is required (MEDIAWATCH_REQUIRE_SERVICES=1) but {REDIS_URL} is unreachable: {exc}")
        pytest.skip(f"Redis not reachable at {REDIS_URL}")
    yield conn
    conn.close()


@pytest.fixture
def prefix(redis_conn) -> Iterator[str]:  # type: ignore[no-untyped-def]
    name = f"mwtest-{uuid.uuid4().hex[:10]}"
    yield name
    for key in redis_conn.scan_iter(f"{name}:*"):
        redis_conn.delete(key)


class Site:
    """Loopback site: feeds and article pages; ``hits`` counts requests per path."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                with site.lock:
                    site.hits[self.path] += 1
                status, body, headers = site.answer(self.path)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def article(self, n: int) -> str:
        return f"{self.base}/bai/{n}.html"

    def answer(self, path: str) -> tuple[int, bytes, dict[str, str]]:
        if path.startswith("/feed/"):
            n = int(path.rsplit("/", 1)[1].split(".")[0])
            entries = "".join(f"<item><title>Tin số {i}</title><link>{self.article(i)}</link>"
                              f"<guid>{self.article(i)}</guid><pubDate>Mon, 01 Dec 2025 08:00:00 +0700</pubDate></item>"
                              for i in FEEDS[n])
            body = f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Nguồn {n}</title>{entries}</channel></rss>'
            return 200, body.encode("utf-8"), {"Content-Type": "application/rss+xml; charset=utf-8"}
        if path.startswith("/bai/"):
            n = int(path.rsplit("/", 1)[1].split(".")[0])
            time.sleep(PAGE_DELAY)
            if n in REDIRECTS:
                return 301, b"", {"Location": self.article(REDIRECTS[n])}
            text = " ".join(f"Câu thứ {k} của bài {n} về tỉnh Bà Rịa – Vũng Tàu." for k in range(30))
            body = (f'<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>Bài số {n}</title></head>'
                    f"<body><article><h1>Bài số {n}</h1><p>{text}</p></article></body></html>")
            return 200, body.encode("utf-8"), {"Content-Type": "text/html; charset=utf-8"}
        return 404, b"not found", {"Content-Type": "text/plain"}

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_serializer_round_trip() -> None:
    import scrapy

    req = scrapy.Request("https://a.vn/x", headers={"If-None-Match": '"e"'}, meta={"entry": {"url": "u"}, "n": [1, 2]})
    back = worker_serializer.loads(worker_serializer.dumps(req.to_dict()))
    assert back["headers"] == {b"If-None-Match": [b'"e"']} and back["meta"] == req.meta and back["body"] == b""
    with pytest.raises(ValueError):
        worker_serializer.loads(b"\x80not json")


def test_fingerprint_uses_canonical_url() -> None:
    assert fingerprint("https://m.baomoi.vn/a.html?utm_source=x") == fingerprint("https://baomoi.vn/a.html")
    with pytest.raises(ValueError):
        keys("bad prefix with spaces")


def _worker_names(redis_conn, prefix: str) -> set[str]:  # type: ignore[no-untyped-def]
    return {c["name"] for c in redis_conn.client_list() if c.get("name", "").startswith(f"mw-worker:{prefix}:")}


def test_two_workers_fetch_each_page_once(settings, session_factory, redis_conn, prefix, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    site = Site()
    env = dict(os.environ, MEDIAWATCH_DATABASE_URL=settings.effective_database_url, MEDIAWATCH_VAR_DIR=str(settings.var_dir),
               MEDIAWATCH_REDIS_URL=REDIS_URL, MEDIAWATCH_REDIS_KEY_PREFIX=prefix, MEDIAWATCH_ALLOW_PRIVATE_TARGETS="1",
               MEDIAWATCH_OBEY_ROBOTS="0", MEDIAWATCH_DOWNLOAD_DELAY="0", MEDIAWATCH_PER_HOST_CONCURRENCY="2",
               MEDIAWATCH_RETRY_TIMES="0", MEDIAWATCH_DOWNLOAD_TIMEOUT="10", HF_HUB_OFFLINE="1")
    env.pop("MEDIAWATCH_REPLAY_URL", None)
    # idle timeout: long enough that a worker that connected first does not give up while the other one is still
    # starting (start-up under CI load takes seconds) and the sources are not enqueued yet
    cmd = [sys.executable, "-c", "from mediawatch.cli import app; app()", "crawl-worker", "--idle-timeout", "20",
           "--process", "--log-level", "WARNING"]
    logs = [open(tmp_path / f"worker{i}.log", "w+", encoding="utf-8") for i in range(2)]  # noqa: SIM115
    workers = [subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=log, text=True)
               for log in logs]
    try:
        deadline = time.monotonic() + 90
        while len(_worker_names(redis_conn, prefix)) < 2:
            assert all(w.poll() is None for w in workers), "a worker exited before connecting"
            assert time.monotonic() < deadline, "workers did not connect to Redis"
            time.sleep(0.2)
        specs = [SourceSpec(name=f"Nguồn {n}", key=f"nguon-{n}", kind="rss", url=f"{site.base}/feed/{n}.rss")
                 for n in FEEDS]
        with session_factory() as session:
            run_id = enqueue_sources(session, settings.model_copy(update={"redis_url": REDIS_URL,
                                                                          "redis_key_prefix": prefix}), specs)["run_id"]
        outs = [w.communicate(timeout=240)[0] for w in workers]
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
        site.close()
    stderr = "\n".join((log.seek(0), log.read())[1][-3000:] for log in logs)
    for log in logs:
        log.close()
    assert all(w.returncode == 0 for w in workers), stderr
    stats = [json.loads(out.strip().splitlines()[-1]) for out in outs]

    # every page fetched exactly once (redirect sources answer 301 once; the redirect-only target once)
    entries = [i for n in FEEDS for i in FEEDS[n]]
    pages = set(entries) | set(REDIRECTS.values())
    article_hits = {p: c for p, c in site.hits.items() if p.startswith("/bai/")}
    assert article_hits == {f"/bai/{i}.html": 1 for i in pages}, stderr
    assert all(site.hits[f"/feed/{n}.rss"] == 1 for n in FEEDS)
    # both workers downloaded (idle workers poll the shared queue every 0.5 s: WorkerSpider._poll; without it one
    # worker took every request in some runs), together exactly the server's hits
    assert all(s["requests"] > 0 for s in stats), stats
    assert sum(s["requests"] for s in stats) == sum(site.hits.values())

    with session_factory() as session:
        docs = session.scalars(select(Document)).all()
        items = session.scalars(select(RunItem).where(RunItem.run_id == run_id)).all()
        run = session.get(CrawlRun, run_id)
    # one document per page fetched with content (a redirect's document is stored under the URL the feed
    # named, whichever of the redirecting entry and the target's own entry claimed the page first), none lost
    finals = {site.article(i) for i in pages - set(REDIRECTS)}
    assert sorted(d.fetch_url for d in docs) == sorted(finals)
    assert {d.url_canonical for d in docs} <= {site.article(i) for i in entries}
    assert all(d.status != "fetched" for d in docs)  # processed by the workers
    # one status per feed entry: same multiset of URLs as the feeds listed
    assert Counter(i.url for i in items) == Counter(site.article(i) for i in entries)
    statuses = Counter(i.status for i in items)
    assert statuses["dup-url"] == len(entries) - len(finals)
    assert sum(run.status_counts.values()) == len(entries) and set(run.source_results) == {s.key for s in specs}
    assert not list(settings.var_dir.glob("crawl/unwritten-*.jsonl"))
    print(f"two-worker crawl: per-worker requests {[s['requests'] for s in stats]}, server hits "
          f"{sum(site.hits.values())}, documents {len(docs)}, run items {len(items)} {dict(statuses)}, "
          f"{time.monotonic() - started:.1f} s")
