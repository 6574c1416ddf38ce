"""SQLAlchemy 2.x models.

A document row is sectioned by the stage that writes each part (feed entry,
fetch, extraction, NLP, classification); each stage touches only its own
columns so one stage can be re-run cleanly. Every timestamp is an aware UTC
datetime (see :class:`storage.types.UTCDateTime`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, deferred, mapped_column, relationship

from storage.types import UTCDateTime, utcnow


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Source(Base):
    """A configured source (feed, listing page, page list, sitemap)."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    outlet: Mapped[str | None] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20))
    url: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(20))
    outlet_type: Mapped[str | None] = mapped_column(String(30))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # conditional GET state (feeds)
    http_etag: Mapped[str | None] = mapped_column(Text)
    http_last_modified: Mapped[str | None] = mapped_column(Text)
    # health
    last_success_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_error_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # scheduling (mediawatch scheduler): adaptive interval and a lease so one process crawls a source at a time
    next_crawl_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    crawl_interval_s: Mapped[int | None] = mapped_column(Integer)
    crawl_lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    crawl_lease_holder: Mapped[str | None] = mapped_column(String(200))
    # source health (issue 6): failures in a row, total errors, backoff (Retry-After) and automatic pause
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    error_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    backoff_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    paused_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    paused_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    pause_reason: Mapped[str | None] = mapped_column(Text)


class CrawlRun(Base):
    """One monitoring cycle (or one `crawl` / `process` invocation)."""

    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="run")
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(20), default="running")
    status_counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    sources_failed: Mapped[list[Any]] = mapped_column(JSON, default=list)
    source_results: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    digest_path: Mapped[str | None] = mapped_column(Text)


class RunItem(Base):
    """The recorded status of one fetched item in one run (exactly one per item)."""

    __tablename__ = "run_items"
    __table_args__ = (Index("ix_run_items_run_status", "run_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id", ondelete="CASCADE"))
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="SET NULL"))
    url: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(30))
    detail: Mapped[str | None] = mapped_column(Text)
    document_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Cluster(Base):
    """Near-duplicate cluster: the same story across outlets; the unit of triage."""

    __tablename__ = "clusters"

    id: Mapped[int] = mapped_column(primary_key=True)
    representative_id: Mapped[int | None] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str | None] = mapped_column(Text)
    first_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    documents: Mapped[list[Document]] = relationship(viewonly=True)


class Document(Base):
    """One fetched item (article or post), sectioned by pipeline stage."""

    __tablename__ = "documents"
    __table_args__ = (
        Index("ix_documents_status", "status"),
        Index("ix_documents_content_hash", "content_hash"),
        Index("ix_documents_cluster_id", "cluster_id"),
        Index("ix_documents_created_at", "created_at"),
        Index("ix_documents_cluster_source", "cluster_id", "source_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="SET NULL"))
    first_run_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(30), default="fetched")
    status_detail: Mapped[str | None] = mapped_column(Text)
    url_canonical: Mapped[str] = mapped_column(String(2048), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    # --- feed entry section (crawler) ---
    entry_url: Mapped[str | None] = mapped_column(Text)
    entry_guid: Mapped[str | None] = mapped_column(Text)
    entry_title: Mapped[str | None] = mapped_column(Text)
    entry_summary: Mapped[str | None] = mapped_column(Text)
    entry_published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    entry_author: Mapped[str | None] = mapped_column(Text)

    # --- fetch section (crawler) ---
    fetch_url: Mapped[str | None] = mapped_column(Text)
    fetch_status_code: Mapped[int | None] = mapped_column(Integer)
    fetch_error: Mapped[str | None] = mapped_column(Text)
    fetched_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    content_type: Mapped[str | None] = mapped_column(Text)
    raw_sha256: Mapped[str | None] = mapped_column(String(64))
    raw_gzip: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))

    # --- extraction section (pipeline.extract) ---
    declared_canonical_url: Mapped[str | None] = mapped_column(Text)
    encoding: Mapped[str | None] = mapped_column(Text)
    legacy_encoding: Mapped[str | None] = mapped_column(String(20))
    title: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    published_at_source: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(Text)
    author_hash: Mapped[str | None] = mapped_column(String(64))
    # how the item entered (issue 6): "crawl" (default when NULL), "import" (platform export), "tip"
    origin: Mapped[str | None] = mapped_column(String(20))
    # tips: the account (user name) or API token owner that submitted it, and their note
    submitted_by: Mapped[str | None] = mapped_column(String(200))
    submit_note: Mapped[str | None] = mapped_column(Text)
    # imported social posts: platform figures as exported {reactions, shares, comments, likes, type, parent_url}
    engagement: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    language: Mapped[str | None] = mapped_column(String(20))
    extracted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    extractor_version: Mapped[str | None] = mapped_column(String(60))

    # --- NLP section (pipeline.nlp) ---
    text_norm: Mapped[str | None] = deferred(mapped_column(Text))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    minhash: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    area_relevant: Mapped[bool | None] = mapped_column(Boolean)
    nlp_version: Mapped[str | None] = mapped_column(String(60))
    processed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("clusters.id", ondelete="SET NULL"))

    # --- classification section (classifiers) ---
    classified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    model_versions: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    cluster: Mapped[Cluster | None] = relationship()
    places: Mapped[list[PlaceMention]] = relationship(cascade="all, delete-orphan")
    topics: Mapped[list[TopicTag]] = relationship(cascade="all, delete-orphan")
    flags: Mapped[list[Flag]] = relationship(cascade="all, delete-orphan")


class MinhashBand(Base):
    """LSH band buckets of a document's MinHash signature (see pipeline/lshstore.py)."""

    __tablename__ = "minhash_bands"
    __table_args__ = (Index("ix_minhash_bands_bucket", "bucket"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    band: Mapped[int] = mapped_column(SmallInteger)
    bucket: Mapped[int] = mapped_column(BigInteger)


class PlaceMention(Base):
    """A gazetteer place matched in a document, with its evidence."""

    __tablename__ = "place_mentions"
    __table_args__ = (Index("ix_place_mentions_document_id", "document_id"),
                      Index("ix_place_mentions_place_document", "place_id", "document_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    place_id: Mapped[str] = mapped_column(String(100))
    place_name: Mapped[str] = mapped_column(String(300))
    matched_text: Mapped[str] = mapped_column(String(300))
    field: Mapped[str] = mapped_column(String(20))
    start: Mapped[int] = mapped_column(Integer)
    ambiguous: Mapped[bool] = mapped_column(Boolean, default=False)
    evidence: Mapped[str] = mapped_column(Text)


class TopicTag(Base):
    """A policy topic assigned to a document by a classifier."""

    __tablename__ = "topic_tags"
    __table_args__ = (UniqueConstraint("document_id", "topic"), Index("ix_topic_tags_topic", "topic"))

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(60))
    score: Mapped[float] = mapped_column(Float)
    model_version: Mapped[str] = mapped_column(String(60))
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Flag(Base):
    """A risk flag (one of the five categories) with score in [0,1] and explanation."""

    __tablename__ = "flags"
    __table_args__ = (UniqueConstraint("document_id", "category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(String(40))
    score: Mapped[float] = mapped_column(Float)
    model_version: Mapped[str] = mapped_column(String(60))
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Unit(Base):
    """An organisational unit that triage items are routed to."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    short_name: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    is_police: Mapped[bool] = mapped_column(Boolean, default=False)
    email: Mapped[str | None] = mapped_column(String(300))


class TriageItem(Base):
    """A flagged cluster waiting for a person: status, priority, suggested route."""

    __tablename__ = "triage_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id", ondelete="CASCADE"), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="new")
    priority: Mapped[int] = mapped_column(Integer, default=0)
    categories: Mapped[list[Any]] = mapped_column(JSON, default=list)
    top_category: Mapped[str] = mapped_column(String(40))
    suggested_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    routed_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    route_confirmed_by: Mapped[str | None] = mapped_column(String(200))
    assigned_to: Mapped[str | None] = mapped_column(String(200))
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    route_reason: Mapped[str | None] = mapped_column(Text)
    closed_reason: Mapped[str | None] = mapped_column(Text)
    routed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    cluster: Mapped[Cluster] = relationship()
    suggested_unit: Mapped[Unit | None] = relationship(foreign_keys=[suggested_unit_id])
    routed_unit: Mapped[Unit | None] = relationship(foreign_keys=[routed_unit_id])


class AuditEvent(Base):
    """Append-only record of every routing, status change, export and run."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(60))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class JobRun(Base):
    """One claimed run of a scheduled job; (job, scheduled_for) is unique, so a fire time runs once
    however many scheduler processes share the database."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job", "scheduled_for"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(60))
    scheduled_for: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    holder: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(20), default="running")  # running, ok, error, timed-out
    missed: Mapped[int] = mapped_column(Integer, default=0)  # earlier fire times coalesced into this run
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    detail: Mapped[str | None] = mapped_column(Text)


class MailSend(Base):
    """One message to one recipient; (kind, key, recipient) is unique so a digest is never sent twice."""

    __tablename__ = "mail_sends"
    __table_args__ = (UniqueConstraint("kind", "key", "recipient"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))  # digest, alert, weekly, report
    key: Mapped[str] = mapped_column(String(200))  # e.g. the digest date
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), default="sending")  # sending, sent, outbox, failed
    message_id: Mapped[str | None] = mapped_column(String(300))
    path: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Watchlist(Base):
    """A keyword watchlist analysts edit (query language: alerts/watchquery.py)."""

    __tablename__ = "watchlists"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    query: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(200))
    recipients: Mapped[list[Any]] = mapped_column(JSON, default=list)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    throttle_minutes: Mapped[int] = mapped_column(Integer, default=60)
    last_alert_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class WatchlistMatch(Base):
    """A document that matched a watchlist; ``alerted_at`` is set once it was mailed."""

    __tablename__ = "watchlist_matches"
    __table_args__ = (UniqueConstraint("watchlist_id", "document_id"),
                      Index("ix_watchlist_matches_pending", "watchlist_id", "alerted_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    watchlist_id: Mapped[int] = mapped_column(ForeignKey("watchlists.id", ondelete="CASCADE"))
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    cluster_id: Mapped[int | None] = mapped_column(Integer)
    terms: Mapped[list[Any]] = mapped_column(JSON, default=list)
    matched_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    alerted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class DocumentLabel(Base):
    """A person's decision about a document's category, kept as a training label.

    Written by the triage workflow: a confirmed route is a positive label of the item's
    category, a dismissal a negative one of its categories, a correction a negative of the
    old and a positive of the new category. ``mediawatch train NAME --with-labels`` uses them.
    """

    __tablename__ = "document_labels"
    __table_args__ = (Index("ix_document_labels_category", "category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(String(60))
    value: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(30), default="triage")  # triage, import
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class User(Base):
    """A person who signs in to the web app. Roles: admin, analyst, liaison (sees only its unit's items)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    email: Mapped[str | None] = mapped_column(String(320))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    unit: Mapped[Unit | None] = relationship()


class WebSession(Base):
    """A server-side login session; the cookie holds a random token, the database its SHA-256."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()


class ApiToken(Base):
    """A bearer token of the JSON API (only its SHA-256 is stored)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)

    user: Mapped[User] = relationship()


class LoginAttempt(Base):
    """Sign-in attempts, for rate limiting (per username and per client address)."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_username_at", "username", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100))
    client: Mapped[str] = mapped_column(String(100))
    success: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Note(Base):
    """An analyst's note on a triage item."""

    __tablename__ = "notes"
    __table_args__ = (Index("ix_notes_triage_item_id", "triage_item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    triage_item_id: Mapped[int] = mapped_column(ForeignKey("triage_items.id", ondelete="CASCADE"))
    author: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
