"""The ``mediawatch`` command. Each subcommand parses options and calls one library function."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

app = typer.Typer(help="mediawatch: theo dõi báo chí và phân loại thông tin cần xử lý.", no_args_is_help=True)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")
watch_app = typer.Typer(help="Keyword watchlists (alerts by mail).", no_args_is_help=True)
app.add_typer(watch_app, name="watchlists")
report_app = typer.Typer(help="Reports: activity report, weekly trend summary.", no_args_is_help=True)
app.add_typer(report_app, name="report")
users_app = typer.Typer(help="Accounts of the web app.", no_args_is_help=True)
app.add_typer(users_app, name="users")
debunks_app = typer.Typer(help="The debunk memory (known false claims) that misinformation matching uses.",
                          no_args_is_help=True)
app.add_typer(debunks_app, name="debunks")
console = Console(stderr=True)
out = Console()

LogLevel = Annotated[str, typer.Option("--log-level", help="DEBUG, INFO, WARNING, ERROR")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the run summary as one JSON object on the last line")]


def _settings(**overrides: Any) -> Any:
    from pydantic import ValidationError

    from mediawatch.settings import get_settings

    try:
        return get_settings(**overrides)
    except ValidationError as exc:
        for err in exc.errors():
            field = ".".join(str(x) for x in err["loc"])
            console.print(f"[red]Cấu hình không hợp lệ: MEDIAWATCH_{field.upper()}: {err['msg']}[/red]")
        raise typer.Exit(2) from exc


def _logging(level: str) -> None:
    logging.basicConfig(level=getattr(logging, level.upper(), logging.WARNING),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


class _Bar:
    """Rich progress bar fed by the library's (stage, done, total) callback."""

    def __init__(self) -> None:
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), console=console, transient=False)
        self.tasks: dict[str, Any] = {}

    def __enter__(self) -> _Bar:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage not in self.tasks:
            name, _, count = stage.partition(":")
            label = f"Thu thập {count} nguồn" if name == "crawl" else "Xử lý bài viết" if name == "process" else name
            self.tasks[stage] = self.progress.add_task(label, total=total)
        self.progress.update(self.tasks[stage], completed=done, total=total)


def _report(summary: Any, as_json: bool) -> None:
    data = summary.as_dict()
    table = Table(title=f"Lượt chạy số {data['run_id']}", show_header=False)
    table.add_row("Mục đã thu thập", str(sum(data["statuses"].values())))
    table.add_row("  theo trạng thái", ", ".join(f"{k}: {v}" for k, v in data["statuses"].items()) or "—")
    table.add_row("Bài mới lưu", f"{data['documents']} (tổng {data['documents_total']})")
    table.add_row("Cụm tin", str(data["clusters"]))
    table.add_row("Hàng đợi xử lý", f"{data['triage_items']} mục ({data['triage_items_created']} mục mới trong lượt này)")
    table.add_row("Nguồn lỗi", ", ".join(s["source"] for s in data["sources_failed"]) or "không có")
    console.print(table)
    if data["digest_path"]:
        console.print(f"Bản tin (HTML): {data['digest_path']}", soft_wrap=True)
        console.print(f"Bản tin (văn bản): {Path(data['digest_path']).with_suffix('.txt')}", soft_wrap=True)
    if as_json:
        print(json.dumps(data, ensure_ascii=False))  # noqa: T201 - the CLI's machine-readable output


@app.command()
def run(as_json: JsonOpt = False, log_level: LogLevel = "WARNING") -> None:
    """Run one full monitoring cycle over the configured sources.

    Exit code 3 when every source failed (the run is still recorded and the digest written).
    """
    from mediawatch.cycle import run_cycle

    _logging(log_level)
    with _Bar() as bar:
        summary = run_cycle(_settings(), progress=bar)
    _report(summary, as_json)
    if summary.sources and len(summary.sources_failed) >= summary.sources:
        console.print("[red]Tất cả các nguồn đều lỗi.[/red]")
        raise typer.Exit(3)


@app.command()
def demo(
    corpus: Annotated[Path | None, typer.Option(help="Replay corpus folder with replay_map.tsv (default: demo/corpus)")] = None,
    as_json: JsonOpt = False,
    log_level: LogLevel = "WARNING",
) -> None:
    """Replay captured feeds and pages from 127.0.0.1 and run one full cycle against them.

    Keeps its data apart: var/demo/ for the bundled corpus, var/demo-<folder>/ for another
    corpus (e.g. var/demo-shared/ for ../shared/corpus), unless MEDIAWATCH_VAR_DIR or
    MEDIAWATCH_DATABASE_URL is set.
    """
    from mediawatch.cycle import run_demo

    _logging(log_level)
    settings = _settings()
    if "MEDIAWATCH_VAR_DIR" not in os.environ:
        name = "demo" if corpus is None else f"demo-{corpus.resolve().parent.name}"
        settings = settings.model_copy(update={"var_dir": settings.var_dir / name})
    with _Bar() as bar:
        summary = run_demo(settings, corpus.resolve() if corpus else None, progress=bar)
    _report(summary, as_json)


@app.command()
def crawl(
    distributed: Annotated[bool, typer.Option("--distributed", help="Queue the sources in Redis for the crawl workers instead of crawling here")] = False,
    due: Annotated[bool, typer.Option("--due", help="With --distributed: only the sources whose crawl interval is up (leased; run it every minute)")] = False,
    log_level: LogLevel = "WARNING",
) -> None:
    """Crawl the configured sources and store what they return (no processing).

    With --distributed the sources are queued for `mediawatch crawl-worker` processes
    (docs/deployment.md) and the command returns at once.
    """
    _logging(log_level)
    if due and not distributed:
        raise typer.BadParameter("--due only works with --distributed")
    if not distributed:
        from mediawatch.cycle import crawl_only

        _report(crawl_only(_settings()), False)
        return
    import datetime as dt

    from crawlers.distributed import enqueue_due, enqueue_sources
    from mediawatch.cycle import configured_sources, open_database
    from storage.db import session_scope

    settings = _settings()
    specs = [s for s in configured_sources(settings) if s.enabled]
    from redis.exceptions import ConnectionError as RedisConnectionError

    try:
        with open_database(settings) as factory, session_scope(factory) as session:
            result = (enqueue_due(session, settings, dt.datetime.now(dt.UTC), specs) if due
                      else enqueue_sources(session, settings, specs))
    except RedisConnectionError as exc:
        console.print(f"[red]Không kết nối được Redis ({settings.redis_url}): {exc}[/red]")
        raise typer.Exit(1) from exc
    if result["sources"]:
        console.print(f"Đã xếp {result['sources']} nguồn vào hàng đợi (lượt số {result['run_id']}).")
    else:
        console.print("Không có nguồn nào đến hạn.")


@app.command("crawl-worker")
def crawl_worker(
    idle_timeout: Annotated[float | None, typer.Option("--idle-timeout", help="Stop after this many idle seconds (default: MEDIAWATCH_WORKER_IDLE_TIMEOUT; 0 = never)")] = None,
    process: Annotated[bool | None, typer.Option("--process/--no-process", help="Process stored documents here (default: MEDIAWATCH_WORKER_PROCESS)")] = None,
    log_level: LogLevel = "INFO",
) -> None:
    """Run a long-lived crawl worker: takes requests from the shared Redis queue and stores results in the database.

    Start one or more per machine (docs/deployment.md); `mediawatch crawl --distributed` queues the sources.
    """
    from crawlers.distributed import run_worker

    _logging(log_level)
    settings = _settings()
    from redis.exceptions import ConnectionError as RedisConnectionError

    try:
        stats = run_worker(settings, idle_timeout, process)
    except RedisConnectionError as exc:
        console.print(f"[red]Không kết nối được Redis ({settings.redis_url}): {exc}[/red]")
        raise typer.Exit(1) from exc
    console.print(f"Bộ thu thập dừng: {stats.get('downloader/request_count', 0)} yêu cầu, "
                  f"{stats.get('item_scraped_count', 0)} mục ({stats.get('finish_reason', '')}).")
    print(json.dumps({"pid": os.getpid(), "requests": stats.get("downloader/request_count", 0),  # noqa: T201
                      "items": stats.get("item_scraped_count", 0), "finish_reason": stats.get("finish_reason")}))


@app.command()
def process(log_level: LogLevel = "WARNING") -> None:
    """Process every fetched document that is still pending."""
    from mediawatch.cycle import process_only

    _logging(log_level)
    with _Bar() as bar:
        summary = process_only(_settings(), progress=bar)
    _report(summary, False)


@app.command()
def digest(log_level: LogLevel = "WARNING") -> None:
    """Write and mail today's digests (office and units) covering the last 24 hours.

    Without MEDIAWATCH_SMTP_HOST the mails are written to var/outbox/ as .eml files. A
    recipient who already received today's digest is not mailed again.
    """
    from mediawatch.cycle import digest_only

    _logging(log_level)
    result = digest_only(_settings())
    for path in result["paths"]:
        console.print(f"Bản tin: {path}")
    console.print(f"Đã gửi {result['sent']} thư, bỏ qua {result['skipped']} (đã gửi trước đó), lỗi {result['failed']}.")
    if result["failed"]:
        raise typer.Exit(1)


@app.command()
def queue(
    status: Annotated[str, typer.Option(help="Triage status to list (new, in_review, routed, ...)")] = "new",
    limit: Annotated[int, typer.Option(help="At most this many items")] = 50,
    log_level: LogLevel = "WARNING",
) -> None:
    """List triage items in the terminal, highest priority first."""
    from alerts.digest import CATEGORY_LABELS, TRIAGE_LABELS
    from mediawatch.queue import list_queue

    _logging(log_level)
    rows = list_queue(_settings(), status=status, limit=limit)
    table = Table(title=f"Hàng đợi xử lý — {TRIAGE_LABELS.get(status, status)} ({len(rows)} mục)")
    for col in ("#", "Ưu tiên", "Loại", "Tiêu đề", "Địa bàn", "Đề xuất chuyển", "Hạn xử lý"):
        table.add_column(col, overflow="fold")
    for r in rows:
        cats = ", ".join(CATEGORY_LABELS.get(c, c).split(" (")[0] for c in r["categories"])
        table.add_row(str(r["id"]), str(r["priority"]), cats, r["title"][:90],
                      ", ".join(r["places"][:2]), r["suggested_unit"], r["due"])
    out.print(table)


@app.command()
def scheduler(
    once: Annotated[bool, typer.Option("--once", help="Run the jobs that are due now, then exit (for cron or a check)")] = False,
    job: Annotated[list[str] | None, typer.Option("--job", help="Only this job (repeatable): crawl, alerts, digest, weekly, retention")] = None,
    now: Annotated[str | None, typer.Option("--now", help="With --once: act as if it were this ISO time (e.g. 2026-12-01T07:00+07:00)")] = None,
    log_level: LogLevel = "INFO",
) -> None:
    """Run the jobs on their schedule (crawl per source, digest 07:00, weekly summary, retention).

    Several scheduler processes may share one database: each fire time runs once.
    """
    from mediawatch.cycle import open_database
    from scheduling.jobs import default_jobs
    from scheduling.runner import SchedulerCore, build_scheduler

    _logging(log_level)
    settings = _settings()
    import datetime as dt

    jobs = default_jobs(settings)
    unknown = set(job or []) - {j.name for j in jobs}
    if unknown:
        raise typer.BadParameter(f"unknown job(s): {', '.join(sorted(unknown))}")
    jobs = [j for j in jobs if not job or j.name in job]
    at = None
    if now:
        if not once:
            raise typer.BadParameter("--now only works with --once")
        at = dt.datetime.fromisoformat(now)
        if at.tzinfo is None:
            raise typer.BadParameter("--now needs a UTC offset, e.g. +07:00")
    with open_database(settings) as factory:
        from zoneinfo import ZoneInfo

        core = SchedulerCore(factory, settings, jobs)
        outcomes = core.run_pending(at)
        for outcome in outcomes:
            when = outcome.scheduled_for.astimezone(ZoneInfo(settings.timezone))
            console.print(f"{outcome.job}: {outcome.state} (lịch {when:%Y-%m-%d %H:%M %z})")
        if not outcomes:
            console.print("Không có việc nào đến hạn.")
        if once:
            return
        sched = build_scheduler(core, blocking=True)
        console.print(f"Bộ lập lịch đang chạy ({core.holder}); nhấn Ctrl+C để dừng.")
        import signal

        signal.signal(signal.SIGTERM, lambda *_: sched.shutdown(wait=False))
        try:
            sched.start()
        except (KeyboardInterrupt, SystemExit):
            pass


@contextmanager
def _user_errors() -> Iterator[None]:
    """Bad user input (a query, an address, a format) ends the command with its message and exit code 2."""
    from alerts.watchquery import QueryError

    try:
        yield
    except QueryError as exc:
        console.print(f"[red]Truy vấn không hợp lệ: {exc.message_vi}[/red]")
        raise typer.Exit(2) from exc
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc


def _parse_time(value: str | None, settings: Any, end_of_day: bool = False) -> Any:
    import datetime as dt
    from zoneinfo import ZoneInfo

    if not value:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"ngày phải có dạng YYYY-MM-DD: {value!r}") from exc
    local = dt.datetime.combine(day, dt.time(), ZoneInfo(settings.timezone))
    return local + dt.timedelta(days=1) if end_of_day else local


@app.command()
def export(
    what: Annotated[str, typer.Argument(help="queue (triage items) or documents (search results)")],
    out_path: Annotated[Path, typer.Option("--out", help="Output file")],
    fmt: Annotated[str | None, typer.Option("--format", help="csv or xlsx (default: from the file name, else csv)")] = None,
    status: Annotated[str | None, typer.Option(help="Only this status")] = None,
    category: Annotated[str | None, typer.Option(help="queue: only this main flag category")] = None,
    query: Annotated[str | None, typer.Option(help="documents: watchlist-syntax search query")] = None,
    since: Annotated[str | None, typer.Option(help="From this date (YYYY-MM-DD, local)")] = None,
    until: Annotated[str | None, typer.Option(help="documents: up to and including this date")] = None,
    actor: Annotated[str, typer.Option(help="Who exports (recorded in the audit log)")] = os.environ.get("USER", "cli"),
) -> None:
    """Export the triage queue or search results as CSV/XLSX (streamed, no row cap; audited)."""
    from mediawatch.cycle import open_database
    from reports.exports import export as run_export
    from storage.db import session_scope

    settings = _settings()
    suffix = out_path.suffix.lower().lstrip(".")
    fmt = fmt or (suffix if suffix in ("csv", "xlsx") else "csv")
    if suffix in ("csv", "xlsx") and suffix != fmt:
        console.print(f"[red]Tên tệp .{suffix} không khớp định dạng {fmt}.[/red]")
        raise typer.Exit(2)
    if what == "queue":
        filters: dict[str, Any] = {"status": status, "category": category, "since": _parse_time(since, settings)}
    else:
        filters = {"query": query, "since": _parse_time(since, settings), "until": _parse_time(until, settings, True)}
        if status:
            filters["status"] = status
    with _user_errors(), open_database(settings) as factory, session_scope(factory) as session:
        n = run_export(session, settings, what, out_path, fmt, actor, filters)
    console.print(f"Đã xuất {n} dòng vào {out_path}")


@watch_app.command("add")
def watch_add(
    name: Annotated[str, typer.Argument(help="Watchlist name")],
    query: Annotated[str, typer.Argument(help='Query: terms, "phrases", AND OR NOT, ( ), NEAR/n')],
    owner: Annotated[str, typer.Option(help="Analyst who owns it")] = os.environ.get("USER", "cli"),
    recipient: Annotated[list[str] | None, typer.Option("--recipient", help="Alert recipient (repeatable)")] = None,
    throttle: Annotated[int, typer.Option(min=1, help="At most one alert mail per this many minutes")] = 60,
) -> None:
    """Create or replace a watchlist (validated; the change is audited)."""
    from alerts.watchlists import validate_watchlist
    from mediawatch.cycle import open_database
    from storage.db import session_scope
    from storage.models import AuditEvent, Watchlist

    recipients = list(recipient or [])
    with _user_errors():
        validate_watchlist(name, query, recipients)
    settings = _settings()
    with open_database(settings) as factory, session_scope(factory) as session:
        from sqlalchemy import select

        row = session.scalar(select(Watchlist).where(Watchlist.name == name))
        before = None if row is None else {"query": row.query, "recipients": row.recipients}
        if row is None:
            row = Watchlist(name=name, query=query, owner=owner)
            session.add(row)
        row.query, row.recipients, row.throttle_minutes, row.enabled = query, recipients, throttle, True
        session.flush()
        session.add(AuditEvent(actor=owner, action="watchlist.saved", entity_type="watchlist", entity_id=row.id,
                               before=before, after={"query": query, "recipients": recipients}))
    console.print(f"Đã lưu danh sách theo dõi “{name}”.")


@watch_app.command("list")
def watch_list() -> None:
    """List the watchlists."""
    from sqlalchemy import select

    from mediawatch.cycle import open_database
    from storage.db import session_scope
    from storage.models import Watchlist

    table = Table(title="Danh sách theo dõi")
    for col in ("Tên", "Truy vấn", "Chủ", "Người nhận", "Bật"):
        table.add_column(col, overflow="fold")
    with open_database(_settings()) as factory, session_scope(factory) as session:
        for w in session.scalars(select(Watchlist).order_by(Watchlist.name)):
            table.add_row(w.name, w.query, w.owner, ", ".join(w.recipients), "có" if w.enabled else "không")
    out.print(table)


@watch_app.command("remove")
def watch_remove(name: Annotated[str, typer.Argument(help="Watchlist name")],
                 actor: Annotated[str, typer.Option(help="Who removes it (audit log)")] = os.environ.get("USER", "cli")) -> None:
    """Delete a watchlist and its matches (audited)."""
    from sqlalchemy import select

    from mediawatch.cycle import open_database
    from storage.db import session_scope
    from storage.models import AuditEvent, Watchlist

    with open_database(_settings()) as factory, session_scope(factory) as session:
        row = session.scalar(select(Watchlist).where(Watchlist.name == name))
        if row is None:
            console.print(f"[red]Không có danh sách “{name}”.[/red]")
            raise typer.Exit(1)
        session.add(AuditEvent(actor=actor, action="watchlist.deleted", entity_type="watchlist", entity_id=row.id,
                               before={"name": row.name, "query": row.query}))
        session.delete(row)
    console.print(f"Đã xóa danh sách theo dõi “{name}”.")


@watch_app.command("preview")
def watch_preview(query: Annotated[str, typer.Argument(help="Query to try")],
                  days: Annotated[int, typer.Option(min=1, max=365, help="Look back this many days")] = 7) -> None:
    """Show which documents of the last DAYS days a query matches (before saving it)."""
    import datetime as dt

    from alerts.watchlists import preview
    from mediawatch.cycle import open_database
    from storage.db import session_scope

    with open_database(_settings()) as factory, session_scope(factory) as session:
        with _user_errors():
            count, docs = preview(session, query, dt.datetime.now(dt.UTC), days=days)
        table = Table(title=f"{count} bài khớp trong {days} ngày qua")
        table.add_column("Tiêu đề", overflow="fold")
        table.add_column("URL", overflow="fold")
        for d in docs:
            table.add_row(d.title or "—", d.url_canonical)
    out.print(table)


@report_app.command("activity")
def report_activity(
    date_from: Annotated[str | None, typer.Option("--from", help="First day (YYYY-MM-DD); default: the last 11 November")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last day, inclusive (YYYY-MM-DD)")] = None,
    out_dir: Annotated[Path | None, typer.Option(help="Folder for the files (default var/reports)")] = None,
) -> None:
    """Write the activity report (XLSX, HTML, PDF) for a period."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from mediawatch.cycle import open_database
    from reports.activity import collect_activity, default_period, write_activity
    from storage.db import session_scope

    settings = _settings()
    now = dt.datetime.now(dt.UTC)
    start, end = default_period(now, ZoneInfo(settings.timezone))
    start = _parse_time(date_from, settings) or start
    end = _parse_time(date_to, settings, end_of_day=True) or (max(end, now) if date_from else end)
    if start >= end:
        console.print("[red]Ngày bắt đầu phải trước ngày kết thúc.[/red]")
        raise typer.Exit(2)
    with open_database(settings) as factory, session_scope(factory) as session:
        report = collect_activity(session, settings, start, end, now)
        paths = write_activity(report, out_dir or settings.reports_dir)
    for fmt, path in paths.items():
        console.print(f"{fmt.upper()}: {path}")


@report_app.command("weekly")
def report_weekly(
    end_date: Annotated[str | None, typer.Option("--end", help="Summarise the 7 days before this date (YYYY-MM-DD); default: now")] = None,
    send: Annotated[bool, typer.Option("--send", help="Also mail it to the digest recipients (once per week)")] = False,
) -> None:
    """Write the weekly trend summary page (charts inline) under var/reports/."""
    import datetime as dt

    from alerts.digest import topic_labels
    from mediawatch.cycle import open_database
    from reports.trends import collect_weekly, send_weekly_summary, write_weekly
    from storage.db import session_scope

    settings = _settings()
    end = _parse_time(end_date, settings) or dt.datetime.now(dt.UTC)
    with open_database(settings) as factory, session_scope(factory) as session:
        if send:
            result = send_weekly_summary(session, settings, end)
            console.print(f"Trang: {result['path']} · đã gửi {result['sent']} thư, bỏ qua {result['skipped']}")
            return
        path = write_weekly(collect_weekly(session, settings, end, topic_labels(settings)), settings.reports_dir)
    console.print(f"Trang: {path}")


@app.command()
def train(
    name: Annotated[str, typer.Argument(help="Classifier to train (see classifiers/registry.py)")],
    with_labels: Annotated[bool, typer.Option("--with-labels", help="Add analysts' triage decisions from the database")] = False,
    log_level: LogLevel = "INFO",
) -> None:
    """Train a classifier's shipped model from licence-clean data; writes classifiers/models/NAME.*."""
    import importlib

    from classifiers.registry import CLASSIFIERS

    _logging(log_level)
    if name not in CLASSIFIERS:
        console.print(f"[red]Không có bộ phân loại “{name}”; có: {', '.join(CLASSIFIERS)}[/red]")
        raise typer.Exit(2)
    module = importlib.import_module(CLASSIFIERS[name])
    if not hasattr(module, "train"):
        console.print(f"[red]Bộ phân loại “{name}” không có mô hình để huấn luyện.[/red]")
        raise typer.Exit(2)
    result = module.train(_settings(), with_labels=with_labels)
    console.print_json(data=result)


def _label_section(settings: Any) -> str:
    """Report section: analysts' decisions stored as labels, per category, and the model cards' label effect."""
    import json as _json

    from sqlalchemy import func, select

    from classifiers.textmodel import MODELS_DIR
    from mediawatch.cycle import open_database
    from storage.db import session_scope
    from storage.models import DocumentLabel

    with open_database(settings) as factory, session_scope(factory) as session:
        counts = session.execute(select(DocumentLabel.category, DocumentLabel.value, func.count())
                                 .group_by(DocumentLabel.category, DocumentLabel.value)).all()
    lines = ["## Analysts' decisions as labels", "",
             "Confirmed routes, dismissals and category corrections are stored as labels "
             "(`document_labels`); `mediawatch train NAME --with-labels` retrains with them and records the "
             "held-out metrics before and after in the model's JSON (`labels`)."]
    if counts:
        lines += ["", "| category | positive | negative |", "|---|---|---|"]
        by: dict[str, dict[bool, int]] = {}
        for category, value, n in counts:
            by.setdefault(category, {})[bool(value)] = n
        lines += [f"| {c} | {v.get(True, 0)} | {v.get(False, 0)} |" for c, v in sorted(by.items())]
    else:
        lines += ["", "The configured database holds no analyst labels yet."]
    effects = []
    for meta in sorted(MODELS_DIR.glob("*.json")):
        data = _json.loads(meta.read_text(encoding="utf-8"))
        if data.get("labels"):
            effects.append(f"- `{meta.stem}`: {_json.dumps(data['labels'], ensure_ascii=False)}")
    if effects:
        lines += ["", "Effect recorded at the last training with labels:", "", *effects]
    return "\n".join(lines)


@app.command("eval")
def evaluate(
    as_json: Annotated[bool, typer.Option("--json", help='Print {"<dataset>/<task>": {"macro_f1": …, "auc": …}} as the last line')] = False,
    gate: Annotated[bool, typer.Option("--gate", help="Fail (exit 1) when a number is below its floor in eval/baseline.yaml")] = False,
    only: Annotated[list[str] | None, typer.Option("--only", help="Only this task key or classifier (repeatable)")] = None,
    report: Annotated[bool, typer.Option("--report/--no-report", help="Write eval/report.md")] = True,
    write_baseline: Annotated[float | None, typer.Option("--write-baseline", help="Rewrite eval/baseline.yaml: floors = measured − MARGIN (a reviewed change)")] = None,
    log_level: LogLevel = "WARNING",
) -> None:
    """Evaluate every classifier on its labelled data (../shared); writes eval/report.md."""
    from evaluation.framework import check_gate, collect_specs, run_specs, summary, write_report

    _logging(log_level)
    settings = _settings()
    specs = collect_specs(settings, only)
    with _Bar() as bar:
        results, missing = run_specs(settings, specs, progress=bar)
    table = Table(title="Đánh giá bộ phân loại")
    for col in ("Tập dữ liệu/nhiệm vụ", "Mô hình", "n", "Macro-F1", "ROC-AUC"):
        table.add_column(col, overflow="fold")
    for r, m in results:
        table.add_row(r.key, r.model, str(m["n"]), f"{100 * m['macro_f1']:.1f}",
                      "—" if m["auc"] is None else f"{m['auc']:.3f}")
    console.print(table)
    for key, why in missing.items():
        console.print(f"[yellow]Bỏ qua {key}: {why}[/yellow]")
    if report and not only:
        console.print(f"Báo cáo: {write_report(results, missing, extra=_label_section(settings))}")
    if write_baseline is not None:
        from evaluation.framework import write_baseline as write_floors

        console.print(f"Ngưỡng sàn mới: {write_floors(results, write_baseline)}")
    failures = check_gate(results, missing) if gate else []
    for f in failures:
        console.print(f"[red]Không đạt ngưỡng: {f}[/red]")
    if as_json:
        print(json.dumps(summary(results), ensure_ascii=False))  # noqa: T201 - machine-readable output
    if failures:
        raise typer.Exit(1)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Listen address (default MEDIAWATCH_WEB_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default MEDIAWATCH_WEB_PORT)")] = None,
    log_level: LogLevel = "INFO",
) -> None:
    """Run the analysts' web app (queue, items, watchlists, sources, JSON API at /api/)."""
    import uvicorn

    from web.app import create_app

    settings = _settings()
    uvicorn.run(create_app(settings), host=host or settings.web_host, port=port or settings.web_port,
                log_level=log_level.lower(), proxy_headers=False)


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="Sign-in name")],
    role: Annotated[str, typer.Option(help="admin, analyst or liaison")],
    unit: Annotated[str | None, typer.Option(help="Unit code for a liaison (so-tttt, cong-an)")] = None,
    name: Annotated[str | None, typer.Option(help="Display name")] = None,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True,
                                          help="Password (asked when not given; at least 10 characters)")] = "",
) -> None:
    """Create a web account (password hashed with argon2)."""
    from mediawatch.cycle import open_database
    from pipeline.triage import Routing, sync_units
    from storage.db import session_scope
    from web.users import UserError, add_user

    settings = _settings()
    with open_database(settings) as factory, session_scope(factory) as session:
        sync_units(session, Routing.load(settings.config_dir / "routing.yaml"))
        try:
            user = add_user(session, username, password, role, display_name=name, unit_code=unit,
                            actor=os.environ.get("USER", "cli"))
        except UserError as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(2) from exc
        console.print(f"Đã tạo tài khoản “{user.username}” ({user.role}).")


@users_app.command("list")
def users_list() -> None:
    """List web accounts."""
    from mediawatch.cycle import open_database
    from storage.db import session_scope
    from web.users import list_users

    table = Table(title="Tài khoản")
    for col in ("Tên đăng nhập", "Tên hiển thị", "Vai trò", "Đơn vị", "Hoạt động", "Đăng nhập gần nhất"):
        table.add_column(col)
    with open_database(_settings()) as factory, session_scope(factory) as session:
        for u in list_users(session):
            table.add_row(u.username, u.display_name, u.role, u.unit.code if u.unit else "—",
                          "có" if u.active else "không",
                          u.last_login_at.strftime("%Y-%m-%d %H:%M") if u.last_login_at else "—")
    out.print(table)


@users_app.command("disable")
def users_disable(username: Annotated[str, typer.Argument(help="Sign-in name")]) -> None:
    """Disable an account, end its sessions and revoke its API tokens."""
    from mediawatch.cycle import open_database
    from storage.db import session_scope
    from web.users import UserError, disable_user

    with open_database(_settings()) as factory, session_scope(factory) as session:
        try:
            disable_user(session, username, actor=os.environ.get("USER", "cli"))
        except UserError as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(2) from exc
    console.print(f"Đã khóa tài khoản “{username}”.")


@debunks_app.command("import")
def debunks_import(
    path: Annotated[Path, typer.Argument(help="A .csv (claim, verdict, url, date, source), a tingia.gov.vn sitemap .xml, an article .html or a .yaml")],
    pages: Annotated[Path | None, typer.Option(help="Folder of saved article pages for a sitemap import")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would change without writing")] = False,
) -> None:
    """Add debunks to config/debunks.yaml (merged by article URL or claim; rerunning changes nothing)."""
    from classifiers.debunks import import_file, merge_into

    settings = _settings()
    with _user_errors():
        found, problems = import_file(path, pages)
        result = merge_into(settings.config_dir / "debunks.yaml", found, dry_run=dry_run)
    for url, why in problems:
        console.print(f"[yellow]Bỏ qua {url}: {why}[/yellow]", soft_wrap=True)
    verb = "Sẽ" if dry_run else "Đã"
    console.print(f"{verb} thêm {len(result.added)}, cập nhật {len(result.updated)}, "
                  f"giữ nguyên {len(result.unchanged)} tin đã bị bác bỏ (tổng {len(result.debunks)}).")


@debunks_app.command("list")
def debunks_list(as_json: Annotated[bool, typer.Option("--json", help="One JSON list on stdout")] = False) -> None:
    """List the debunk memory."""
    from classifiers.debunks import load_debunks

    settings = _settings()
    with _user_errors():
        items = load_debunks(settings.config_dir / "debunks.yaml")
    if as_json:
        print(json.dumps([d.to_dict() for d in items], ensure_ascii=False))  # noqa: T201
        return
    table = Table(title=f"Tin đã bị bác bỏ ({len(items)})")
    for col in ("Mã", "Ngày", "Kết luận", "Nội dung", "Nguồn"):
        table.add_column(col, overflow="fold")
    for d in items:
        table.add_row(d.id, d.date or "—", d.verdict_label, d.claim, d.source or d.url or "—")
    out.print(table)


@app.command("refresh-blocklist")
def refresh_blocklist(
    path: Annotated[Path, typer.Argument(help="urls.txt of the ChongLuaDao phishing blocklist (ips.txt and LICENSE beside it are copied too)")],
) -> None:
    """Replace the shipped scam domain blocklist (classifiers/data/scam_fraud/chongluadao/) from a newer copy."""
    from classifiers.scamrules import refresh_blocklist as refresh

    with _user_errors():
        try:
            n = refresh(path)
        except FileNotFoundError as exc:
            raise ValueError(f"Không tìm thấy tệp: {path}") from exc
    console.print(f"Đã cập nhật danh sách chặn: {n} mục.")


@app.command("import-social")
def import_social_cmd(
    path: Annotated[Path, typer.Argument(help="Export file: CrowdTangle CSV, Graph API /posts JSON or Facebook DYI JSON")],
    source: Annotated[str, typer.Option("--source", help="Source key (a social source of sources.yaml, or a new key)")],
    fmt: Annotated[str | None, typer.Option("--format", help="json or csv (default: from the file's first character)")] = None,
    mapping: Annotated[str | None, typer.Option("--mapping", help="Export mapping name (default: detected): crowdtangle-csv, graph-json, facebook-dyi-posts, facebook-dyi-comments")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as one JSON object on the last line")] = False,
    log_level: LogLevel = "WARNING",
) -> None:
    """Import public page/group posts and comments from a platform export (authors stored only as keyed hashes)."""
    from crawlers.social_import import FORMATS, SocialImportError, import_social, row_error_vi

    _logging(log_level)
    if fmt not in (None, "json", "csv") or (mapping and mapping not in FORMATS):
        console.print(f"[red]--format phải là json hoặc csv; --mapping là một trong: {', '.join(FORMATS)}[/red]")
        raise typer.Exit(2)
    try:
        summary = import_social(_settings(), path, source, container=fmt, fmt_name=mapping)
    except SocialImportError as exc:
        console.print(f"[red]{exc.message_vi}[/red]", soft_wrap=True)
        raise typer.Exit(2) from exc
    console.print(f"Lượt nhập số {summary.run_id} ({summary.format}): {summary.rows} bài viết và bình luận, "
                  f"{summary.documents} mục mới; theo trạng thái: "
                  + ", ".join(f"{k}: {v}" for k, v in summary.statuses.items()), soft_wrap=True)
    for err in summary.errors[:50]:
        console.print(f"[yellow]Không đọc được {row_error_vi(err)}[/yellow]", soft_wrap=True)
    if len(summary.errors) > 50:
        console.print(f"[yellow]… và {len(summary.errors) - 50} dòng lỗi khác (xem run_items).[/yellow]")
    if as_json:
        print(json.dumps(summary.as_dict(), ensure_ascii=False))  # noqa: T201 - machine-readable output


sources_app = typer.Typer(help="Sources' health: list, pause and resume (automatic pauses: README, Source health).",
                          no_args_is_help=True)
app.add_typer(sources_app, name="sources")


@sources_app.command("list")
def sources_list() -> None:
    """List the sources with their health: failures in a row, backoff, pause and its reason."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from sqlalchemy import select

    from mediawatch.cycle import open_database
    from pipeline.sourcehealth import Health, status
    from storage.db import session_scope
    from storage.models import Source

    settings = _settings()
    tz, now = ZoneInfo(settings.timezone), dt.datetime.now(dt.UTC)
    labels = {"active": "hoạt động", "backoff": "chờ theo yêu cầu máy chủ", "paused": "tạm dừng",
              "probing": "sẽ thử lại"}

    def when(t: Any) -> str:
        return t.astimezone(tz).strftime("%d/%m/%Y %H:%M") if t else "—"

    table = Table(title="Nguồn tin")
    for col in ("Mã", "Tên", "Tình trạng", "Lỗi liên tiếp", "Tổng lỗi", "Chờ đến", "Tạm dừng đến", "Lý do / lỗi gần nhất"):
        table.add_column(col, overflow="fold", no_wrap=col in ("Mã", "Tình trạng"))
    with open_database(settings) as factory, session_scope(factory) as session:
        _sync_configured(session, settings)
        for src in session.scalars(select(Source).order_by(Source.enabled.desc(), Source.name)):
            state = status(Health.of(src), now)
            label = labels[state] if src.enabled else "đã tắt"
            until = when(src.paused_until) if src.paused_until else ("đến khi tiếp tục thủ công" if src.paused_at else "—")
            table.add_row(src.key, src.name, label, str(src.consecutive_failures or 0), str(src.error_count or 0),
                          when(src.backoff_until) if state == "backoff" else "—", until,
                          (src.pause_reason or src.last_error or "")[:200] or "—")
    out.print(table)


def _sync_configured(session: Any, settings: Any) -> None:
    """Sources of config/sources.yaml reach the database at their first crawl; list and pause them before that too."""
    from mediawatch.cycle import configured_sources
    from pipeline.ingest import sync_sources

    sync_sources(session, configured_sources(settings))


def _set_paused(key: str, paused: bool, reason: str | None, hours: float | None) -> None:
    import datetime as dt

    from sqlalchemy import select

    from mediawatch.cycle import open_database
    from pipeline.sourcehealth import set_paused
    from storage.db import session_scope
    from storage.models import Source

    actor = os.environ.get("USER", "cli")
    settings = _settings()
    with open_database(settings) as factory, session_scope(factory) as session:
        _sync_configured(session, settings)
        src = session.scalar(select(Source).where(Source.key == key))
        if src is None:
            console.print(f"[red]Không có nguồn “{key}” (xem mediawatch sources list).[/red]")
            raise typer.Exit(1)
        changed = set_paused(session, src, paused, actor, dt.datetime.now(dt.UTC),
                             reason=reason or f"tạm dừng bởi {actor}", hours=hours)
    if not changed:
        console.print(f"Nguồn “{key}” {'đã tạm dừng từ trước' if paused else 'không bị tạm dừng'}; không thay đổi gì.")
    elif paused:
        console.print(f"Đã tạm dừng nguồn “{key}”" + (f" trong {hours:g} giờ." if hours else " đến khi tiếp tục thủ công."))
    else:
        console.print(f"Đã cho nguồn “{key}” hoạt động trở lại.")


@sources_app.command("pause")
def sources_pause(key: Annotated[str, typer.Argument(help="Source key (mediawatch sources list)")],
                  reason: Annotated[str | None, typer.Option(help="Why (shown on the sources page)")] = None,
                  hours: Annotated[float | None, typer.Option(min=0.1, help="Resume automatically after this many hours")] = None) -> None:
    """Pause a source (audited): not crawled until resumed (or for --hours)."""
    _set_paused(key, True, reason, hours)


@sources_app.command("resume")
def sources_resume(key: Annotated[str, typer.Argument(help="Source key (mediawatch sources list)")]) -> None:
    """Resume a paused source at once (audited); also clears a Retry-After backoff."""
    _set_paused(key, False, None, None)


@app.command()
def tip(
    url: Annotated[str | None, typer.Option("--url", help="Link to fetch (through the SSRF guard and the crawler)")] = None,
    text: Annotated[str | None, typer.Option("--text", help="Text to store as a tip")] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who submitted it (default: the OS user)")] = None,
    note: Annotated[str | None, typer.Option("--note", help="A note kept with the tip")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as one JSON object on the last line")] = False,
    log_level: LogLevel = "WARNING",
) -> None:
    """Submit a tip (a link or a text): it runs through the pipeline tagged origin=tip; audited."""
    import getpass

    from mediawatch.cycle import open_database
    from mediawatch.tips import TipRefused, submit_tip
    from storage.db import session_scope

    _logging(log_level)
    settings = _settings()
    who = by or os.environ.get("USER") or getpass.getuser()
    try:
        with open_database(settings) as factory, session_scope(factory) as session:
            result = submit_tip(session, settings, url=url, text=text, by=who, note=note, via="cli")
    except TipRefused as exc:
        console.print(f"[red]{exc}[/red]", soft_wrap=True)
        raise typer.Exit(2) from exc
    console.print(result.message, soft_wrap=True)
    if as_json:
        print(json.dumps(result.as_dict(), ensure_ascii=False))  # noqa: T201 - machine-readable output


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision")] = "head") -> None:
    """Apply database migrations (Alembic) up to REVISION."""
    from storage.migrate import upgrade

    settings = _settings()
    upgrade(settings.effective_database_url, revision)
    console.print(f"Cơ sở dữ liệu đã cập nhật: {settings.effective_database_url.split('@')[-1]}")


if __name__ == "__main__":
    app()
