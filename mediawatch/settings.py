"""The one typed settings object.

Precedence, highest first:
  1. keyword arguments passed to ``Settings(...)`` (CLI options use this),
  2. environment variables ``MEDIAWATCH_<FIELD>`` (e.g. ``MEDIAWATCH_DATABASE_URL``),
  3. a ``.env`` file in the working directory,
  4. the defaults below.
Nothing is built at import time: call :func:`get_settings`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
DEV_AUTHOR_KEY = "development-only-author-key"


class Settings(BaseSettings):
    """All knobs of mediawatch, each with a default and a help text."""

    model_config = SettingsConfigDict(
        env_prefix="MEDIAWATCH_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    environment: str = Field("development", description="development | production; production refuses placeholder secrets")
    var_dir: Path = Field(REPO_ROOT / "var", description="Working data: SQLite file, digests, crawl scratch files")
    config_dir: Path = Field(REPO_ROOT / "config", description="Folder with sources.yaml, gazetteer.yaml, lexicons, routing.yaml")
    shared_dir: Path = Field(REPO_ROOT.parent / "shared", description="Folder of the labelled evaluation data (../shared); used only by mediawatch train/eval")
    database_url: str | None = Field(None, description="SQLAlchemy URL; default: SQLite file var/mediawatch.db (WAL mode)")
    timezone: str = Field("Asia/Ho_Chi_Minh", description="Zone for naive source dates and for display")

    # crawling politeness
    user_agent: str = Field(
        "mediawatch/0.1 (+https://github.com/mediawatch; media monitoring for a public communications office)",
        description="Honest User-Agent sent with every request",
    )
    obey_robots: bool = Field(True, description="Respect robots.txt")
    download_delay: float = Field(1.0, description="Seconds between requests to one host")
    per_host_concurrency: int = Field(2, description="Parallel requests per host")
    download_timeout: float = Field(20.0, description="Seconds before a request times out")
    max_response_bytes: int = Field(5_000_000, description="Responses larger than this are dropped (fetch-error)")
    retry_times: int = Field(1, description="Retries on network errors and 5xx")
    retry_after_max_seconds: float = Field(120.0, description="A 429/503 answer's Retry-After up to this long is waited for and the request retried; a longer one gives up the request and the source is not crawled before then")
    retry_backoff_base_seconds: float = Field(2.0, description="First wait before retrying a 408/429/5xx answer or a network error without Retry-After (doubled per retry, with jitter)")
    retry_backoff_max_seconds: float = Field(60.0, description="Longest wait between two retries without Retry-After")
    source_pause_after_failures: int = Field(5, description="A source whose crawl failed this many times in a row is paused automatically (and the office is mailed)")
    source_pause_hours: float = Field(24.0, description="Length of an automatic pause; then one probe crawl: success resumes the source, failure pauses it again for twice as long")
    source_max_pause_hours: float = Field(168.0, description="Longest automatic pause (7 days)")
    max_entries_per_feed: int = Field(200, description="At most this many entries are taken from one feed")
    sitemap_max_age_days: float = Field(7.0, description="Sitemap entries dated (news publication date or lastmod) more than this many days ago are not fetched; a source's max_age_days overrides it")
    max_text_chars: int = Field(200_000, description="Extracted text is cut at this size")
    allow_private_targets: bool = Field(False, description="Allow fetching loopback, private, link-local and metadata addresses (off: the SSRF guard refuses them; the replay server needs no exception)")
    replay_url: str | None = Field(None, description="If set (http://127.0.0.1:PORT), every request is answered by the replay server at this address")

    # imports and tips (issue 6)
    import_max_bytes: int = Field(50_000_000, description="mediawatch import-social refuses export files larger than this")
    import_max_rows: int = Field(100_000, description="mediawatch import-social refuses export files with more posts and comments than this")
    tip_max_text_chars: int = Field(50_000, description="A pasted tip text may be at most this long")

    # scale-out crawling (mediawatch crawl-worker, mediawatch crawl --distributed; docs/deployment.md)
    redis_url: str = Field("redis://127.0.0.1:6379/0", description="Redis holding the crawl workers' shared request queue and duplicate filter")
    redis_key_prefix: str = Field("mediawatch", description="Prefix of this deployment's Redis keys (<prefix>:start, :requests, :dupefilter, :sources); one per deployment sharing a Redis")
    worker_idle_timeout: float = Field(0.0, description="A crawl worker stops after this many seconds with nothing to do (0 = runs until stopped)")
    worker_process: bool = Field(True, description="Crawl workers process the documents they store (false: they stay fetched for mediawatch process)")
    crawl_workers: int = Field(1, ge=1, description="How many crawl workers run at once; each waits download_delay × crawl_workers between requests to one host, so together they keep about download_delay per host")

    # pipeline
    dedup_threshold: float = Field(0.6, description="Estimated Jaccard similarity above which two documents are near-duplicates")
    dedup_num_perm: int = Field(128, description="MinHash permutations")
    dedup_window_days: int = Field(30, description="Near-duplicates are searched among documents of the last N days")
    area_prefilter: bool = Field(True, description="Pages with no area name anywhere on them skip trafilatura: they end off-area with their paragraph text (false = extract every page)")
    process_workers: int = Field(1, description="Processes for CPU stages of processing (0 = one per core)")
    process_batch: int = Field(200, description="Documents analysed and written per batch")
    author_hash_key: SecretStr = Field(SecretStr(DEV_AUTHOR_KEY), description="Key of the HMAC that pseudonymizes social-post authors (secret)")

    # mail (digest, alerts, weekly summary)
    smtp_host: str | None = Field(None, description="SMTP server; when unset, every mail is written to var/outbox/ as an .eml file")
    smtp_port: int = Field(587, description="SMTP port")
    smtp_user: str | None = Field(None, description="SMTP user")
    smtp_password: SecretStr | None = Field(None, description="SMTP password (secret)")
    smtp_starttls: bool = Field(True, description="Use STARTTLS")
    smtp_timeout: float = Field(30.0, description="Seconds before an SMTP connection or command times out")
    mail_from: str = Field("mediawatch@localhost", description="From address of every mail")
    digest_to: Annotated[list[str], NoDecode] = Field(default_factory=list, description="Recipients of the full daily digest and weekly summary (comma-separated or a JSON list); units' liaison addresses come from routing.yaml")
    source_silent_hours: float = Field(48.0, description="A source with no new item for this long is listed as silent in the digest")

    # web app (mediawatch serve)
    web_host: str = Field("127.0.0.1", description="Address the web app listens on")
    web_port: int = Field(8000, description="Port of the web app")
    web_session_hours: int = Field(12, description="A sign-in lasts this many hours")

    # scheduler (mediawatch scheduler)
    digest_time: str = Field("07:00", description="Local time (HH:MM) of the daily digest")
    weekly_time: str = Field("mon 08:00", description="Day and local time of the weekly trend summary")
    retention_time: str = Field("03:30", description="Local time (HH:MM) of the daily retention job")
    crawl_interval_min_minutes: float = Field(5.0, description="Shortest adaptive crawl interval of a source")
    crawl_interval_max_hours: float = Field(24.0, description="Longest adaptive crawl interval of a source")
    crawl_interval_default_minutes: float = Field(60.0, description="Crawl interval of a source with no publishing history yet")
    scheduler_grace_minutes: float = Field(60.0, description="A missed run is still made (once, coalesced) when the scheduler catches up within this time; older ones are logged and skipped")
    job_timeout_minutes: float = Field(30.0, description="A job running longer than this is marked timed-out and the schedule moves on")
    alert_batch_max: int = Field(50, description="At most this many clusters in one watchlist alert mail")

    # retention (the scheduler's daily retention job; see docs/privacy.md)
    retention_raw_days: int = Field(30, description="Raw fetched HTML is dropped after this many days (evidence of triaged items is kept)")
    retention_social_days: int = Field(90, description="Social posts (sources with outlet_type social) are deleted after this many days unless in the triage queue")
    retention_documents_days: int = Field(730, description="Press documents are deleted after this many days unless in the triage queue")
    retention_run_items_days: int = Field(90, description="Per-run item statuses, job runs and mail records are deleted after this many days")
    retention_audit_days: int = Field(1825, description="Audit events are deleted after this many days")

    # weekly trend summary
    spike_baseline_days: int = Field(14, description="Days of history a day's volume is compared with (docs/trends.md)")
    spike_threshold: float = Field(3.0, description="Spike when (count - baseline mean) / max(std, sqrt(mean), 1) reaches this")
    spike_min_count: int = Field(3, description="A spike needs at least this many items")

    @field_validator("digest_to", mode="before")
    @classmethod
    def _split_recipients(cls, value: object) -> object:
        if isinstance(value, str):
            import json

            text = value.strip()
            return json.loads(text) if text.startswith("[") else [a.strip() for a in text.split(",") if a.strip()]
        return value

    @field_validator("digest_to")
    @classmethod
    def _valid_recipients(cls, value: list[str]) -> list[str]:
        from alerts.mail import address

        for a in value:
            address(a)
        return value

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Settings:
        if self.environment == "production" and self.author_hash_key.get_secret_value() == DEV_AUTHOR_KEY:
            raise ValueError("MEDIAWATCH_AUTHOR_HASH_KEY must be set in production")
        return self

    @property
    def effective_database_url(self) -> str:
        """The database URL in force (SQLite under var_dir by default)."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'mediawatch.db').as_posix()}"

    @property
    def digest_dir(self) -> Path:
        return self.var_dir / "digests"

    @property
    def outbox_dir(self) -> Path:
        """Where mail goes when no SMTP server is configured (one .eml file per message)."""
        return self.var_dir / "outbox"

    @property
    def reports_dir(self) -> Path:
        return self.var_dir / "reports"


def get_settings(**overrides: object) -> Settings:
    """Build the settings (env + .env + defaults), with explicit overrides on top."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**clean)  # type: ignore[arg-type]
