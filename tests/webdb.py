"""Shared set-up of the web tests: a filled database built once per module and copied per test."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from mediawatch.settings import Settings
from storage.db import make_engine, make_session_factory


def build_template(tmp_path_factory: pytest.TempPathFactory, fill: Callable[[Settings], None]) -> Path:
    """A SQLite database filled by ``fill`` (password hashing is slow, so once per module)."""
    d = tmp_path_factory.mktemp("demo")
    fill(Settings(var_dir=d / "var", database_url=f"sqlite:///{d / 'mw.db'}", download_delay=0.0,
                  per_host_concurrency=8, download_timeout=5.0, retry_times=0, smtp_host=None))
    return d / "mw.db"


def filled_factory(settings: Settings, template: Path, fill: Callable[[Settings], None]) -> Iterator[Any]:
    """A session factory on the test's database: a copy of ``template`` on SQLite, a freshly filled
    database on PostgreSQL (MEDIAWATCH_TEST_DATABASE_URL)."""
    url = make_url(settings.effective_database_url)
    if url.get_backend_name() == "sqlite":
        shutil.copyfile(template, url.database)
    else:
        fill(settings)
    engine = make_engine(settings.effective_database_url)
    yield make_session_factory(engine)
    engine.dispose()
