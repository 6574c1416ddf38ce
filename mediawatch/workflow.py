"""Triage workflow: the only way a triage item changes status or route.

States: ``new → in_review → routed → acknowledged → resolved``, or ``dismissed``
(with a reason) from ``new`` / ``in_review``. Routing is a person's decision:
``route`` needs an actor, and the police unit is accepted only for
``scam_fraud`` and ``threat_violence`` items and only with a written reason
(:class:`WorkflowError` otherwise). Each change sets its timestamp
(``routed_at``, ``acknowledged_at``, ``resolved_at``) and is an audit event
with who, when, before and after.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.triage import POLICE_CATEGORIES
from storage.models import AuditEvent, Document, DocumentLabel, TriageItem, Unit

TRANSITIONS = {
    "new": {"in_review", "routed", "dismissed"},
    "in_review": {"routed", "dismissed", "new"},
    "routed": {"acknowledged", "routed", "in_review"},
    "acknowledged": {"resolved"},
    "resolved": set(),
    "dismissed": {"in_review"},
}


class WorkflowError(ValueError):
    """A transition that is not allowed (wrong state, police route for another category, missing reason)."""


def _state(item: TriageItem) -> dict[str, Any]:
    return {"status": item.status, "routed_unit_id": item.routed_unit_id, "assigned_to": item.assigned_to}


def transition(session: Session, item: TriageItem, to: str, actor: str, *, unit_code: str | None = None,
               reason: str | None = None, now: dt.datetime | None = None) -> TriageItem:
    """Move ``item`` to status ``to`` as ``actor``; ``unit_code`` is required for ``routed``,
    ``reason`` for ``dismissed`` and for a police route. Raises WorkflowError."""
    now = now or dt.datetime.now(dt.UTC)
    if not actor or actor == "system":
        raise WorkflowError("a person must make this change")
    if to not in TRANSITIONS.get(item.status, set()):
        raise WorkflowError(f"cannot go from {item.status} to {to}")
    before = _state(item)
    reason = (reason or "").strip() or None
    if to == "routed":
        unit = session.scalar(select(Unit).where(Unit.code == (unit_code or "")))
        if unit is None:
            raise WorkflowError(f"unknown unit {unit_code!r}")
        if unit.is_police:
            if item.top_category not in POLICE_CATEGORIES:
                raise WorkflowError(f"the police route is only for {sorted(POLICE_CATEGORIES)}, not {item.top_category}")
            if not reason:
                raise WorkflowError("a police route needs a written reason")
        item.routed_unit_id, item.route_confirmed_by, item.route_reason = unit.id, actor, reason
        item.routed_at = now
    elif to == "dismissed":
        if not reason:
            raise WorkflowError("dismissing needs a reason")
        item.closed_reason = reason
    elif to == "acknowledged":
        item.acknowledged_at = now
    elif to == "resolved":
        item.resolved_at, item.closed_reason = now, reason or item.closed_reason
    if to == "routed":
        _label(session, item, {item.top_category: True}, actor, now)
    elif to == "dismissed":
        _label(session, item, dict.fromkeys(item.categories, False), actor, now)
    item.status, item.updated_at = to, now
    session.add(AuditEvent(at=now, actor=actor, action=f"triage.{to}", entity_type="triage_item", entity_id=item.id,
                           before=before, after=dict(_state(item), reason=reason)))
    session.flush()
    return item


def _label(session: Session, item: TriageItem, values: dict[str, bool], actor: str, now: dt.datetime) -> None:
    """Record the person's decision as labels on each analysed document of the item's cluster."""
    doc_ids = session.scalars(select(Document.id).where(Document.cluster_id == item.cluster_id,
                                                        Document.status == "ok")).all()
    for doc_id in doc_ids:
        for category, value in values.items():
            session.add(DocumentLabel(document_id=doc_id, category=category, value=value, source="triage",
                                      actor=actor, created_at=now))


def correct_category(session: Session, item: TriageItem, category: str, actor: str,
                     now: dt.datetime | None = None) -> TriageItem:
    """An analyst corrects the item's main category: labels say "not <old>" and "<new>"; audited.
    Raises WorkflowError for an unknown category or a closed item."""
    from classifiers.base import FLAG_CATEGORIES

    now = now or dt.datetime.now(dt.UTC)
    if category not in FLAG_CATEGORIES:
        raise WorkflowError(f"unknown category {category!r}")
    if item.status in ("resolved", "dismissed"):
        raise WorkflowError("a closed item cannot be corrected")
    if not actor or actor == "system":
        raise WorkflowError("a person must make this change")
    before = {"top_category": item.top_category, "categories": list(item.categories)}
    _label(session, item, {item.top_category: False, category: True}, actor, now)
    item.top_category = category
    item.categories = [category] + [c for c in item.categories if c != category]
    item.updated_at = now
    session.add(AuditEvent(at=now, actor=actor, action="triage.corrected", entity_type="triage_item",
                           entity_id=item.id, before=before, after={"top_category": category}))
    session.flush()
    return item
