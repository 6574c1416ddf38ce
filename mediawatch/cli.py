"""The ``mediawatch`` command. Each subcommand parses options and calls one library function."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

app = typer.Typer(help="mediawatch: theo dõi báo chí và phân loại thông tin cần xử lý.", no_args_is_help=True)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")
console = Console(stderr=True)
out = Console()

LogLevel = Annotated[str, typer.Option("--log-level", help="DEBUG, INFO, WARNING, ERROR")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the run summary as one JSON object on the last line")]


def _settings(**overrides: Any) -> Any:
    from mediawatch.settings import get_settings

    return get_settings(**overrides)


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
        labels = {"crawl": "Thu thập nguồn", "process": "Xử lý bài viết"}
        if stage not in self.tasks:
            self.tasks[stage] = self.progress.add_task(labels.get(stage, stage), total=total)
        self.progress.update(self.tasks[stage], completed=done, total=total)


def _report(summary: Any, as_json: bool) -> None:
    data = summary.as_dict()
    table = Table(title=f"Lượt chạy số {data['run_id']}", show_header=False)
    table.add_row("Bài mới lưu", str(data["documents"]))
    table.add_row("Tổng số bài", str(data["documents_total"]))
    table.add_row("Trạng thái", ", ".join(f"{k}: {v}" for k, v in data["statuses"].items()) or "—")
    table.add_row("Cụm tin", str(data["clusters"]))
    table.add_row("Mục cần xử lý", f"{data['triage_items']} ({data['triage_items_new']} mới)")
    table.add_row("Nguồn lỗi", ", ".join(s["source"] for s in data["sources_failed"]) or "không có")
    table.add_row("Bản tin", data["digest_path"] or "—")
    console.print(table)
    if as_json:
        print(json.dumps(data, ensure_ascii=False))  # noqa: T201 - the CLI's machine-readable output


@app.command()
def run(as_json: JsonOpt = False, log_level: LogLevel = "WARNING") -> None:
    """Run one full monitoring cycle over the configured sources."""
    from mediawatch.cycle import run_cycle

    _logging(log_level)
    with _Bar() as bar:
        summary = run_cycle(_settings(), progress=bar)
    _report(summary, as_json)


@app.command()
def demo(
    corpus: Annotated[Path | None, typer.Option(help="Replay corpus folder with replay_map.tsv (default: demo/corpus)")] = None,
    as_json: JsonOpt = False,
    log_level: LogLevel = "WARNING",
) -> None:
    """Replay captured feeds and pages from 127.0.0.1 and run one full cycle against them.

    Uses var/demo/ (its own SQLite database) unless MEDIAWATCH_DATABASE_URL is set.
    """
    from mediawatch.cycle import run_demo

    _logging(log_level)
    settings = _settings()
    if "MEDIAWATCH_VAR_DIR" not in os.environ:
        settings = settings.model_copy(update={"var_dir": settings.var_dir / "demo"})
    with _Bar() as bar:
        summary = run_demo(settings, corpus.resolve() if corpus else None, progress=bar)
    _report(summary, as_json)


@app.command()
def crawl(log_level: LogLevel = "WARNING") -> None:
    """Crawl the configured sources and store what they return (no processing)."""
    from mediawatch.cycle import crawl_only

    _logging(log_level)
    _report(crawl_only(_settings()), False)


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
    """Write the daily digest for the latest run (and mail it when SMTP is configured)."""
    from mediawatch.cycle import digest_only

    _logging(log_level)
    _report(digest_only(_settings()), False)


@app.command()
def queue(
    status: Annotated[str, typer.Option(help="Triage status to list")] = "new",
    limit: Annotated[int, typer.Option(help="At most this many items")] = 50,
) -> None:
    """List triage items in the terminal, highest priority first."""
    from mediawatch.queue import list_queue

    rows = list_queue(_settings(), status=status, limit=limit)
    table = Table(title=f"Hàng đợi xử lý — {status}")
    for col in ("#", "Ưu tiên", "Loại", "Tiêu đề", "Địa bàn", "Đề xuất chuyển", "Hạn xử lý"):
        table.add_column(col)
    for r in rows:
        table.add_row(str(r["id"]), str(r["priority"]), ", ".join(r["categories"]), r["title"][:70],
                      ", ".join(r["places"][:2]), r["suggested_unit"], r["due"])
    out.print(table)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision")] = "head") -> None:
    """Apply database migrations (Alembic) up to REVISION."""
    from storage.migrate import upgrade

    settings = _settings()
    upgrade(settings.effective_database_url, revision)
    console.print(f"Cơ sở dữ liệu đã cập nhật: {settings.effective_database_url.split('@')[-1]}")


if __name__ == "__main__":
    app()
