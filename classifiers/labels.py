"""Analysts' decisions as training data (``document_labels``, written by mediawatch/workflow.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storage.models import Document, DocumentLabel


def analyst_labels(settings: Any, category: str) -> list[tuple[str, int]]:
    """(title + text, 1 or 0) per labelled document for ``category``; the latest decision per
    document wins. Reads the configured database; empty when it has none."""
    from mediawatch.cycle import open_database
    from storage.db import session_scope

    with open_database(settings) as factory, session_scope(factory) as session:
        latest: dict[int, bool] = {}
        for doc_id, value in session.execute(select(DocumentLabel.document_id, DocumentLabel.value)
                                             .where(DocumentLabel.category == category)
                                             .order_by(DocumentLabel.created_at, DocumentLabel.id)):
            latest[doc_id] = value
        if not latest:
            return []
        rows = session.execute(select(Document.id, Document.title, Document.text)
                               .where(Document.id.in_(list(latest)))).all()
        return [(f"{r.title or ''}\n{r.text or ''}", int(latest[r.id])) for r in rows]
