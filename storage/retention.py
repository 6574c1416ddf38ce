"""Retention limits (docs/privacy.md), applied by the scheduler's daily ``retention`` job.

``apply_retention(session, settings, now)`` deletes or blanks what is older than
the configured limits and returns the counts; it is idempotent. Evidence is kept
for the triage queue: documents of a cluster with an open triage item keep their
raw HTML and are never deleted by age; a closed (resolved or dismissed) item and
its documents are deleted ``retention_documents_days`` after it was last changed.

* raw fetched HTML (``raw_gzip``): ``retention_raw_days``
* social posts (sources with ``outlet_type: social``): ``retention_social_days``
* press documents: ``retention_documents_days``
* per-run item statuses, job runs, mail records: ``retention_run_items_days``
* audit events: ``retention_audit_days``
* MinHash LSH bands older than the near-duplicate window (``dedup_window_days``),
  which no query reads any more
* expired web sessions, and sign-in attempts older than 30 days
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, exists, select, update
from sqlalchemy.orm import Session

from storage.models import (
    AuditEvent,
    Cluster,
    Document,
    JobRun,
    LoginAttempt,
    MailSend,
    MinhashBand,
    RunItem,
    Source,
    TriageItem,
    WebSession,
)


def apply_retention(session: Session, settings: Any, now: dt.datetime) -> dict[str, int]:
    """Apply every limit at ``now`` (aware); returns {what: rows affected}; records an audit event."""
    days = dt.timedelta(days=1)
    kept_until = now - settings.retention_documents_days * days
    closed_old = (TriageItem.status.in_(("resolved", "dismissed")) & (TriageItem.updated_at < kept_until))
    in_queue = exists().where(TriageItem.cluster_id == Document.cluster_id, ~closed_old)
    social = select(Source.id).where(Source.outlet_type == "social").scalar_subquery()
    counts: dict[str, int] = {}
    counts["raw_html_dropped"] = session.execute(
        update(Document).where(Document.raw_gzip.is_not(None), Document.fetched_at < now - settings.retention_raw_days * days,
                               ~in_queue).values(raw_gzip=None).execution_options(synchronize_session=False)).rowcount
    old_social = select(Document.id).where(Document.source_id.in_(social),
                                           Document.created_at < now - settings.retention_social_days * days, ~in_queue)
    counts["social_posts_deleted"] = _delete_documents(session, old_social)
    old_docs = select(Document.id).where(Document.created_at < kept_until, ~in_queue)
    counts["documents_deleted"] = _delete_documents(session, old_docs)
    counts["closed_triage_items_deleted"] = session.execute(
        delete(TriageItem).where(closed_old).execution_options(synchronize_session=False)).rowcount
    window_start = now - settings.dedup_window_days * days
    old_band_docs = select(Document.id).where(Document.created_at < window_start)
    counts["lsh_bands_deleted"] = session.execute(
        delete(MinhashBand).where(MinhashBand.document_id.in_(old_band_docs))
        .execution_options(synchronize_session=False)).rowcount
    run_limit = now - settings.retention_run_items_days * days
    counts["run_items_deleted"] = session.execute(delete(RunItem).where(RunItem.created_at < run_limit)).rowcount
    counts["job_runs_deleted"] = session.execute(delete(JobRun).where(JobRun.started_at < run_limit)).rowcount
    counts["mail_records_deleted"] = session.execute(delete(MailSend).where(MailSend.created_at < run_limit)).rowcount
    counts["audit_events_deleted"] = session.execute(
        delete(AuditEvent).where(AuditEvent.at < now - settings.retention_audit_days * days)).rowcount
    counts["expired_sessions_deleted"] = session.execute(delete(WebSession).where(WebSession.expires_at < now)).rowcount
    counts["login_attempts_deleted"] = session.execute(
        delete(LoginAttempt).where(LoginAttempt.at < now - 30 * days)).rowcount
    empty = select(Cluster.id).where(~exists().where(Document.cluster_id == Cluster.id),
                                     ~exists().where(TriageItem.cluster_id == Cluster.id))
    counts["empty_clusters_deleted"] = session.execute(
        delete(Cluster).where(Cluster.id.in_(empty)).execution_options(synchronize_session=False)).rowcount
    session.add(AuditEvent(actor="system", action="retention.applied", entity_type="database", entity_id=None,
                           after=counts))
    session.flush()
    return counts


def _delete_documents(session: Session, ids_query: Any, batch: int = 1000) -> int:
    """Delete documents (children cascade) in batches; returns the number deleted."""
    total = 0
    while True:
        ids = list(session.scalars(ids_query.limit(batch)))
        if not ids:
            return total
        session.execute(delete(MinhashBand).where(MinhashBand.document_id.in_(ids)))
        session.execute(update(RunItem).where(RunItem.document_id.in_(ids)).values(document_id=None))
        for doc in session.scalars(select(Document).where(Document.id.in_(ids))):
            session.delete(doc)  # ORM delete: places, topics and flags go with it on every backend
        session.flush()
        total += len(ids)
