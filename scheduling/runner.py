"""Run scheduled jobs exactly once per fire time, however many scheduler processes share a database.

APScheduler (3.x, zone ``settings.timezone``) wakes a process at each job's
fire times; the decision to run is made here, against the database, so it
survives restarts and several processes:

* :meth:`SchedulerCore.run_job` lists the job's fire times since the last one
  recorded in ``job_runs`` (APScheduler's own trigger arithmetic). Fire times
  within the grace period (``scheduler_grace_minutes``) are coalesced into one
  run of the latest; older ones are recorded as ``skipped`` and logged.
* The run is claimed by inserting ``(job, scheduled_for)`` into ``job_runs``
  (unique): a second process inserting the same pair gets an IntegrityError
  and does nothing.
* The job body ``func(session, settings, now)`` runs in a worker thread with
  its own session; after ``job_timeout_minutes`` the run is marked
  ``timed-out`` and the schedule moves on (a Python thread cannot be killed;
  the crawl itself runs in a child process with its own hard timeout).

Tests drive :meth:`SchedulerCore.run_pending` with a controlled clock.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from apscheduler.triggers.base import BaseTrigger
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from storage.db import session_scope
from storage.models import JobRun

log = logging.getLogger(__name__)
JobFunc = Callable[[Session, Any, dt.datetime], Any]
_TICK = dt.timedelta(microseconds=1)
MAX_FIRE_TIMES = 20_000


@dataclass(frozen=True)
class JobSpec:
    """A scheduled job: ``func(session, settings, now)`` fired by an APScheduler ``trigger``."""

    name: str
    func: JobFunc
    trigger: BaseTrigger
    description: str


@dataclass
class JobOutcome:
    job: str
    scheduled_for: dt.datetime
    state: str  # ok, error, timed-out, skipped
    missed: int = 0
    skipped: int = 0
    result: Any = None


def default_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def fire_times(trigger: BaseTrigger, after: dt.datetime, until: dt.datetime, limit: int = MAX_FIRE_TIMES) -> list[dt.datetime]:
    """Fire times t of ``trigger`` with after <= t <= until (aware datetimes, oldest first, at most ``limit``)."""
    out: list[dt.datetime] = []
    t = trigger.get_next_fire_time(None, after)
    while t is not None and t <= until and len(out) < limit:
        out.append(t)
        t = trigger.get_next_fire_time(t, t + _TICK)
    return out


class SchedulerCore:
    """Decides and runs due jobs for one process (``holder``) against the shared database."""

    def __init__(self, factory: sessionmaker[Session], settings: Any, jobs: list[JobSpec],
                 holder: str | None = None) -> None:
        self.factory, self.settings = factory, settings
        self.jobs = {j.name: j for j in jobs}
        self.holder = holder or default_holder()
        self.grace = dt.timedelta(minutes=settings.scheduler_grace_minutes)
        self.timeout = settings.job_timeout_minutes * 60.0

    def _plan(self, session: Session, job: JobSpec, now: dt.datetime) -> tuple[dt.datetime | None, int, dt.datetime | None, int]:
        """(fire time to run, coalesced count, last skipped fire time, skipped count) at ``now``."""
        last = session.scalar(select(func.max(JobRun.scheduled_for)).where(JobRun.job == job.name))
        horizon = now - self.grace
        if last is None:  # first start ever: run the latest fire time in the grace period, nothing was missed
            due = fire_times(job.trigger, horizon, now)
            return (due[-1] if due else None), 0, None, 0
        pending = fire_times(job.trigger, last + _TICK, now)
        stale = [t for t in pending if t < horizon]
        due = [t for t in pending if t >= horizon]
        return (due[-1] if due else None), max(len(due) - 1, 0), (stale[-1] if stale else None), len(stale)

    def _claim(self, session: Session, job: str, at: dt.datetime, state: str, missed: int,
               detail: str | None = None) -> JobRun | None:
        row = JobRun(job=job, scheduled_for=at, holder=self.holder, state=state, missed=missed, detail=detail)
        session.add(row)
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            return None
        return row

    def run_job(self, name: str, now: dt.datetime | None = None) -> JobOutcome | None:
        """Run job ``name`` if one of its fire times is due at ``now`` (aware; default: the clock)
        and no process has claimed it; returns the outcome, or None when nothing was run."""
        job = self.jobs[name]
        now = now or dt.datetime.now(dt.UTC)
        with session_scope(self.factory) as session:
            run_at, missed, stale_at, skipped = self._plan(session, job, now)
            if stale_at is not None:
                if self._claim(session, name, stale_at, "skipped", skipped - 1,
                               f"{skipped} fire time(s) older than the grace period") is not None:
                    log.warning("job %s: %d missed run(s) before %s were older than the grace period; skipped",
                                name, skipped, stale_at.isoformat())
            if run_at is None:
                return (JobOutcome(name, stale_at, "skipped", skipped=skipped) if stale_at is not None else None)
            claim = self._claim(session, name, run_at, "running", missed)
            if claim is None:
                log.debug("job %s at %s already claimed by another process", name, run_at.isoformat())
                return None
            run_id = claim.id
        if missed:
            log.info("job %s: %d missed run(s) coalesced into the run for %s", name, missed, run_at.isoformat())
        outcome = JobOutcome(name, run_at, "running", missed=missed, skipped=skipped)
        box: dict[str, Any] = {}

        def body() -> None:
            try:
                with session_scope(self.factory) as s:
                    box["result"] = job.func(s, self.settings, now)
                box["state"] = "ok"
            except Exception:  # noqa: BLE001 - a failing job is recorded, never kills the scheduler
                box["state"], box["error"] = "error", traceback.format_exc(limit=8)
                log.exception("job %s failed", name)

        worker = threading.Thread(target=body, name=f"job-{name}", daemon=True)
        worker.start()
        worker.join(self.timeout)
        if worker.is_alive():
            outcome.state = "timed-out"
            detail = f"still running after {self.timeout:.0f} s; the schedule moved on"
            log.error("job %s (%s) timed out after %.0f s", name, run_at.isoformat(), self.timeout)
        else:
            outcome.state, outcome.result = box["state"], box.get("result")
            detail = box.get("error") or _summary(outcome.result)
        with session_scope(self.factory) as session:
            session.execute(update(JobRun).where(JobRun.id == run_id, JobRun.state == "running")
                            .values(state=outcome.state, finished_at=dt.datetime.now(dt.UTC), detail=detail))
        return outcome

    def run_pending(self, now: dt.datetime | None = None) -> list[JobOutcome]:
        """Run every due job once (in registry order); the catch-up at start and the test driver."""
        now = now or dt.datetime.now(dt.UTC)
        return [o for name in self.jobs if (o := self.run_job(name, now)) is not None]


def _summary(result: Any) -> str | None:
    if result is None:
        return None
    text = repr(result)
    return text if len(text) <= 2000 else text[:1999] + "…"


def build_scheduler(core: SchedulerCore, blocking: bool = True) -> Any:
    """An APScheduler scheduler (timezone from settings) firing each job of ``core`` at its trigger.

    ``coalesce`` and ``max_instances=1`` keep one process from piling up runs; the
    database claim in :meth:`SchedulerCore.run_job` keeps processes from duplicating them.
    """
    from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.blocking import BlockingScheduler

    cls = BlockingScheduler if blocking else BackgroundScheduler
    sched = cls(timezone=core.settings.timezone, executors={"default": ThreadPoolExecutor(max_workers=4)},
                job_defaults={"coalesce": True, "max_instances": 1,
                              "misfire_grace_time": int(core.grace.total_seconds())})
    for job in core.jobs.values():
        sched.add_job(core.run_job, trigger=job.trigger, args=[job.name], id=job.name, name=job.description,
                      replace_existing=True)

    def _listen(event: Any) -> None:
        if event.code == EVENT_JOB_MISSED:
            log.warning("APScheduler missed %s at %s; the next run catches up", event.job_id, event.scheduled_run_time)
        elif event.code == EVENT_JOB_MAX_INSTANCES:
            log.info("job %s still running; this firing is coalesced into the next", event.job_id)
        else:
            log.error("job %s raised %s", event.job_id, getattr(event, "exception", None))

    sched.add_listener(_listen, EVENT_JOB_MISSED | EVENT_JOB_ERROR | EVENT_JOB_MAX_INSTANCES)
    return sched
