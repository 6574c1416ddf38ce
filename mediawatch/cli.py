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
    if data["digest_path"]:
        table.add_row("Bản tin (HTML)", data["digest_path"])
        table.add_row("Bản tin (văn bản)", str(Path(data["digest_path"]).with_suffix(".txt")))
    console.print(table)
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


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision")] = "head") -> None:
    """Apply database migrations (Alembic) up to REVISION."""
    from storage.migrate import upgrade

    settings = _settings()
    upgrade(settings.effective_database_url, revision)
    console.print(f"Cơ sở dữ liệu đã cập nhật: {settings.effective_database_url.split('@')[-1]}")


if __name__ == "__main__":
    app()
