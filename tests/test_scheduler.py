"""The scheduler driven by a controlled clock: daily fire times, coalesced misfires, timeouts,
several processes on one database, the real APScheduler wiring, adaptive crawl intervals."""

from __future__ import annotations

import datetime as dt
import logging
import os
import subprocess
import sys
import threading
import time
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import func, select

from crawlers.sources import sources_from_replay_map
from scheduling.cadence import adaptive_interval
from scheduling.jobs import claim_due_sources, crawl_due, default_jobs
from scheduling.runner import JobSpec, SchedulerCore, build_scheduler
from storage.models import JobRun, Source
from tests.conftest import DEMO_CORPUS

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TZ)


class Recorder:
    def __init__(self) -> None:
        self.calls: list[dt.datetime] = []

    def __call__(self, session, settings, now):  # type: ignore[no-untyped-def]
        self.calls.append(now)
        return {"ok": True}


def test_daily_job_runs_at_0700_every_day_across_months(settings, session_factory) -> None:
    rec = Recorder()
    core = SchedulerCore(session_factory, settings,
                         [JobSpec("digest", rec, CronTrigger(hour=7, minute=0, timezone=TZ), "digest")])
    clock = local(2026, 1, 28, 0, 0)
    end = local(2026, 3, 3, 0, 0)
    while clock < end:
        core.run_pending(clock)
        clock += dt.timedelta(minutes=30)
    days = (end.date() - local(2026, 1, 28).date()).days
    assert len(rec.calls) == days  # 28 Jan .. 2 Mar: through the end of January and of February
    for call in rec.calls:
        assert call.astimezone(TZ).time() == dt.time(7, 0)
    with session_factory() as s:
        fired = sorted(r.scheduled_for.astimezone(TZ) for r in s.scalars(select(JobRun)))
    assert [f.date() for f in fired] == [local(2026, 1, 28).date() + dt.timedelta(days=i) for i in range(days)]
    assert {f.time() for f in fired} == {dt.time(7, 0)} and {r.day for r in fired} >= {29, 31, 1, 28}


def test_missed_runs_within_grace_are_coalesced_into_one(settings, session_factory, caplog) -> None:
    rec = Recorder()
    grace = settings.model_copy(update={"scheduler_grace_minutes": 3 * 24 * 60})
    core = SchedulerCore(session_factory, grace, [JobSpec("digest", rec, CronTrigger(hour=7, timezone=TZ), "d")])
    core.run_pending(local(2026, 5, 1, 7, 5))
    assert len(rec.calls) == 1
    caplog.set_level(logging.INFO, logger="scheduling.runner")
    # the process was down for two days: 2 and 3 May were missed; 4 May 07:30 catches up once
    [outcome] = core.run_pending(local(2026, 5, 4, 7, 30))
    assert outcome.state == "ok" and outcome.missed == 2 and len(rec.calls) == 2
    assert outcome.scheduled_for == local(2026, 5, 4, 7, 0)
    assert "2 missed run(s) coalesced" in caplog.text
    assert core.run_pending(local(2026, 5, 4, 9, 0)) == []  # nothing more that day


def test_runs_older_than_grace_are_skipped_and_logged(settings, session_factory, caplog) -> None:
    rec = Recorder()
    core = SchedulerCore(session_factory, settings, [JobSpec("digest", rec, CronTrigger(hour=7, timezone=TZ), "d")])
    core.run_pending(local(2026, 5, 1, 7, 0))
    caplog.set_level(logging.WARNING, logger="scheduling.runner")
    outcomes = core.run_pending(local(2026, 5, 4, 12, 0))  # 2, 3, 4 May 07:00 are all > 60 min late
    assert len(rec.calls) == 1
    assert [o.state for o in outcomes] == ["skipped"] and outcomes[0].skipped == 3
    assert "3 missed run(s)" in caplog.text
    assert core.run_pending(local(2026, 5, 4, 12, 1)) == []  # logged once, not at every tick
    core.run_pending(local(2026, 5, 5, 7, 1))
    assert len(rec.calls) == 2


def test_hung_job_times_out_and_never_blocks_the_schedule(settings, session_factory) -> None:
    release = threading.Event()

    def hang(session, settings, now):  # type: ignore[no-untyped-def]
        release.wait(30)

    rec = Recorder()
    quick = settings.model_copy(update={"job_timeout_minutes": 0.01})  # 0.6 s
    core = SchedulerCore(session_factory, quick, [
        JobSpec("hung", hang, IntervalTrigger(minutes=5, start_date=local(2026, 1, 1), timezone=TZ), "hangs"),
        JobSpec("digest", rec, CronTrigger(hour=7, timezone=TZ), "d")])
    try:
        started = time.monotonic()
        outcomes = core.run_pending(local(2026, 6, 1, 7, 0))
        assert time.monotonic() - started < 10
        assert {o.job: o.state for o in outcomes} == {"hung": "timed-out", "digest": "ok"}
        with session_factory() as s:
            row = s.scalar(select(JobRun).where(JobRun.job == "hung"))
            assert row.state == "timed-out" and "still running" in row.detail
        # the next fire time is claimed and run again (it times out again; the schedule goes on)
        assert [o.state for o in core.run_pending(local(2026, 6, 1, 7, 5))] == ["timed-out"]
    finally:
        release.set()


def test_two_processes_claim_each_fire_time_once(settings, session_factory) -> None:
    rec = Recorder()
    jobs = [JobSpec("digest", rec, CronTrigger(hour=7, timezone=TZ), "d")]
    a = SchedulerCore(session_factory, settings, jobs, holder="host-a:1")
    b = SchedulerCore(session_factory, settings, jobs, holder="host-b:2")
    barrier = threading.Barrier(2)

    def go(core: SchedulerCore) -> None:
        barrier.wait()
        core.run_pending(local(2026, 7, 1, 7, 0, 1))

    threads = [threading.Thread(target=go, args=(c,)) for c in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(rec.calls) == 1
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(JobRun)) == 1


def test_two_scheduler_processes_send_the_digest_once(settings, session_factory, smtp_server) -> None:
    host, port, sink = smtp_server
    env = dict(os.environ, MEDIAWATCH_DATABASE_URL=settings.effective_database_url,
               MEDIAWATCH_VAR_DIR=str(settings.var_dir), MEDIAWATCH_SMTP_HOST=host, MEDIAWATCH_SMTP_PORT=str(port),
               MEDIAWATCH_SMTP_STARTTLS="false", MEDIAWATCH_DIGEST_TO='["a@example.vn", "b@example.vn"]',
               MEDIAWATCH_MAIL_FROM="mediawatch@example.vn")
    cmd = [sys.executable, "-m", "mediawatch.cli", "scheduler", "--once", "--job", "digest",
           "--now", "2026-12-01T07:00:20+07:00", "--log-level", "WARNING"]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err.decode()
    assert sorted(r for _, rcpts, _ in sink.messages for r in rcpts) == ["a@example.vn", "b@example.vn"]
    subjects = {m["Subject"] for m in sink.parsed()}
    assert subjects == {"[mediawatch] Bản tin theo dõi báo chí ngày 01/12/2026 — 0 mục cần xử lý"}
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(JobRun).where(JobRun.job == "digest")) == 1
    # a third run the same morning sends nothing more
    again = subprocess.run(cmd, env=env, capture_output=True, timeout=120)
    assert again.returncode == 0 and len(sink.messages) == 2


def test_apscheduler_fires_the_jobs(settings, session_factory) -> None:
    fired = threading.Event()
    rec = Recorder()

    def job(session, s, now):  # type: ignore[no-untyped-def]
        rec(session, s, now)
        if len(rec.calls) >= 2:
            fired.set()

    core = SchedulerCore(session_factory, settings,
                         [JobSpec("tick", job, IntervalTrigger(seconds=1, start_date=local(2026, 1, 1), timezone=TZ), "t")])
    sched = build_scheduler(core, blocking=False)
    sched.start()
    try:
        assert fired.wait(15), "APScheduler did not fire the job twice in 15 s"
    finally:
        sched.shutdown(wait=True)
    assert str(sched.timezone) == "Asia/Ho_Chi_Minh"


def test_default_jobs_follow_settings(settings) -> None:
    jobs = {j.name: j for j in default_jobs(settings)}
    assert set(jobs) == {"crawl", "alerts", "digest", "weekly", "retention"}
    after = local(2026, 11, 29, 12, 0)  # a Sunday
    assert jobs["digest"].trigger.get_next_fire_time(None, after) == local(2026, 11, 30, 7, 0)
    assert jobs["weekly"].trigger.get_next_fire_time(None, after) == local(2026, 11, 30, 8, 0)
    assert jobs["retention"].trigger.get_next_fire_time(None, after) == local(2026, 11, 30, 3, 30)


def test_adaptive_interval() -> None:
    now = dt.datetime(2026, 11, 29, 12, tzinfo=dt.UTC)
    hourly = [now - dt.timedelta(hours=h) for h in range(1, 24 * 14)]
    assert adaptive_interval(hourly, now, 300, 86400, 3600) == 1800  # every hour -> poll every 30 min
    busy = [now - dt.timedelta(minutes=m) for m in range(1, 14 * 24 * 60, 2)]
    assert adaptive_interval(busy, now, 300, 86400, 3600) == 300  # clamped to 5 min
    weekly = [now - dt.timedelta(days=d) for d in (1, 8)]
    assert adaptive_interval(weekly, now, 300, 86400, 3600) == 86400  # clamped to 24 h
    assert adaptive_interval([now - dt.timedelta(days=1)], now, 300, 86400, 3600) == 3600  # no history yet
    assert adaptive_interval([now - dt.timedelta(days=30)] * 5, now, 300, 86400, 3600) == 3600  # too old


def test_crawl_job_crawls_due_sources_and_reschedules(settings, session_factory, demo_server) -> None:
    specs = sources_from_replay_map(DEMO_CORPUS)
    demo = settings.model_copy(update={"replay_url": demo_server.base_url})
    now = dt.datetime.now(dt.UTC)
    with session_factory() as session:
        first = crawl_due(session, demo, now, specs=specs)
        assert first["sources"] == len(specs) and first["documents"] > 0
        rows = list(session.scalars(select(Source)))
        assert all(r.next_crawl_at and r.crawl_interval_s and r.crawl_lease_until is None for r in rows)
        assert all(300 <= r.crawl_interval_s <= 86400 for r in rows)
        assert crawl_due(session, demo, now + dt.timedelta(minutes=1), specs=specs) == {"sources": 0}
        soonest = min(r.next_crawl_at for r in rows)
        again = crawl_due(session, demo, soonest, specs=specs)
        assert again["sources"] >= 1 and again["documents"] == 0  # nothing new: feeds answer 304


def test_a_source_is_leased_to_one_process(settings, session_factory) -> None:
    specs = sources_from_replay_map(DEMO_CORPUS)
    now = dt.datetime.now(dt.UTC)
    with session_factory() as a, session_factory() as b:
        got_a = claim_due_sources(a, specs, now, 600, "a")
        got_b = claim_due_sources(b, specs, now, 600, "b")
        assert len(got_a) == len(specs) and got_b == []
        # after the lease ends (a crashed), b may take them
        assert len(claim_due_sources(b, specs, now + dt.timedelta(seconds=601), 600, "b")) == len(specs)
