"""Docs that cannot drift: every setting and CLI command is in the README."""

from __future__ import annotations

from mediawatch.cli import app, db_app
from mediawatch.settings import REPO_ROOT, Settings

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented() -> None:
    missing = [n for n in Settings.model_fields if f"MEDIAWATCH_{n.upper()}" not in README]
    assert not missing, f"document these settings in README.md: {missing}"


def test_every_command_is_documented() -> None:
    names = [c.name or c.callback.__name__ for c in app.registered_commands]
    names += [f"db {c.name}" for c in db_app.registered_commands]
    missing = [n for n in names if f"mediawatch {n}" not in README]
    assert not missing, f"document these commands in README.md: {missing}"


def test_readme_quick_start_is_two_commands() -> None:
    block = README.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    assert [ln.split("#")[0].strip() for ln in block.strip().splitlines()] == ["make demo", "make test"]
