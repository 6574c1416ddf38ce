"""Source health (issue 6): Retry-After parsing, backoff math, the pause/resume state machine with a
controlled clock, real crawls against a loopback HTTP server (429 then 200, 503 with a long
Retry-After, a source that keeps failing), the pause alert, the digest section, the CLI and the
web pause/resume buttons."""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from alerts.digest import build_digest, collect_digest
from crawlers.health import backoff_delay, parse_retry_after
from crawlers.sources import SourceSpec
from mediawatch.cli import app as cli_app
from mediawatch.cycle import crawl_only
from pipeline.sourcehealth import Health, Policy, apply_crawl, crawlable, manual_pause, manual_resume, status
from scheduling.jobs import claim_due_sources
from storage.db import session_scope
from storage.models import AuditEvent, CrawlRun, Document, MailSend, Source
from tests.test_web_queue_item import add_users, login
from web.app import create_app

T0 = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
POLICY = Policy(pause_after_failures=5, pause_hours=24, max_pause_hours=168)


# ---------------------------------------------------------------- Retry-After and backoff (pure)

def test_retry_after_delta_seconds() -> None:
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(b" 0 ") == 0.0
    assert parse_retry_after("3600") == 3600.0


def test_retry_after_http_date() -> None:
    now = dt.datetime(2026, 10, 21, 7, 0, tzinfo=dt.UTC)
    assert parse_retry_after("Wed, 21 Oct 2026 07:28:00 GMT", now) == 28 * 60
    assert parse_retry_after(b"Wed, 21 Oct 2026 08:00:00 +0100", now) == 0.0  # 07:00 UTC: now
    assert parse_retry_after("Wednesday, 21-Oct-26 07:00:30 GMT", now) == 30.0  # RFC 850 form


def test_retry_after_past_date_is_zero() -> None:
    now = dt.datetime(2026, 10, 21, 7, 0, tzinfo=dt.UTC)
    assert parse_retry_after("Tue, 20 Oct 2026 07:28:00 GMT", now) == 0.0


@pytest.mark.parametrize("junk", [None, "", "   ", "-5", "1.5", "soon", "Wed, 99 Foo 2026", "12abc", b"\xff\xfe"])
def test_retry_after_garbage_is_none(junk: Any) -> None:
    assert parse_retry_after(junk) is None


def test_backoff_grows_exponentially_with_jitter_and_cap() -> None:
    rng = random.Random(7)
    for attempt, ceiling in ((1, 2.0), (2, 4.0), (3, 8.0), (4, 16.0), (6, 60.0), (30, 60.0)):
        for _ in range(50):
            d = backoff_delay(attempt, 2.0, 60.0, rng)
            assert ceiling / 2 <= d <= ceiling
    samples = {round(backoff_delay(3, 2.0, 60.0, rng), 6) for _ in range(20)}
    assert len(samples) > 10  # jitter: clients do not retry in step


# ---------------------------------------------------------------- state machine (controlled clock)

def _fail(h: Health, at: dt.datetime, error: str = "HTTP 500", retry_after: float | None = None) -> tuple[Health, str | None]:
    return apply_crawl(h, False, error, retry_after, at, POLICY)


def test_success_resets_failures_and_failure_counts() -> None:
    h, ev = _fail(Health(), T0)
    assert (h.consecutive_failures, h.error_count, ev) == (1, 1, None)
    h, _ = _fail(h, T0)
    h, ev = apply_crawl(h, True, None, None, T0, POLICY)
    assert (h.consecutive_failures, h.error_count, ev) == (0, 2, None)


def test_retry_after_sets_backoff_and_blocks_crawling_until_then() -> None:
    h, _ = _fail(Health(), T0, "HTTP 503", retry_after=3600)
    assert h.backoff_until == T0 + dt.timedelta(hours=1)
    assert status(h, T0 + dt.timedelta(minutes=59)) == "backoff" and not crawlable(h, T0 + dt.timedelta(minutes=59))
    assert crawlable(h, T0 + dt.timedelta(hours=1))
    h, _ = apply_crawl(h, True, None, None, T0 + dt.timedelta(hours=1), POLICY)
    assert h.backoff_until is None


def test_pause_after_five_failures_then_probe_resumes() -> None:
    h, events, clock = Health(), [], T0
    for i in range(5):
        h, ev = _fail(h, clock, f"HTTP 500 lần {i + 1}")
        events.append(ev)
        clock += dt.timedelta(minutes=30)
    assert events == [None, None, None, None, "paused"]
    paused_at = T0 + dt.timedelta(hours=2)
    assert (h.paused_at, h.paused_until, h.pause_reason) == (paused_at, paused_at + dt.timedelta(hours=24), "HTTP 500 lần 5")
    assert status(h, paused_at + dt.timedelta(hours=23)) == "paused" and not crawlable(h, paused_at + dt.timedelta(hours=23))
    probe_at = paused_at + dt.timedelta(hours=24, minutes=1)
    assert status(h, probe_at) == "probing" and crawlable(h, probe_at)
    h2, ev = apply_crawl(h, True, None, None, probe_at, POLICY)
    assert ev == "resumed" and h2.paused_at is None and h2.paused_until is None and h2.pause_reason is None
    assert h2.consecutive_failures == 0 and h2.error_count == 5 and status(h2, probe_at) == "active"


def test_failed_probe_doubles_the_pause_up_to_seven_days() -> None:
    h = Health(consecutive_failures=5, error_count=5, paused_at=T0, paused_until=T0 + dt.timedelta(hours=24),
               pause_reason="HTTP 500")
    lengths = []
    clock = T0
    for _ in range(5):
        clock = h.paused_until + dt.timedelta(minutes=1)
        h, ev = _fail(h, clock, "HTTP 502")
        assert ev == "repaused" and h.paused_at == clock and h.pause_reason == "HTTP 502"
        lengths.append((h.paused_until - h.paused_at) / dt.timedelta(hours=1))
    assert lengths == [48, 96, 168, 168, 168]
    assert h.consecutive_failures == 10


def test_pause_reason_is_bounded_and_a_long_backoff_extends_the_pause() -> None:
    h = Health(consecutive_failures=4)
    h, ev = _fail(h, T0, "x" * 5000, retry_after=3 * 86400)
    assert ev == "paused" and len(h.pause_reason or "") == 500
    assert h.paused_until == T0 + dt.timedelta(days=3)  # not before the server's Retry-After


def test_manual_pause_is_left_alone_by_crawls_and_resume_clears_everything() -> None:
    h = manual_pause(Health(consecutive_failures=2, backoff_until=T0 + dt.timedelta(hours=1)), T0, "bảo trì")
    later = T0 + dt.timedelta(days=30)
    assert status(h, later) == "paused" and not crawlable(h, later)
    h2, ev = _fail(h, later)  # a crawl that was already running
    assert ev is None and h2.paused_at == T0 and h2.paused_until is None
    h3, ev = apply_crawl(h, True, None, None, later, POLICY)
    assert ev is None and h3.paused_at == T0
    r = manual_resume(h2)
    assert r.paused_at is None and r.backoff_until is None and r.consecutive_failures == 0 and crawlable(r, later)


# ---------------------------------------------------------------- loopback HTTP server

class Web:
    """A loopback HTTP server whose answers per path tests set: ``routes[path] = fn() -> (status, headers, body)``."""

    def __init__(self) -> None:
        self.routes: dict[str, Callable[[], tuple[int, dict[str, str], bytes]]] = {}
        self.hits: dict[str, list[float]] = {}
        web = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server hook name
                path = self.path.split("?")[0]
                web.hits.setdefault(path, []).append(time.monotonic())
                fn = web.routes.get(path)
                code, headers, body = fn() if fn else (404, {}, b"not found")
                self.send_response(code)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def feed(self, *articles: str) -> bytes:
        items = "".join(f"<item><title>Tin thử {a}</title><link>{self.url(a)}</link><guid>{a}</guid></item>"
                        for a in articles)
        return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Thử</title>'
                f"<link>{self.base}/</link>{items}</channel></rss>").encode()


RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}
HTML = {"Content-Type": "text/html; charset=utf-8"}
ARTICLE = "<html><head><title>Bài thử</title></head><body><p>Bà Rịa – Vũng Tàu: nội dung bài thử.</p></body></html>".encode()


def sequence(*answers: tuple[int, dict[str, str], bytes]) -> Callable[[], tuple[int, dict[str, str], bytes]]:
    """Answer with each of ``answers`` in turn, then keep giving the last one."""
    queue = list(answers)

    def fn() -> tuple[int, dict[str, str], bytes]:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return fn


@pytest.fixture
def web() -> Iterator[Web]:
    w = Web()
    thread = threading.Thread(target=w.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield w
    finally:
        w.server.shutdown()
        w.server.server_close()


def crawl_settings(settings: Any, **extra: Any) -> Any:
    return settings.model_copy(update={"allow_private_targets": True, "obey_robots": False,
                                       "retry_backoff_base_seconds": 0.1, **extra})


def _source(factory: Any, key: str) -> Source:
    with factory() as s:
        row = s.scalar(select(Source).where(Source.key == key))
        s.expunge(row)
        return row


# ---------------------------------------------------------------- crawls

def test_429_with_retry_after_is_waited_for_then_the_page_is_stored_once(settings, session_factory, web) -> None:
    web.routes["/feed.xml"] = sequence((429, {"Retry-After": "1"}, b"slow down"), (200, RSS, web.feed("/a1.html")))
    web.routes["/a1.html"] = lambda: (200, HTML, ARTICLE)
    spec = SourceSpec(name="Nguồn 429", kind="rss", url=web.url("/feed.xml"))
    summary = crawl_only(crawl_settings(settings, retry_times=1), [spec])
    hits = web.hits["/feed.xml"]
    assert len(hits) == 2 and hits[1] - hits[0] >= 1.0, hits
    assert summary.sources_failed == [] and summary.documents == 1
    with session_factory() as s:
        docs = s.scalars(select(Document)).all()
        assert [d.url_canonical for d in docs] == [web.url("/a1.html")] and docs[0].raw_gzip
        src = s.scalar(select(Source).where(Source.key == spec.key))
        assert (src.consecutive_failures, src.error_count, src.backoff_until, src.paused_at) == (0, 0, None, None)
    assert len(web.hits["/a1.html"]) == 1
    crawl_only(crawl_settings(settings, retry_times=1), [spec])  # again: stored once, the page is not fetched again
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Document)) == 1
    assert len(web.hits["/a1.html"]) == 1


def test_the_wait_does_not_hold_up_other_sources(settings, session_factory, web) -> None:
    other = Web()
    thread = threading.Thread(target=other.server.serve_forever, daemon=True)
    thread.start()
    try:
        web.routes["/slow.xml"] = sequence((429, {"Retry-After": "2"}, b""), (200, RSS, web.feed()))
        other.routes["/fast.xml"] = lambda: (200, RSS, other.feed("/b1.html", "/b2.html"))
        other.routes["/b1.html"] = other.routes["/b2.html"] = lambda: (200, HTML, ARTICLE)
        specs = [SourceSpec(name="Chậm", kind="rss", url=web.url("/slow.xml")),
                 SourceSpec(name="Nhanh", kind="rss", url=other.url("/fast.xml"))]
        summary = crawl_only(crawl_settings(settings, retry_times=1), specs)
    finally:
        other.server.shutdown()
        other.server.server_close()
    first, retry = web.hits["/slow.xml"]
    assert retry - first >= 2.0
    assert max(other.hits["/b1.html"][0], other.hits["/b2.html"][0]) < retry  # fetched during the wait
    assert summary.sources_failed == [] and summary.documents == 2


def test_503_with_long_retry_after_sets_backoff_and_the_scheduler_skips_the_source(settings, session_factory, web) -> None:
    web.routes["/busy.xml"] = lambda: (503, {"Retry-After": "3600"}, b"maintenance")
    spec = SourceSpec(name="Nguồn bảo trì", kind="rss", url=web.url("/busy.xml"))
    before = dt.datetime.now(dt.UTC)
    summary = crawl_only(crawl_settings(settings, retry_times=3), [spec])
    after = dt.datetime.now(dt.UTC)
    assert len(web.hits["/busy.xml"]) == 1  # 3600 s is over the cap: given up, not retried
    assert [f["source"] for f in summary.sources_failed] == [spec.key]
    src = _source(session_factory, spec.key)
    assert before + dt.timedelta(seconds=3599) <= src.backoff_until <= after + dt.timedelta(seconds=3601)
    assert (src.consecutive_failures, src.error_count, src.last_error) == (1, 1, "HTTP 503")
    with session_factory() as s:
        run = s.scalar(select(CrawlRun).order_by(CrawlRun.id.desc()))
        assert 3590 <= run.source_results[spec.key]["retry_after"] <= 3600
        assert claim_due_sources(s, [spec], after + dt.timedelta(minutes=1), 600, "t") == []
        assert claim_due_sources(s, [spec], after + dt.timedelta(minutes=59), 600, "t") == []
        assert [c.key for c in claim_due_sources(s, [spec], after + dt.timedelta(seconds=3602), 600, "t")] == [spec.key]
    crawl_only(crawl_settings(settings), [spec])  # the `mediawatch crawl` path skips it too
    assert len(web.hits["/busy.xml"]) == 1


def test_five_failures_pause_the_source_mail_once_and_a_later_run_resumes_it(mail_settings, session_factory,
                                                                            smtp_server, web) -> None:
    _, _, sink = smtp_server
    cfg = crawl_settings(mail_settings)  # retry_times=0 (conftest)
    web.routes["/down.xml"] = lambda: (500, {}, b"boom")
    spec = SourceSpec(name="Báo hỏng", kind="rss", url=web.url("/down.xml"))
    for _ in range(5):
        crawl_only(cfg, [spec])
    src = _source(session_factory, spec.key)
    assert (src.consecutive_failures, src.error_count, src.pause_reason) == (5, 5, "HTTP 500")
    assert src.paused_until - src.paused_at == dt.timedelta(hours=24)
    crawl_only(cfg, [spec])  # paused: not crawled
    assert len(web.hits["/down.xml"]) == 5
    mails = sink.parsed()
    assert len(mails) == 1
    msg = mails[0]
    assert "Báo hỏng" in msg["Subject"] and "tạm dừng" in msg["Subject"] and msg["To"] == "phongbaochi@sotttt.example.vn"
    body = msg.get_content()
    assert "HTTP 500" in body and "lỗi liên tiếp: 5" in body and "Sẽ thử thu thập lại lúc" in body
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(MailSend).where(MailSend.kind == "source-paused")) == 1
        assert claim_due_sources(s, [spec], dt.datetime.now(dt.UTC), 600, "t") == []  # the scheduler skips it too
        ev = s.scalar(select(AuditEvent).where(AuditEvent.action == "source.paused"))
        assert ev.actor == "system" and ev.entity_id == src.id and ev.before["paused_at"] is None
        assert ev.after["automatic"] and ev.after["consecutive_failures"] == 5
        # the pause is over (moved back in time, as if 24 h had passed)
        row = s.get(Source, src.id)
        row.paused_at, row.paused_until = row.paused_at - dt.timedelta(hours=25), row.paused_until - dt.timedelta(hours=25)
        s.commit()
    crawl_only(cfg, [spec])  # the probe fails: paused again for twice as long, mailed again
    src = _source(session_factory, spec.key)
    assert len(web.hits["/down.xml"]) == 6 and src.paused_until - src.paused_at == dt.timedelta(hours=48)
    assert len(sink.messages) == 2 and "tạm dừng lại" in sink.parsed()[1]["Subject"]
    with session_factory() as s:
        row = s.get(Source, src.id)
        row.paused_at, row.paused_until = row.paused_at - dt.timedelta(hours=49), row.paused_until - dt.timedelta(hours=49)
        s.commit()
    web.routes["/down.xml"] = lambda: (200, RSS, web.feed())
    crawl_only(cfg, [spec])  # the probe succeeds: resumed
    src = _source(session_factory, spec.key)
    assert (src.paused_at, src.paused_until, src.pause_reason, src.consecutive_failures) == (None, None, None, 0)
    assert src.error_count == 6 and len(sink.messages) == 2
    with session_factory() as s:
        resumed = s.scalars(select(AuditEvent).where(AuditEvent.action == "source.resumed")).all()
        assert len(resumed) == 1 and resumed[0].actor == "system" and resumed[0].before["paused_at"]
        assert [c.key for c in claim_due_sources(s, [spec], dt.datetime.now(dt.UTC), 600, "t")] == [spec.key]


# ---------------------------------------------------------------- digest, CLI, web

def _paused_source(factory: Any, key: str = "bao-tam-dung", manual: bool = False) -> int:
    now = dt.datetime.now(dt.UTC)
    with session_scope(factory) as s:
        src = Source(key=key, name="Báo tạm dừng", kind="rss", url="https://baotamdung.example/rss", enabled=True,
                     consecutive_failures=5, error_count=7, paused_at=now, last_error_at=now, last_error="HTTP 500",
                     paused_until=None if manual else now + dt.timedelta(hours=24), pause_reason="HTTP 500 <b>x</b>")
        s.add(src)
        s.flush()
        return src.id


def test_digest_lists_paused_sources(settings, session_factory) -> None:
    _paused_source(session_factory)
    now = dt.datetime.now(dt.UTC)
    with session_factory() as s:
        data = collect_digest(s, settings, now, now - dt.timedelta(hours=24))
    assert [p["source"] for p in data.sources_paused] == ["bao-tam-dung"]
    assert data.sources_failed == []  # listed once, as paused
    _, html, text = build_digest(data)
    assert "Nguồn tạm dừng (1)" in html and "HTTP 500 &lt;b&gt;x&lt;/b&gt;" in html and "thử lại sau" in html
    assert "NGUỒN TẠM DỪNG (1)" in text and "- Báo tạm dừng: HTTP 500 <b>x</b> - tạm dừng từ" in text


def test_cli_sources_list_pause_resume(settings, session_factory, monkeypatch) -> None:
    monkeypatch.setenv("MEDIAWATCH_DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("MEDIAWATCH_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("USER", "chuyen.vien")
    with session_scope(session_factory) as s:
        s.add(Source(key="bao-a", name="Báo A", kind="rss", url="https://a.example/rss", enabled=True))
    runner = CliRunner()
    r = runner.invoke(cli_app, ["sources", "pause", "bao-a", "--reason", "bảo trì"])
    assert r.exit_code == 0, r.output
    src = _source(session_factory, "bao-a")
    assert src.paused_at is not None and src.paused_until is None and src.pause_reason == "bảo trì"
    import mediawatch.cli

    monkeypatch.setattr(mediawatch.cli.out, "width", 250)  # the configured sources are listed too: a wide table
    r = runner.invoke(cli_app, ["sources", "list"])
    assert r.exit_code == 0 and "bao-a" in r.output and "tạm dừng" in r.output and "bảo trì" in r.output
    assert "sai-gon-giai-phong-home" in r.output  # from config/sources.yaml, before its first crawl
    r = runner.invoke(cli_app, ["sources", "resume", "bao-a"])
    assert r.exit_code == 0 and _source(session_factory, "bao-a").paused_at is None
    assert runner.invoke(cli_app, ["sources", "resume", "khong-co"]).exit_code == 1
    with session_factory() as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.entity_type == "source").order_by(AuditEvent.id)).all()
        assert [(e.action, e.actor) for e in events] == [("source.paused", "chuyen.vien"), ("source.resumed", "chuyen.vien")]
        assert events[0].before["paused_at"] is None and events[0].after["pause_reason"] == "bảo trì"
        assert events[1].before["pause_reason"] == "bảo trì" and events[1].after["paused_at"] is None


@pytest.fixture
def app(settings, session_factory):  # type: ignore[no-untyped-def]
    add_users(session_factory, settings)
    return create_app(settings, session_factory)


def test_web_pause_resume_for_analyst_forbidden_for_liaison(app, session_factory) -> None:  # type: ignore[no-untyped-def]
    sid = _paused_source(session_factory)
    with session_scope(session_factory) as s:
        s.add(Source(key="bao-b", name="Báo B", kind="rss", url="https://b.example/rss", enabled=True))
    client = TestClient(app)
    csrf = login(client, "analyst")
    page = client.get("/sources").text
    assert "tạm dừng" in page and "HTTP 500 &lt;b&gt;x&lt;/b&gt;" in page and 'action="/sources/bao-tam-dung/resume"' in page
    assert 'action="/sources/bao-b/pause"' in page
    r = client.post("/sources/bao-tam-dung/resume", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    assert _source(session_factory, "bao-tam-dung").paused_at is None
    assert client.post("/sources/bao-b/pause", data={}, follow_redirects=False).status_code == 403  # no CSRF
    r = client.post("/sources/bao-b/pause", data={"csrf_token": csrf, "reason": "trang đổi giao diện"},
                    follow_redirects=False)
    assert r.status_code == 303
    b = _source(session_factory, "bao-b")
    assert b.paused_at is not None and b.paused_until is None and b.pause_reason == "trang đổi giao diện"
    assert ">tạm dừng<" in client.get(r.headers["location"]).text
    assert client.post("/sources/khong-co/pause", data={"csrf_token": csrf}, follow_redirects=False).status_code == 404
    with session_factory() as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.entity_type == "source").order_by(AuditEvent.id)).all()
        assert [(e.action, e.actor, e.entity_id) for e in events][0] == ("source.resumed", "chuyen.vien", sid)
        assert events[0].before["paused_until"] and events[0].after["paused_until"] is None
        assert events[1].action == "source.paused" and events[1].before["paused_at"] is None
    liaison = TestClient(app)
    lcsrf = login(liaison, "liaison-so-tttt")
    assert liaison.post("/sources/bao-b/resume", data={"csrf_token": lcsrf}, follow_redirects=False).status_code == 403
    assert liaison.get("/sources", follow_redirects=False).status_code == 403
    assert _source(session_factory, "bao-b").paused_at is not None
