"""Source health: failure counts, Retry-After backoff, automatic pause and resumption.

The state machine is pure (:func:`apply_crawl`: a :class:`Health` snapshot plus one crawl's
outcome and the clock -> the new snapshot and the event it caused), so it is tested without
Scrapy or a database; :func:`record_crawl` applies it to a ``sources`` row and writes the
audit event. States of a source:

* **active**: ``paused_at`` is NULL. A success resets ``consecutive_failures``; a failure
  increments ``consecutive_failures`` and ``error_count``. When a failed crawl reported a
  ``Retry-After`` (seconds), ``backoff_until`` = now + that, and the source is not crawled
  before then (:func:`crawlable`).
* **paused**: ``paused_at`` set and ``paused_until`` in the future (automatic pause after
  ``pause_after_failures`` failures in a row, for ``pause_hours``), or ``paused_until`` NULL
  (a person paused it: only a person resumes it). Not crawled.
* **probing**: ``paused_at`` set and ``paused_until`` passed: the next crawl is a probe. Its
  success clears the pause (event ``resumed``); its failure pauses again for twice the last
  pause (``paused_until - paused_at``), capped at ``max_pause_hours`` (event ``repaused``).

Events ``paused``/``repaused``/``resumed`` are audit events (actor ``system``); a pause also
mails the office (:mod:`alerts.sourcepause`).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict, dataclass, replace
from typing import Any

log = logging.getLogger(__name__)
REASON_MAX = 500  # characters of the last error kept as pause_reason


@dataclass(frozen=True)
class Policy:
    """Thresholds (from settings): failures in a row before a pause, first pause and its cap (hours)."""

    pause_after_failures: int = 5
    pause_hours: float = 24.0
    max_pause_hours: float = 168.0

    @classmethod
    def from_settings(cls, settings: Any) -> Policy:
        return cls(pause_after_failures=max(1, int(settings.source_pause_after_failures)),
                   pause_hours=float(settings.source_pause_hours),
                   max_pause_hours=float(settings.source_max_pause_hours))


@dataclass(frozen=True)
class Health:
    """The health columns of one ``sources`` row (aware UTC datetimes)."""

    consecutive_failures: int = 0
    error_count: int = 0
    backoff_until: dt.datetime | None = None
    paused_at: dt.datetime | None = None
    paused_until: dt.datetime | None = None
    pause_reason: str | None = None

    @classmethod
    def of(cls, row: Any) -> Health:
        return cls(consecutive_failures=row.consecutive_failures or 0, error_count=row.error_count or 0,
                   backoff_until=row.backoff_until, paused_at=row.paused_at, paused_until=row.paused_until,
                   pause_reason=row.pause_reason)

    def store(self, row: Any) -> None:
        for key, value in asdict(self).items():
            setattr(row, key, value)

    def as_json(self) -> dict[str, Any]:
        """The snapshot for an audit event (datetimes as ISO strings)."""
        return {k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in asdict(self).items()}


def status(h: Health, now: dt.datetime) -> str:
    """``active``, ``backoff`` (Retry-After not yet passed), ``paused`` (manual or automatic, not
    yet due) or ``probing`` (automatic pause over: the next crawl is a probe)."""
    if h.paused_at is not None:
        if h.paused_until is None or h.paused_until > now:
            return "paused"
        return "probing"
    if h.backoff_until is not None and h.backoff_until > now:
        return "backoff"
    return "active"


def crawlable(h: Health, now: dt.datetime) -> bool:
    """May the source be crawled at ``now``? Not while paused or in backoff."""
    return status(h, now) in ("active", "probing")


def apply_crawl(h: Health, ok: bool, error: str | None, retry_after_s: float | None, now: dt.datetime,
                policy: Policy) -> tuple[Health, str | None]:
    """The new health after one crawl of the source, and the event it caused.

    ``ok``: the crawl's source result; ``error``: its message (kept, cut to REASON_MAX, as the
    pause reason); ``retry_after_s``: seconds the server asked to wait (Retry-After), or None.
    Event: ``paused`` (threshold reached), ``repaused`` (a probe failed), ``resumed`` (a probe
    succeeded) or None. A manual pause (``paused_until`` None) is never changed here.
    """
    backoff = now + dt.timedelta(seconds=retry_after_s) if retry_after_s and retry_after_s > 0 else None
    state = status(h, now)
    if ok:
        new = replace(h, consecutive_failures=0, backoff_until=None)
        if state == "probing":
            return replace(new, paused_at=None, paused_until=None, pause_reason=None), "resumed"
        return new, None
    reason = (error or "lỗi không rõ")[:REASON_MAX]
    new = replace(h, consecutive_failures=h.consecutive_failures + 1, error_count=h.error_count + 1,
                  backoff_until=backoff or h.backoff_until)
    if h.paused_at is not None and h.paused_until is None:
        return new, None  # paused by a person while a crawl was running: leave it
    if state == "probing":
        assert h.paused_at is not None and h.paused_until is not None
        last = max(h.paused_until - h.paused_at, dt.timedelta(hours=policy.pause_hours))
        return _pause(new, now, min(last * 2, dt.timedelta(hours=policy.max_pause_hours)), reason), "repaused"
    if state != "paused" and new.consecutive_failures >= policy.pause_after_failures:
        return _pause(new, now, dt.timedelta(hours=policy.pause_hours), reason), "paused"
    return new, None


def _pause(h: Health, now: dt.datetime, length: dt.timedelta, reason: str) -> Health:
    until = now + length
    if h.backoff_until is not None and h.backoff_until > until:
        until = h.backoff_until
    return replace(h, paused_at=now, paused_until=until, pause_reason=reason)


def manual_pause(h: Health, now: dt.datetime, reason: str | None, hours: float | None = None) -> Health:
    """A person pauses the source: until resumed by hand (``hours`` None) or for ``hours``."""
    until = now + dt.timedelta(hours=hours) if hours else None
    return replace(h, paused_at=now, paused_until=until, pause_reason=(reason or "tạm dừng thủ công")[:REASON_MAX])


def manual_resume(h: Health) -> Health:
    """A person resumes the source: pause and backoff cleared, failures in a row reset."""
    return replace(h, paused_at=None, paused_until=None, pause_reason=None, backoff_until=None,
                   consecutive_failures=0)


@dataclass
class HealthEvent:
    """One pause/resume caused by a crawl (for the audit log and the pause alert)."""

    event: str  # paused, repaused, resumed
    source_id: int
    source_key: str
    source_name: str
    before: dict[str, Any]
    after: dict[str, Any]


def record_crawl(session: Any, row: Any, ok: bool, error: str | None, retry_after_s: float | None,
                 now: dt.datetime, policy: Policy, actor: str = "system") -> HealthEvent | None:
    """Apply one crawl's outcome to the ``sources`` row ``row``; a pause or resume is written as
    an audit event ``source.paused`` / ``source.resumed`` (before/after snapshots) and returned."""
    from storage.models import AuditEvent

    before = Health.of(row)
    after, event = apply_crawl(before, ok, error, retry_after_s, now, policy)
    after.store(row)
    if event is None:
        return None
    action = "source.resumed" if event == "resumed" else "source.paused"
    snap_before, snap_after = before.as_json(), dict(after.as_json(), event=event, automatic=True)
    session.add(AuditEvent(at=now, actor=actor, action=action, entity_type="source", entity_id=row.id,
                           before=snap_before, after=snap_after))
    return HealthEvent(event, row.id, row.key, row.name, snap_before, snap_after)


def set_paused(session: Any, row: Any, paused: bool, actor: str, now: dt.datetime, reason: str | None = None,
               hours: float | None = None) -> bool:
    """Pause or resume ``row`` by hand (CLI, web); audited with before/after. Returns False when
    nothing changed (already paused / not paused)."""
    from storage.models import AuditEvent

    before = Health.of(row)
    if paused and before.paused_at is not None and before.paused_until is None:
        return False  # already paused by hand
    if not paused and before.paused_at is None and before.backoff_until is None:
        return False  # nothing to resume
    after = manual_pause(before, now, reason, hours) if paused else manual_resume(before)
    after.store(row)
    session.add(AuditEvent(at=now, actor=actor, action="source.paused" if paused else "source.resumed",
                           entity_type="source", entity_id=row.id, before=before.as_json(),
                           after=dict(after.as_json(), automatic=False)))
    return True


def crawlable_rows(rows: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    """The ``{key: Source}`` of ``rows`` that may be crawled at ``now`` (the others are logged)."""
    out = {}
    for key, row in rows.items():
        if crawlable(Health.of(row), now):
            out[key] = row
        else:
            log.info("source %s not crawled: %s until %s", key, status(Health.of(row), now),
                     row.paused_until or row.backoff_until or "resumed by hand")
    return out
