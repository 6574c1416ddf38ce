"""Read the triage queue for the terminal (``mediawatch queue``)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from mediawatch.cycle import open_database
from storage.db import session_scope
from storage.models import Document, TriageItem, Unit


def list_queue(settings: Any, status: str = "new", limit: int = 50) -> list[dict[str, Any]]:
    """Triage items with ``status``, highest priority first; each a dict of display fields."""
    tz = ZoneInfo(settings.timezone)
    with open_database(settings) as factory, session_scope(factory) as session:
        units = {u.id: u.short_name or u.name for u in session.scalars(select(Unit))}
        rows = []
        for item in session.scalars(select(TriageItem).where(TriageItem.status == status)
                                    .order_by(TriageItem.priority.desc(), TriageItem.id).limit(limit)):
            lead = session.scalar(select(Document).where(Document.cluster_id == item.cluster_id,
                                                         Document.status == "ok").order_by(Document.id))
            rows.append({
                "id": item.id, "priority": item.priority, "categories": list(item.categories),
                "title": (lead.title if lead else None) or "—",
                "places": sorted({p.place_name for p in lead.places}) if lead else [],
                "suggested_unit": units.get(item.suggested_unit_id, "—"),
                "due": item.due_at.astimezone(tz).strftime("%d/%m %H:%M") if item.due_at else "—",
            })
        return rows
