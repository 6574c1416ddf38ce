"""The CLI on the demo corpus, and the full demo over ../shared/corpus."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from crawlers.replay import read_replay_map
from mediawatch.cli import app
from mediawatch.cycle import run_demo
from pipeline.canonical import canonical_url
from storage.db import session_scope
from storage.models import CrawlRun, Document, TriageItem


def test_cli_demo_json(settings, monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MEDIAWATCH_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("MEDIAWATCH_DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("MEDIAWATCH_DOWNLOAD_DELAY", "0")
    result = CliRunner().invoke(app, ["demo", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout.strip().splitlines()[-1])
    assert {"documents", "statuses", "clusters", "triage_items", "digest_path", "sources_failed"} <= set(data)
    assert data["documents"] > 0 and Path(data["digest_path"]).exists()
    queue = CliRunner().invoke(app, ["queue"])
    assert queue.exit_code == 0 and "Hàng đợi" in queue.stdout


def test_shared_corpus_demo(settings, session_factory, shared_corpus) -> None:  # type: ignore[no-untyped-def]
    summary = run_demo(settings, shared_corpus)
    pages = [e for e in read_replay_map(shared_corpus) if e.kind.startswith("page")]
    with session_scope(session_factory) as s:
        docs = {d.url_canonical: d for d in s.scalars(select(Document))}
        for entry in pages:
            doc = docs[canonical_url(entry.url)]
            assert doc.title and doc.text and doc.published_at and doc.published_at.tzinfo, entry.url
        hai_thanh = [d for d in docs.values() if d.title and "Hải Thành 26" in d.title]
        assert hai_thanh and all(d.status == "ok" for d in hai_thanh)
        assert summary.statuses["off-area"] > 50
        # malformed feeds were ingested as far as they could be read, and what could not was reported
        assert summary.sources_failed == []
        run = s.get(CrawlRun, summary.run_id)
        browser_copy = [r for k, r in run.source_results.items() if "browser-copy" in k]
        assert browser_copy and browser_copy[0]["entries"] >= 20 and browser_copy[0]["problems"]
        assert s.scalar(select(func.count()).select_from(TriageItem)) >= 1
    assert Path(summary.digest_path).exists()
