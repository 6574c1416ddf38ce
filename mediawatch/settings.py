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

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

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
    max_entries_per_feed: int = Field(200, description="At most this many entries are taken from one feed")
    max_text_chars: int = Field(200_000, description="Extracted text is cut at this size")
    replay_url: str | None = Field(None, description="If set (http://127.0.0.1:PORT), every request is answered by the replay server at this address")

    # pipeline
    dedup_threshold: float = Field(0.6, description="Estimated Jaccard similarity above which two documents are near-duplicates")
    dedup_num_perm: int = Field(128, description="MinHash permutations")
    dedup_window_days: int = Field(30, description="Near-duplicates are searched among documents of the last N days")
    area_prefilter: bool = Field(True, description="Pages with no area name anywhere on them skip trafilatura: they end off-area with their paragraph text (false = extract every page)")
    process_workers: int = Field(1, description="Processes for CPU stages of processing (0 = one per core)")
    process_batch: int = Field(200, description="Documents analysed and written per batch")
    author_hash_key: SecretStr = Field(SecretStr(DEV_AUTHOR_KEY), description="Key of the HMAC that pseudonymizes social-post authors (secret)")

    # digest mail
    smtp_host: str | None = Field(None, description="SMTP server; digests are only written to disk when unset")
    smtp_port: int = Field(587, description="SMTP port")
    smtp_user: str | None = Field(None, description="SMTP user")
    smtp_password: SecretStr | None = Field(None, description="SMTP password (secret)")
    smtp_starttls: bool = Field(True, description="Use STARTTLS")
    digest_from: str = Field("mediawatch@localhost", description="From address of digest mails")
    digest_to: list[str] = Field(default_factory=list, description="Recipients of the daily digest")

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


def get_settings(**overrides: object) -> Settings:
    """Build the settings (env + .env + defaults), with explicit overrides on top."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**clean)  # type: ignore[arg-type]
