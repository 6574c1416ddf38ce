"""Records the crawler hands to the pipeline (one JSON object per line).

``source_result``: one per source per crawl: ok, HTTP status, error, entry count,
conditional-GET validators, parse problems, and ``retry_after`` (seconds the server asked to
wait with Retry-After when the source request was given up; None otherwise, see crawlers/health.py).
``page``: one per article candidate: the original URL, the feed entry it came
from (if any), and either the body (base64) or the error that prevented it, or
``skipped`` ("known": URL already stored; "robots": disallowed).
"""

from __future__ import annotations

import base64
from typing import Any


def source_result(source: str, *, ok: bool, status_code: int | None = None, error: str | None = None,
                  entries: int = 0, not_modified: bool = False, etag: str | None = None,
                  last_modified: str | None = None, problems: list[str] | None = None,
                  retry_after: float | None = None) -> dict[str, Any]:
    return {"type": "source_result", "source": source, "ok": ok, "status_code": status_code,
            "error": error, "entries": entries, "not_modified": not_modified, "etag": etag,
            "last_modified": last_modified, "problems": problems or [], "retry_after": retry_after}


def page(source: str, url: str, *, entry: dict[str, Any] | None = None, final_url: str | None = None,
         status_code: int | None = None, content_type: str | None = None, body: bytes | None = None,
         error: str | None = None, skipped: str | None = None) -> dict[str, Any]:
    return {"type": "page", "source": source, "url": url, "entry": entry, "final_url": final_url,
            "status_code": status_code, "content_type": content_type,
            "body_b64": base64.b64encode(body).decode("ascii") if body is not None else None,
            "error": error, "skipped": skipped}


def body_of(record: dict[str, Any]) -> bytes | None:
    raw = record.get("body_b64")
    return base64.b64decode(raw) if raw else None
