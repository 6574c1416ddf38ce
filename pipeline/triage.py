"""Fill the triage queue: one item per flagged cluster, with priority and suggested route.

Routes come from config/routing.yaml. A police unit may be suggested only for
``scam_fraud`` and ``threat_violence`` (RoutingConfigError otherwise), and
every route stays a suggestion (status ``new``) until a person confirms it.
Re-running is idempotent: an existing item is updated, never duplicated; each
creation or change is an audit event by actor ``system``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from classifiers.base import FLAG_CATEGORIES
from storage.models import AuditEvent, Document, Flag, TriageItem, Unit
from storage.types import utcnow

POLICE_CATEGORIES = frozenset({"scam_fraud", "threat_violence"})


class RoutingConfigError(ValueError):
    """routing.yaml is invalid (unknown unit, or police route for a category not allowed)."""


@dataclass(frozen=True)
class Routing:
    units: list[dict[str, Any]]
    routes: dict[str, str]
    weights: dict[str, float]
    due_hours: dict[str, float]

    @classmethod
    def load(cls, path: Path) -> Routing:
        """Read and validate routing.yaml; raises RoutingConfigError."""
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        units = data.get("units", [])
        by_code = {u["code"]: u for u in units}
        routes = data.get("routes", {})
        for category, code in routes.items():
            if category not in FLAG_CATEGORIES:
                raise RoutingConfigError(f"unknown category {category!r} in routes")
            if code not in by_code:
                raise RoutingConfigError(f"route {category} -> unknown unit {code!r}")
            if by_code[code].get("is_police") and category not in POLICE_CATEGORIES:
                raise RoutingConfigError(
                    f"{category} may not be routed to the police unit {code!r}; "
                    f"only {sorted(POLICE_CATEGORIES)} may")
        missing = set(FLAG_CATEGORIES) - set(routes)
        if missing:
            raise RoutingConfigError(f"no route for {sorted(missing)}")
        return cls(units, routes, {k: float(v) for k, v in data.get("priority_weights", {}).items()},
                   {k: float(v) for k, v in data.get("due_hours", {}).items()})


def sync_units(session: Session, routing: Routing) -> dict[str, Unit]:
    rows = {u.code: u for u in session.scalars(select(Unit))}
    for spec in routing.units:
        row = rows.get(spec["code"])
        if row is None:
            row = Unit(code=spec["code"])
            session.add(row)
            rows[spec["code"]] = row
        row.name, row.description = spec["name"], spec.get("description")
        row.short_name = spec.get("short_name")
        row.is_police, row.email = bool(spec.get("is_police")), spec.get("email")
    session.flush()
    return rows


def _audit(session: Session, action: str, item: TriageItem, before: dict[str, Any] | None,
           after: dict[str, Any]) -> None:
    session.add(AuditEvent(actor="system", action=action, entity_type="triage_item", entity_id=item.id,
                           before=before, after=after))


def update_triage(session: Session, routing: Routing, cluster_ids: set[int], now: dt.datetime | None = None) -> int:
    """Create or refresh triage items for ``cluster_ids``; returns the number created."""
    now = now or utcnow()
    units = sync_units(session, routing)
    created = 0
    for cluster_id in sorted(cluster_ids):
        flags = session.execute(
            select(Flag.category, Flag.score).join(Document, Flag.document_id == Document.id)
            .where(Document.cluster_id == cluster_id, Document.status == "ok")).all()
        if not flags:
            continue
        best: dict[str, float] = {}
        for category, score in flags:
            best[category] = max(best.get(category, 0.0), score)
        size = session.scalar(select(func.count(Document.id)).where(
            Document.cluster_id == cluster_id, Document.status.in_(("ok", "dup-text")))) or 1
        ranked = sorted(best, key=lambda c: -best[c] * routing.weights.get(c, 0.5))
        top = ranked[0]
        priority = round(100 * best[top] * routing.weights.get(top, 0.5)) + min(int(size) - 1, 10)
        unit = units[routing.routes[top]]
        if unit.is_police and top not in POLICE_CATEGORIES:  # defence in depth; load() already checks
            raise RoutingConfigError(f"refusing police route for {top}")
        state = {"categories": ranked, "top_category": top, "priority": priority,
                 "suggested_unit": unit.code}
        item = session.scalar(select(TriageItem).where(TriageItem.cluster_id == cluster_id))
        if item is None:
            item = TriageItem(cluster_id=cluster_id, status="new", categories=ranked, top_category=top,
                              priority=priority, suggested_unit_id=unit.id, created_at=now, updated_at=now,
                              due_at=now + dt.timedelta(hours=routing.due_hours.get(top, 72)))
            session.add(item)
            session.flush()
            _audit(session, "triage.created", item, None, dict(state, status="new"))
            created += 1
            continue
        before = {"categories": item.categories, "top_category": item.top_category, "priority": item.priority,
                  "suggested_unit": item.suggested_unit.code if item.suggested_unit else None}
        if before != state:
            item.categories, item.top_category, item.priority = ranked, top, priority
            if item.status == "new":
                item.suggested_unit_id = unit.id
            _audit(session, "triage.updated", item, before, state)
    session.flush()
    return created
