"""Scale-out crawling: long-running crawl workers share a Redis queue and duplicate filter.

The same :class:`crawlers.spider.MonitorSpider` and source kinds as a local crawl, run as a
mode (docs/deployment.md):

* **Enqueuer** (:func:`enqueue_sources`, :func:`enqueue_due`; ``mediawatch crawl --distributed``):
  creates one ``CrawlRun`` (kind ``distributed``), writes each source's spec, conditional-GET
  state and run id to the hash ``<prefix>:sources`` and pushes ``{"source", "run_id"}`` to the
  list ``<prefix>:start``. ``--due`` leases only the sources whose adaptive interval is up
  (:func:`scheduling.jobs.claim_due_sources`); the worker that stores the source's result
  releases the lease and sets the next crawl time.
* **Workers** (:func:`run_worker`; ``mediawatch crawl-worker``): :class:`WorkerSpider` (a
  scrapy_redis ``RedisSpider``) pops start messages, builds the kind's start requests and
  pushes every request to the shared scrapy_redis scheduler queue ``<prefix>:requests``;
  any worker may download any of them. :class:`DatabasePipeline` writes records in batches
  through :func:`pipeline.ingest.ingest` (and :func:`mediawatch.cycle.process_into`) into the
  shared database.

Duplicates: source (feed) requests keep ``dont_filter`` so they are polled again every cycle.
Article requests go through :class:`CanonicalDupeFilter` (Redis set ``<prefix>:dupefilter``,
fingerprint = SHA-1 of :func:`pipeline.canonical.canonical_url`), so of several feeds or
workers naming one article exactly one request is fetched; a redirect to an article already
claimed is dropped the same way. A dropped request is never silent: it is recorded as
``dup-url`` for the entry it came from. Articles already stored are not requested at all
(one indexed lookup in ``documents.url_canonical``). Two workers storing one canonical URL
at once (the unique index raises IntegrityError) is handled by retrying the batch, where the
loser's record becomes ``dup-url``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import socket
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import scrapy
from scrapy import signals
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.spiders import RedisMixin
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError

from crawlers import items
from crawlers.job import scrapy_settings
from crawlers.registry import kind_module
from crawlers.sources import SourceSpec
from crawlers.spider import MonitorSpider
from pipeline.canonical import canonical_url

log = logging.getLogger(__name__)
PREFIX_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")
BATCH = 50           # records per database write
FLUSH_SECONDS = 2.0  # a partial batch is written after this long
WRITE_TRIES = 5
HANDLED_STATUSES = [304, *range(400, 600)]  # reach the callbacks; 3xx redirects are followed


def keys(prefix: str) -> dict[str, str]:
    """Redis keys of one deployment: start (list), requests (zset), dupefilter (set), sources (hash).

    Raises ValueError for a prefix outside ``[A-Za-z0-9_.:-]{1,100}``.
    """
    if not PREFIX_RE.match(prefix or ""):
        raise ValueError(f"redis key prefix must match {PREFIX_RE.pattern}, not {prefix!r}")
    return {"start": f"{prefix}:start", "requests": f"{prefix}:requests", "dupefilter": f"{prefix}:dupefilter",
            "sources": f"{prefix}:sources"}


def redis_client(url: str) -> Any:
    """A redis-py client for ``url`` (redis://host:port/db)."""
    import redis

    return redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=10)


def fingerprint(url: str) -> str:
    """Duplicate-filter fingerprint of an article URL: SHA-1 hex of its canonical form."""
    return hashlib.sha1(canonical_url(url).encode("utf-8")).hexdigest()


class CanonicalDupeFilter(RFPDupeFilter):
    """scrapy_redis' shared Redis duplicate filter, keyed on mediawatch's canonical URL
    (tracking parameters, AMP and mobile variants collapse), so the shared set and
    ``documents.url_canonical`` agree on what "the same article" is."""

    def request_fingerprint(self, request: scrapy.Request) -> str:
        return fingerprint(request.url)

    def log(self, request: scrapy.Request, spider: Any) -> None:
        log.debug("shared duplicate filter dropped %s", request.url)


# ----------------------------------------------------------------------------- enqueuer

def enqueue_sources(session: Any, settings: Any, specs: list[SourceSpec], redis: Any | None = None) -> dict[str, Any]:
    """Create a ``distributed`` CrawlRun and queue ``specs`` for the workers.

    Returns ``{"run_id": int, "sources": int}``. Raises redis.ConnectionError when Redis is
    unreachable (the run row is then rolled back with the session).
    """
    from pipeline.ingest import sync_sources
    from storage.models import CrawlRun

    k = keys(settings.redis_key_prefix)
    redis = redis or redis_client(settings.redis_url)
    rows = sync_sources(session, specs)
    run = CrawlRun(kind="distributed")
    session.add(run)
    session.flush()
    pipe = redis.pipeline()
    for spec in specs:
        row = rows[spec.key]
        state = {"etag": row.http_etag, "last_modified": row.http_last_modified} if (row.http_etag or row.http_last_modified) else {}
        pipe.hset(k["sources"], spec.key, json.dumps({"spec": spec.model_dump(mode="json"), "state": state,
                                                      "run_id": run.id}, ensure_ascii=False))
        pipe.lpush(k["start"], json.dumps({"source": spec.key, "run_id": run.id}))
    pipe.execute()
    session.commit()
    return {"run_id": run.id, "sources": len(specs)}


def enqueue_due(session: Any, settings: Any, now: Any, specs: list[SourceSpec], redis: Any | None = None) -> dict[str, Any]:
    """Lease the sources of ``specs`` that are due at ``now`` and queue them (see :func:`enqueue_sources`).

    Leases last ``job_timeout_minutes``; the worker that stores a source's result releases it.
    Returns ``{"run_id": int | None, "sources": int}``.
    """
    from scheduling.jobs import claim_due_sources
    from scheduling.runner import default_holder

    due = claim_due_sources(session, specs, now, settings.job_timeout_minutes * 60, default_holder())
    if not due:
        return {"run_id": None, "sources": 0}
    return enqueue_sources(session, settings, due, redis)


def queue_sizes(settings: Any, redis: Any | None = None) -> dict[str, int]:
    """Pending start messages, queued requests and fingerprints of the deployment's keys."""
    k = keys(settings.redis_key_prefix)
    redis = redis or redis_client(settings.redis_url)
    return {"start": int(redis.llen(k["start"])), "requests": int(redis.zcard(k["requests"])),
            "dupefilter": int(redis.scard(k["dupefilter"]))}


# ----------------------------------------------------------------------------- worker spider

class _SourceInfo(dict):  # type: ignore[type-arg]
    """key -> value read lazily from the ``<prefix>:sources`` hash (a request popped by this
    worker may belong to a source another worker started)."""

    def __init__(self, spider: WorkerSpider, part: str) -> None:
        super().__init__()
        self.spider, self.part = spider, part

    def __missing__(self, key: str) -> Any:
        info = self.spider.source_info(key)
        if info is None:
            raise KeyError(key)
        return self[key]

    def get(self, key: str, default: Any = None) -> Any:  # dict.get skips __missing__
        try:
            return self[key]
        except KeyError:
            return default


class WorkerSpider(RedisMixin, MonitorSpider):
    """MonitorSpider fed from Redis: start messages ``{"source": key, "run_id": id}``.

    Every request and record carries ``run_id``. Article requests use the shared duplicate
    filter (``dont_filter=False``); dropped ones are recorded as ``dup-url``.
    """

    name = "mediawatch-worker"

    def __init__(self, **kwargs: Any) -> None:
        max_entries = kwargs.pop("max_entries", 200)
        super().__init__(sources=[], source_state={}, known_urls=[], max_entries=max_entries, **kwargs)
        self.sources = _SourceInfo(self, "spec")  # type: ignore[assignment]
        self.source_state = _SourceInfo(self, "state")
        self.spider_idle_start_time = int(time.time())
        self.sink: DatabasePipeline | None = None

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> WorkerSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.setup_redis(crawler)
        crawler.signals.connect(spider.request_dropped, signal=signals.request_dropped)
        crawler.signals.connect(spider._active, signal=signals.response_received)
        crawler.signals.connect(spider._start_polling, signal=signals.spider_opened)
        crawler.signals.connect(spider._stop_polling, signal=signals.spider_closed)
        return spider

    # Scrapy's engine asks the scheduler for work on its own activity and otherwise every 5 s (its
    # heartbeat). Another worker's feed yields article requests one by one into the shared queue,
    # and that busy worker takes each as soon as it is queued, so an idle worker polling every 5 s
    # found the queue empty and got nothing (seen in tests/test_scaleout.py: 104 / 0 requests).
    # Idle workers therefore poll every POLL_SECONDS (an O(1) Redis call).
    POLL_SECONDS = 0.5

    def _start_polling(self, spider: Any = None) -> None:
        from twisted.internet import task

        self._poller = task.LoopingCall(self._poll)
        self._poller.start(self.POLL_SECONDS, now=False)

    def _stop_polling(self, spider: Any = None, reason: Any = None) -> None:
        poller = getattr(self, "_poller", None)
        if poller is not None and poller.running:
            poller.stop()

    def _poll(self) -> None:
        slot = getattr(self.crawler.engine, "_slot", None)  # no public hook; checked by the two-worker test
        if slot is not None and slot.closing is None:
            slot.nextcall.schedule()

    def _active(self, *args: Any, **kwargs: Any) -> None:
        """Any download restarts the idle clock (the idle timeout counts from the last work)."""
        self.spider_idle_start_time = int(time.time())

    def source_info(self, key: str) -> dict[str, Any] | None:
        """Load source ``key`` from Redis into ``sources``/``source_state``; None when unknown."""
        raw = self.server.hget(keys(self.settings["MEDIAWATCH_REDIS_PREFIX"])["sources"], key)
        if raw is None:
            return None
        info = json.loads(raw)
        dict.__setitem__(self.sources, key, SourceSpec(**info["spec"]))
        dict.__setitem__(self.source_state, key, info.get("state") or {})
        return info

    async def start(self) -> Any:
        for request in self.next_requests():
            yield request

    def make_request_from_data(self, data: bytes) -> list[scrapy.Request]:
        """Start requests of one queued source (a bad message or source is logged / recorded, never fatal)."""
        try:
            msg = json.loads(data)
            key, run_id = msg["source"], int(msg["run_id"])
        except (ValueError, KeyError, TypeError):
            log.error("ignoring malformed start message %r", data[:200])
            return []
        if self.source_info(key) is None:
            log.error("start message for unknown source %s (no entry in the sources hash)", key)
            return []
        source = self.sources[key]
        try:
            requests = list(kind_module(source.kind).start(self, source))
        except Exception as exc:  # one bad source must not stop the others
            log.exception("source %s could not start", key)
            self._emit(items.source_result(key, ok=False, error=f"{type(exc).__name__}: {exc}"), run_id)
            return []
        while self._pending:
            self._emit(self._pending.pop(0), run_id)
        for request in requests:
            request.meta["run_id"] = run_id
        return requests

    def _emit(self, record: dict[str, Any], run_id: int | None) -> None:
        record["run_id"] = run_id
        if self.sink is not None:
            self.sink.add(record)

    def make_request(self, url: str, source: SourceSpec, *, callback: str, entry: dict[str, Any] | None = None,
                     headers: dict[str, str] | None = None) -> scrapy.Request:
        request = super().make_request(url, source, callback=callback, entry=entry, headers=headers)
        request.meta.pop("handle_httpstatus_all", None)
        request.meta["handle_httpstatus_list"] = HANDLED_STATUSES
        return request

    def follow_article(self, url: str, source: SourceSpec, entry: dict[str, Any] | None) -> Iterable[Any]:
        canon = canonical_url(url)
        if self.sink is not None and self.sink.is_stored(canon):
            yield items.page(source.key, url, entry=entry, skipped="known")
            return
        request = self.make_request(url, source, callback="parse_article", entry=entry)
        yield request.replace(dont_filter=False)

    @staticmethod
    def _stamp(outputs: Iterable[Any], run_id: Any) -> Iterable[Any]:
        for out in outputs:
            if isinstance(out, dict):
                out.setdefault("run_id", run_id)
            elif isinstance(out, scrapy.Request):
                out.meta.setdefault("run_id", run_id)
            yield out

    def parse_source(self, response: Any) -> Iterable[Any]:
        yield from self._stamp(super().parse_source(response), response.meta.get("run_id"))

    def parse_article(self, response: Any) -> Iterable[Any]:
        yield from self._stamp(super().parse_article(response), response.meta.get("run_id"))

    def on_error(self, failure: Any) -> Iterable[Any]:
        yield from self._stamp(super().on_error(failure), failure.request.meta.get("run_id"))

    def request_dropped(self, request: scrapy.Request, spider: Any = None) -> None:
        """The shared duplicate filter refused ``request``: record the entry it came from as ``dup-url``."""
        meta = request.meta
        if "source" not in meta or meta.get("is_source_request"):
            return
        entry = meta.get("entry") or {}
        original = (meta.get("requested_url") or entry.get("url") or meta.get("replay_original_url")
                    or (meta.get("redirect_urls") or [request.url])[0])
        detail = (f"redirects to {request.url}, already fetched or queued" if meta.get("redirect_urls")
                  else "already fetched or queued by a crawl worker")
        self._emit(items.page(meta["source"], original, entry=meta.get("entry"), skipped="known", error=detail),
                   meta.get("run_id"))


# ----------------------------------------------------------------------------- database pipeline

class DatabasePipeline:
    """Item pipeline: batches records per run into :func:`pipeline.ingest.ingest` in the shared database.

    After each committed batch: documents are processed (unless ``MEDIAWATCH_WORKER_PROCESS``
    is false; they then stay ``fetched`` for ``mediawatch process``), sources that reported are
    rescheduled (lease released), and the run's status counts and source results are updated.
    A batch failing on IntegrityError (another worker stored the same canonical URL first) or a
    locked SQLite database is rolled back and written again (up to 5 times); records that still
    cannot be written are appended to ``var/crawl/unwritten-<pid>.jsonl`` and logged.
    """

    def __init__(self, settings: Any, process: bool) -> None:
        from mediawatch.settings import get_settings
        from storage.db import make_engine, make_session_factory

        self.settings = settings or get_settings()
        self.process = process
        self.engine = make_engine(self.settings.effective_database_url)
        self.factory = make_session_factory(self.engine)
        self.pending: list[dict[str, Any]] = []
        self.last_flush = time.monotonic()
        self.written = 0
        self._loop: Any = None
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mw-db")

    @classmethod
    def from_crawler(cls, crawler: Any) -> DatabasePipeline:
        pipe = cls(crawler.settings.get("MEDIAWATCH_SETTINGS"), crawler.settings.getbool("MEDIAWATCH_WORKER_PROCESS", True))
        crawler.signals.connect(pipe.flush, signal=signals.spider_idle)
        pipe.crawler = crawler
        return pipe

    def open_spider(self, spider: Any = None) -> None:
        from twisted.internet import task

        spider = spider or getattr(getattr(self, "crawler", None), "spider", None)
        if spider is not None:
            spider.sink = self
        self._loop = task.LoopingCall(self._tick)
        self._loop.start(FLUSH_SECONDS / 2, now=False)

    def _tick(self) -> None:
        if self.pending and time.monotonic() - self.last_flush >= FLUSH_SECONDS:
            self.flush()

    def process_item(self, item: dict[str, Any], spider: Any = None) -> dict[str, Any]:
        self.add(dict(item))
        return item

    def add(self, record: dict[str, Any]) -> None:
        """Queue one record (with ``run_id``) for the next batch; writes when the batch is full."""
        self.pending.append(record)
        if len(self.pending) >= BATCH:
            self.flush()

    def is_stored(self, canon: str) -> bool:
        """True when ``documents.url_canonical`` already holds ``canon``."""
        from storage.models import Document

        with self.factory() as session:
            return session.scalar(select(Document.id).where(Document.url_canonical == canon)) is not None

    def flush(self, spider: Any = None) -> None:
        """Hand every queued record to the writer thread (one thread: batches are written in order,
        and downloads go on while a batch is stored and processed)."""
        if not self.pending:
            return
        batch, self.pending = self.pending, []
        self.last_flush = time.monotonic()
        self.executor.submit(self._write_batch, batch)

    def _write_batch(self, batch: list[dict[str, Any]]) -> None:
        runs: dict[Any, list[dict[str, Any]]] = {}
        for rec in batch:
            runs.setdefault(rec.get("run_id"), []).append(rec)
        for run_id, records in runs.items():
            try:
                self._write(run_id, records)
            except Exception:  # never lose the records: keep them on disk
                log.exception("writing %d records of run %s failed", len(records), run_id)
                self._spill(records)

    def _write(self, run_id: Any, records: list[dict[str, Any]]) -> None:
        from alerts.sourcepause import send_pause_alerts
        from pipeline.ingest import finalize_failed_sources, ingest
        from storage.models import CrawlRun, Source

        if run_id is None:
            log.error("%d records without a run id; not written", len(records))
            self._spill(records)
            return
        for attempt in range(1, WRITE_TRIES + 1):
            session = self.factory()
            try:
                run = session.get(CrawlRun, run_id)
                if run is None:
                    log.error("run %s does not exist; %d records not written", run_id, len(records))
                    self._spill(records)
                    return
                keys_ = {r["source"] for r in records}
                sources = {s.key: s for s in session.scalars(select(Source).where(Source.key.in_(keys_)))}
                result = ingest(session, run, records, sources, self.settings)
                # source health (failure counts, backoff, automatic pause) for the sources that
                # reported in this batch; a batch of page records alone changes nothing
                reported = {k: s for k, s in sources.items() if k in result.source_results}
                events = finalize_failed_sources(result, reported, self.settings)
                session.commit()
                if events:
                    send_pause_alerts(session, self.settings, events)
                    session.commit()
                break
            except (IntegrityError, OperationalError) as exc:
                session.rollback()
                log.warning("batch of %d records for run %s: %s; retry %d", len(records), run_id,
                            type(exc).__name__, attempt)
                time.sleep(0.2 * attempt)
            finally:
                session.close()
        else:
            self._spill(records)
            return
        self.written += len(records)  # only the writer thread touches it
        self._after(run_id, result)

    def _after(self, run_id: int, result: Any) -> None:
        from mediawatch.cycle import process_into
        from scheduling.jobs import reschedule_sources
        from storage.models import CrawlRun, RunItem
        from storage.types import utcnow

        with self.factory() as session:
            run = session.get(CrawlRun, run_id)
            if self.process and result.new_documents:
                try:
                    process_into(session, self.settings, run, result.new_documents)
                    session.commit()
                except Exception:  # documents stay "fetched"; `mediawatch process` finishes them
                    session.rollback()
                    log.exception("processing %d documents of run %s failed", len(result.new_documents), run_id)
            if result.source_results:
                try:
                    reschedule_sources(session, self.settings, sorted(result.source_results), utcnow())
                except Exception:
                    session.rollback()
                    log.exception("rescheduling sources of run %s failed", run_id)
            for _ in range(WRITE_TRIES):
                try:
                    # populate_existing: re-read the row under the lock (the identity map would hand back
                    # the copy loaded above, and another worker's merge would be lost)
                    run = session.scalars(select(CrawlRun).where(CrawlRun.id == run_id).with_for_update()
                                          .execution_options(populate_existing=True)).one()
                    merged = dict(run.source_results or {})
                    merged.update(result.source_results)
                    run.source_results = merged
                    run.sources_failed = [{"source": k, "error": v.get("error")} for k, v in merged.items() if not v.get("ok")]
                    run.status_counts = dict(sorted(session.execute(
                        select(RunItem.status, func.count()).where(RunItem.run_id == run_id).group_by(RunItem.status)).all()))
                    run.finished_at = utcnow()
                    session.commit()
                    break
                except OperationalError:
                    session.rollback()
                    time.sleep(0.2)

    def _spill(self, records: list[dict[str, Any]]) -> None:
        path = self.settings.var_dir / "crawl" / f"unwritten-{os.getpid()}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            for rec in records:
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
        log.error("%d records could not be written to the database; kept in %s", len(records), path)

    def close_spider(self, spider: Any = None) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        self.flush()
        self.executor.shutdown(wait=True)
        self.engine.dispose()


# ----------------------------------------------------------------------------- worker process

def worker_settings(settings: Any, idle_timeout: float | None = None, process: bool | None = None) -> dict[str, Any]:
    """Scrapy settings of a crawl worker: the local crawl's (crawlers/job.py) plus scrapy_redis'
    scheduler, the shared duplicate filter, the JSON queue serializer and the database pipeline.

    Politeness: each worker waits ``download_delay × crawl_workers`` between requests to one
    host, so N workers together average one request per ``download_delay`` per host."""
    k = keys(settings.redis_key_prefix)
    cfg = {
        "user_agent": settings.user_agent, "obey_robots": settings.obey_robots,
        "download_delay": settings.download_delay * settings.crawl_workers,
        "per_host_concurrency": settings.per_host_concurrency,
        "download_timeout": settings.download_timeout, "max_response_bytes": settings.max_response_bytes,
        "retry_times": settings.retry_times, "replay_url": settings.replay_url,
        "allow_private_targets": settings.allow_private_targets, "max_entries": settings.max_entries_per_feed,
        "out": "", "log_level": logging.getLevelName(logging.getLogger().level),
    }
    for name in ("retry_after_max_seconds", "retry_backoff_base_seconds", "retry_backoff_max_seconds"):
        if hasattr(settings, name):
            cfg[name] = getattr(settings, name)
    out = scrapy_settings(cfg)
    pipelines = {k_: v for k_, v in out["ITEM_PIPELINES"].items() if not k_.endswith("JsonLinesWriter")}
    pipelines["crawlers.distributed.DatabasePipeline"] = 900
    idle = settings.worker_idle_timeout if idle_timeout is None else idle_timeout
    out.update({
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_QUEUE_KEY": k["requests"],
        "SCHEDULER_DUPEFILTER_KEY": k["dupefilter"],
        "SCHEDULER_SERIALIZER": "crawlers.worker_serializer",
        "DUPEFILTER_CLASS": "crawlers.distributed.CanonicalDupeFilter",
        "REDIS_URL": settings.redis_url,
        # `redis-cli client list` shows which workers are connected
        "REDIS_PARAMS": {"client_name": f"mw-worker:{settings.redis_key_prefix}:{socket.gethostname()}:{os.getpid()}"},
        "REDIS_START_URLS_KEY": k["start"],
        # one queued source per pull: with scrapy-redis's default (CONCURRENT_REQUESTS) the first worker to poll
        # takes every queued source at once, and in tests the others then got no work at all
        "REDIS_START_URLS_BATCH_SIZE": 1,
        "LOG_INSTALL_ROOT_HANDLER": False,  # the CLI configured logging; a second root handler doubles every line
        "MAX_IDLE_TIME_BEFORE_CLOSE": int(idle),
        "ITEM_PIPELINES": pipelines,
        "MEDIAWATCH_REDIS_PREFIX": settings.redis_key_prefix,
        "MEDIAWATCH_SETTINGS": settings,
        "MEDIAWATCH_WORKER_PROCESS": settings.worker_process if process is None else process,
    })
    out.pop("MEDIAWATCH_OUT", None)
    return out


def run_worker(settings: Any, idle_timeout: float | None = None, process: bool | None = None) -> dict[str, Any]:
    """Run a crawl worker in this process until it has been idle ``idle_timeout`` seconds
    (0 = until SIGTERM/SIGINT). Returns the crawl's stats (``downloader/request_count``,
    ``item_scraped_count``, ...). Raises redis.ConnectionError when Redis is unreachable."""
    from scrapy.crawler import CrawlerProcess

    redis_client(settings.redis_url).ping()
    process_ = CrawlerProcess(settings=worker_settings(settings, idle_timeout, process))
    crawler = process_.create_crawler(WorkerSpider)
    process_.crawl(crawler, max_entries=settings.max_entries_per_feed)
    process_.start()
    stats = dict(crawler.stats.get_stats()) if crawler.stats else {}
    return {k_: (v.isoformat() if hasattr(v, "isoformat") else v) for k_, v in stats.items()}

