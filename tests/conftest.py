"""Shared fixtures: a fresh database per test (SQLite file, or a new PostgreSQL
database when MEDIAWATCH_TEST_DATABASE_URL is set), settings pointing at it,
and replay servers for the repo's demo corpus and for ../shared/corpus.

Tests needing ../shared use the ``shared_corpus`` fixture: they skip when it is
absent, and fail instead when MEDIAWATCH_REQUIRE_SHARED=1 (set by .ci/run).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from crawlers.replay import ReplayServer
from mediawatch.settings import REPO_ROOT, Settings
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade

DEMO_CORPUS = REPO_ROOT / "demo" / "corpus"
SHARED = Path(os.environ.get("MEDIAWATCH_SHARED_DIR", REPO_ROOT.parent / "shared"))


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    admin = os.environ.get("MEDIAWATCH_TEST_DATABASE_URL")
    if not admin:
        yield f"sqlite:///{tmp_path / 'mw.db'}"
        return
    name = f"mw_test_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(var_dir=tmp_path / "var", database_url=database_url, download_delay=0.0,
                    per_host_concurrency=8, download_timeout=5.0, retry_times=0, smtp_host=None)


@pytest.fixture
def session_factory(settings: Settings):  # type: ignore[no-untyped-def]
    upgrade(settings.effective_database_url)
    engine = make_engine(settings.effective_database_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def demo_server() -> Iterator[ReplayServer]:
    with ReplayServer.from_corpus(DEMO_CORPUS) as server:
        yield server


@pytest.fixture
def shared_data() -> Path:
    """../shared/data (labelled datasets): skips when absent, fails when MEDIAWATCH_REQUIRE_SHARED=1."""
    data = SHARED / "data"
    if not data.is_dir():
        if os.environ.get("MEDIAWATCH_REQUIRE_SHARED") == "1":
            pytest.fail(f"../shared is required (MEDIAWATCH_REQUIRE_SHARED=1) but {data} is missing")
        pytest.skip("../shared/data not present")
    return data


@pytest.fixture
def shared_corpus() -> Path:
    corpus = SHARED / "corpus"
    if not (corpus / "replay_map.tsv").exists():
        if os.environ.get("MEDIAWATCH_REQUIRE_SHARED") == "1":
            pytest.fail(f"../shared is required (MEDIAWATCH_REQUIRE_SHARED=1) but {corpus} is missing")
        pytest.skip("../shared/corpus not present")
    return corpus


class SmtpSink:
    """Messages received by the loopback SMTP server: (mail_from, rcpt_tos, raw bytes)."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802 - aiosmtpd hook name
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 Message accepted"

    def parsed(self) -> list:  # type: ignore[type-arg]
        from email import policy
        from email.parser import BytesParser

        return [BytesParser(policy=policy.default).parsebytes(raw) for _, _, raw in self.messages]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[tuple[str, int, SmtpSink]]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps every message it receives."""
    from aiosmtpd.controller import Controller

    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.hostname, controller.port, sink
    finally:
        controller.stop()


@pytest.fixture
def mail_settings(settings: Settings, smtp_server: tuple[str, int, SmtpSink]) -> Settings:
    host, port, _ = smtp_server
    return settings.model_copy(update={"smtp_host": host, "smtp_port": port, "smtp_starttls": False,
                                       "mail_from": "mediawatch@sotttt.example.vn",
                                       "digest_to": ["phongbaochi@sotttt.example.vn"]})
