"""Run one crawl in a child process (Scrapy's reactor cannot restart in-process).

``run_crawl(settings, sources, source_state, known_urls)`` writes a job file,
runs ``python -m crawlers.job JOB OUT`` and returns the records the spider
produced (see :mod:`crawlers.items`). Raises CrawlError if the child fails
before producing output.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from scrapy.settings import default_settings as _scrapy_defaults

from crawlers.sources import SourceSpec

log = logging.getLogger(__name__)


# newer Scrapy names the delay randomization DOWNLOAD_DELAY_JITTER (RANDOMIZE_DOWNLOAD_DELAY is deprecated there)
_NO_JITTER, _NO_JITTER_VALUE = (("DOWNLOAD_DELAY_JITTER", 0.0) if hasattr(_scrapy_defaults, "DOWNLOAD_DELAY_JITTER")
                                else ("RANDOMIZE_DOWNLOAD_DELAY", False))


class CrawlError(RuntimeError):
    """The crawl subprocess failed as a whole."""


def politeness_delay(delay: float) -> float:
    """Scrapy's DOWNLOAD_DELAY for a configured per-host delay (s): the delay plus a margin of
    20 % of it, at most 50 ms. Scrapy spaces the *dispatch* of requests to a host by the delay; a
    request can reach the server a few ms after dispatch (event loop busy, a new connection), so
    without the margin two arrivals can be closer than configured. benchmarks/crawl.py measures
    the gaps at the server against the configured delay with no tolerance."""
    return delay + min(0.05, 0.2 * delay) if delay > 0 else 0.0


def scrapy_settings(cfg: dict[str, Any]) -> dict[str, Any]:
    """Scrapy settings from the job's politeness options."""
    settings: dict[str, Any] = {
        "USER_AGENT": cfg["user_agent"],
        "ROBOTSTXT_OBEY": cfg["obey_robots"],
        "DOWNLOAD_DELAY": politeness_delay(cfg["download_delay"]),
        # Scrapy would wait 0.5-1.5 x the delay; the configured delay is a floor (benchmarks/crawl.py measures it)
        _NO_JITTER: _NO_JITTER_VALUE,
        "CONCURRENT_REQUESTS": 16,
        "CONCURRENT_REQUESTS_PER_DOMAIN": cfg["per_host_concurrency"],
        "DOWNLOAD_TIMEOUT": cfg["download_timeout"],
        "DOWNLOAD_MAXSIZE": cfg["max_response_bytes"],
        "DOWNLOAD_WARNSIZE": cfg["max_response_bytes"] // 2,  # logged; decompressed size counts too
        "REDIRECT_MAX_TIMES": 10,  # loops and long chains end as "redirect loop" / "too many redirects"
        "RETRY_TIMES": cfg["retry_times"],
        "RETRY_HTTP_CODES": [408, 429, 500, 502, 503, 504],  # crawlers/health.py waits before each retry
        "MEDIAWATCH_RETRY_AFTER_MAX_SECONDS": cfg.get("retry_after_max_seconds", 120.0),
        "MEDIAWATCH_RETRY_BACKOFF_BASE_SECONDS": cfg.get("retry_backoff_base_seconds", 2.0),
        "MEDIAWATCH_RETRY_BACKOFF_MAX_SECONDS": cfg.get("retry_backoff_max_seconds", 60.0),
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": cfg.get("log_level", "WARNING"),
        "HTTPCACHE_ENABLED": False,
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
        "DOWNLOADER_MIDDLEWARES": {"crawlers.ssrf.SSRFGuardMiddleware": 50,
                                   "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
                                   "crawlers.health.BackoffRetryMiddleware": 550,
                                   "crawlers.middleware.ReplayMiddleware": 950},
        "MEDIAWATCH_ALLOW_PRIVATE_TARGETS": bool(cfg.get("allow_private_targets")),
        "ITEM_PIPELINES": {"crawlers.health.RetryAfterPipeline": 50, "crawlers.job.JsonLinesWriter": 100},
        "MEDIAWATCH_OUT": cfg["out"],
    }
    if cfg.get("replay_url"):
        settings["MEDIAWATCH_REPLAY_URL"] = cfg["replay_url"]
    return settings


class JsonLinesWriter:
    """Item pipeline: append every record to the job's output file."""

    def __init__(self, path: str) -> None:
        self.fh = open(path, "a", encoding="utf-8")  # noqa: SIM115 - closed in close_spider

    @classmethod
    def from_crawler(cls, crawler: Any) -> JsonLinesWriter:
        return cls(crawler.settings["MEDIAWATCH_OUT"])

    def process_item(self, item: dict[str, Any], spider: Any = None) -> dict[str, Any]:
        self.fh.write(json.dumps(item, ensure_ascii=False) + "\n")
        self.fh.flush()
        return item

    def close_spider(self, spider: Any = None) -> None:
        self.fh.close()


def run_crawl(settings: Any, sources: list[SourceSpec], source_state: dict[str, dict[str, str]],
              known_urls: list[str], work_dir: Path | None = None, timeout: float | None = None) -> list[dict[str, Any]]:
    """Crawl ``sources`` in a child process; returns the spider's records in order."""
    work_dir = work_dir or Path(settings.var_dir) / "crawl"
    work_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=work_dir) as tmp:
        job_path, out_path = Path(tmp) / "job.json", Path(tmp) / "out.jsonl"
        out_path.touch()
        job = {
            "sources": [s.model_dump() for s in sources],
            "source_state": source_state,
            "known_urls": known_urls,
            "config": {
                "user_agent": settings.user_agent, "obey_robots": settings.obey_robots,
                "download_delay": settings.download_delay, "per_host_concurrency": settings.per_host_concurrency,
                "download_timeout": settings.download_timeout, "max_response_bytes": settings.max_response_bytes,
                "retry_times": settings.retry_times, "replay_url": settings.replay_url,
                "allow_private_targets": settings.allow_private_targets,
                "retry_after_max_seconds": settings.retry_after_max_seconds,
                "retry_backoff_base_seconds": settings.retry_backoff_base_seconds,
                "retry_backoff_max_seconds": settings.retry_backoff_max_seconds,
                "max_entries": settings.max_entries_per_feed, "out": str(out_path),
                "sitemap_max_age_days": settings.sitemap_max_age_days,
            },
        }
        job_path.write_text(json.dumps(job, ensure_ascii=False), encoding="utf-8")
        limit = timeout or max(120.0, settings.download_timeout * 20)
        try:
            proc = subprocess.run([sys.executable, "-m", "crawlers.job", str(job_path)],
                                  capture_output=True, text=True, timeout=limit, check=False)
        except subprocess.TimeoutExpired as exc:
            log.error("crawl subprocess timed out after %ss; keeping what it wrote", limit)
            proc = None
            if not out_path.stat().st_size:
                raise CrawlError(f"crawl timed out after {limit}s") from exc
        if proc is not None:
            for line in proc.stderr.splitlines()[-40:]:
                if line.strip():
                    log.info("crawler: %s", line)
            if proc.returncode != 0 and not out_path.stat().st_size:
                raise CrawlError(f"crawl subprocess exited {proc.returncode}: {proc.stderr[-2000:]}")
        records = []
        with out_path.open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    records.append(json.loads(line))
        return records


def _main(job_path: str) -> None:
    from scrapy.crawler import CrawlerProcess

    from crawlers.spider import MonitorSpider

    job = json.loads(Path(job_path).read_text(encoding="utf-8"))
    cfg = job["config"]
    process = CrawlerProcess(settings=scrapy_settings(cfg))
    process.crawl(MonitorSpider, sources=job["sources"], source_state=job["source_state"],
                  known_urls=job["known_urls"], max_entries=cfg["max_entries"],
                  sitemap_max_age_days=cfg.get("sitemap_max_age_days"))
    process.start()


if __name__ == "__main__":
    _main(sys.argv[1])
