"""Platform-export imports (crawlers/social_import.py): constructed fixtures in each format,
plus a recorded-data round trip of real Vietnamese social texts from ../shared."""

from __future__ import annotations

import csv
import json
import random
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

import mediawatch.cycle  # noqa: F401 - imports trafilatura at collection, like the other pipeline tests
from crawlers.social_import import SocialImportError, import_social, parse_export, repair_mojibake
from pipeline.ingest import pseudonymize
from storage.db import session_scope
from storage.models import AuditEvent, CrawlRun, Document, RunItem, Source

FIX = Path(__file__).parent / "fixtures" / "social"
# (the page handle "trangtinthunghiem" is part of its posts' permalinks, the identity of a post: not checked)
AUTHORS = ["Trang Tin Thử Nghiệm", "Người Đăng Thử", "Bình Luận Viên Một", "Người Dùng Thử"]


def _run_items(factory, run_id):  # type: ignore[no-untyped-def]
    with session_scope(factory) as s:
        return list(s.execute(select(RunItem.url, RunItem.status, RunItem.detail, RunItem.document_id)
                              .where(RunItem.run_id == run_id)).all())


def _all_stored_text(factory) -> str:  # type: ignore[no-untyped-def]
    """Every text column of documents, run items, runs and audit events, as one string."""
    parts: list[str] = []
    with session_scope(factory) as s:
        for model in (Document, RunItem, CrawlRun, AuditEvent, Source):
            for row in s.scalars(select(model)):
                for col in model.__table__.columns:
                    value = getattr(row, col.key, None)
                    if isinstance(value, str | dict | list):
                        parts.append(json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value)
    return "\n".join(parts)


def test_mojibake_repair() -> None:
    assert repair_mojibake("Ph\u00c3\u00b2ng") == "Phòng"
    for good in ("Phòng cháy", "café", "Đường Võ Thị Sáu", "plain ascii", "Â"):
        assert repair_mojibake(good) == good


@pytest.mark.parametrize(("name", "fmt", "ok_rows", "errors"), [
    ("crowdtangle.csv", "crowdtangle-csv", 3, ["row 3: no text", "row 4: unreadable time"]),
    ("graph_posts.json", "graph-json", 4, ["row 1, comment 2: no text", "row 3: not an object",
                                           "row 4: URL is not http(s)"]),
    ("dyi_posts.json", "facebook-dyi-posts", 2, ["row 3: no text"]),
    ("dyi_comments.json", "facebook-dyi-comments", 1, []),
])
def test_parse_each_format(name, fmt, ok_rows, errors) -> None:  # type: ignore[no-untyped-def]
    parsed = parse_export((FIX / name).read_bytes(), "fb-thu")
    assert parsed.format == fmt
    assert sum(r.record is not None for r in parsed.rows) == ok_rows
    got = [r.error for r in parsed.rows if r.error]
    assert len(got) == len(errors) and all(g.startswith(e) for g, e in zip(got, errors, strict=True))
    for r in parsed.rows:
        if r.record:
            assert r.record["origin"] == "import" and r.record["body_b64"] is None
            assert r.record["entry"]["summary"] and "\u00c3" not in r.record["entry"]["summary"]


def test_import_fixtures_end_to_end(settings, session_factory) -> None:  # type: ignore[no-untyped-def]
    summaries = {name: import_social(settings, FIX / name, "fb-thu", factory=session_factory)
                 for name in ("crowdtangle.csv", "graph_posts.json", "dyi_posts.json", "dyi_comments.json")}
    for name, summary in summaries.items():
        items = _run_items(session_factory, summary.run_id)
        assert len(items) == summary.rows, name  # exactly one status per row
        assert sum(summary.statuses.values()) == summary.rows
        assert summary.statuses.get("parse-error", 0) == len(summary.errors)
        for url, status, detail, _ in items:
            if status == "parse-error":
                assert url.startswith(f"{name}#row-") and detail.startswith("row ")
    assert summaries["dyi_posts.json"].repaired_strings >= 2
    with session_scope(session_factory) as s:
        docs = {d.url_canonical: d for d in s.scalars(select(Document))}
        src = s.scalar(select(Source).where(Source.key == "fb-thu"))
        assert src.outlet_type == "social" and src.enabled is False
        assert all(d.origin == "import" for d in docs.values()) and len(docs) == 10
        post = docs["https://www.facebook.com/nhomcudanthu/posts/800001"]
        assert post.engagement == {"reactions": 312, "shares": 27, "comments": 3, "kind": "post",
                                   "type": "mobile_status_update"}
        assert post.author_hash == pseudonymize("Người Đăng Thử", settings.author_hash_key.get_secret_value())
        assert post.entry_author is None and post.author is None
        comment = docs["https://www.facebook.com/nhomcudanthu/posts/800001?comment_id=800001_1"]
        assert comment.engagement["parent_url"].endswith("/posts/800001") and comment.engagement["likes"] == 4
        assert comment.text == "Cảm ơn trang đã thông báo, mình đặt vé tuần sau rồi."
        dyi = [d for u, d in docs.items() if u.startswith("social-import:") and d.text.startswith("Phòng cháy")]
        assert len(dyi) == 1 and dyi[0].author_hash is None
        dyi_comment = [d for d in docs.values() if (d.text or "").startswith("Ở Long Hải")]
        assert dyi_comment[0].author_hash == pseudonymize("Người Dùng Thử", settings.author_hash_key.get_secret_value())
        ct = docs["https://www.facebook.com/trangtinthunghiem/posts/900001"]
        assert ct.entry_published_at.isoformat().startswith("2026-11-20T13:15")  # 08:15 EST
        assert all(d.status in ("ok", "off-area", "not-vi", "dup-text") for d in docs.values())
    stored = _all_stored_text(session_factory)
    for name in AUTHORS:
        assert name not in stored and name.lower() not in stored.lower(), name
    # rerun: nothing new, every row dup-url or the same parse-error
    again = import_social(settings, FIX / "graph_posts.json", "fb-thu", factory=session_factory)
    assert again.documents == 0
    assert again.statuses == {"dup-url": 4, "parse-error": 3}


def test_limits_and_non_social_source(settings, session_factory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    small = settings.model_copy(update={"import_max_bytes": 100})
    with pytest.raises(SocialImportError) as exc:
        import_social(small, FIX / "graph_posts.json", "fb-thu", factory=session_factory)
    assert "vượt giới hạn" in exc.value.message_vi
    few = settings.model_copy(update={"import_max_rows": 3})
    with pytest.raises(SocialImportError, match="more than the limit 3"):
        import_social(few, FIX / "graph_posts.json", "fb-thu", factory=session_factory)
    with pytest.raises(SocialImportError) as exc:
        parse_export(b'{"x": 1}', "k")
    assert "Không nhận ra định dạng" in exc.value.message_vi
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    for f in (settings.config_dir).iterdir():
        if f.is_file():
            (cfg / f.name).write_bytes(f.read_bytes())
    (cfg / "sources.yaml").write_text("sources:\n  - name: Báo Thử\n    key: bao-thu\n    kind: rss\n"
                                      "    url: https://baothu.example/rss\n", encoding="utf-8")
    with pytest.raises(SocialImportError) as exc:
        import_social(settings.model_copy(update={"config_dir": cfg}), FIX / "crowdtangle.csv", "bao-thu",
                      factory=session_factory)
    assert "không phải nguồn mạng xã hội" in exc.value.message_vi
    # a stored source that is not in sources.yaml (the tips source, a demo feed) is never taken over
    from storage.models import Source

    with session_factory() as s:
        s.add(Source(key="tips", name="Tin báo", kind="urls", url="", outlet_type="press", enabled=True))
        s.commit()
    with pytest.raises(SocialImportError) as exc:
        import_social(settings, FIX / "crowdtangle.csv", "tips", factory=session_factory)
    assert "đã được dùng cho nguồn" in exc.value.message_vi
    with session_factory() as s:
        tips = s.query(Source).filter_by(key="tips").one()
        assert (tips.kind, tips.outlet_type, tips.enabled) == ("urls", "press", True)


def test_cli_import_social(settings, session_factory, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from mediawatch.cli import app

    monkeypatch.setenv("MEDIAWATCH_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("MEDIAWATCH_DATABASE_URL", settings.effective_database_url)
    result = CliRunner().invoke(app, ["import-social", str(FIX / "crowdtangle.csv"), "--source", "fb-thu", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout.strip().splitlines()[-1])
    assert data["rows"] == 5 and data["statuses"]["parse-error"] == 2
    bad = CliRunner().invoke(app, ["import-social", str(FIX / "README.md"), "--source", "fb-thu", "--format", "json"])
    assert bad.exit_code == 2 and "JSON" in bad.output


def _real_texts(shared_corpus: Path, per_file: int = 25) -> list[tuple[str, str]]:
    """(dataset, text) samples from the redacted research-only social texts (never written to the repo)."""
    rng = random.Random(6)
    out = []
    for path in sorted((shared_corpus / "social").glob("*.jsonl")):
        lines = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
        out += [(rec["dataset"], rec["text"]) for rec in rng.sample(lines, per_file) if rec["text"].strip()]
    return out


def test_real_social_texts_roundtrip(settings, session_factory, shared_corpus, tmp_path) -> None:  # type: ignore[no-untyped-def]
    texts = _real_texts(shared_corpus)
    assert len(texts) >= 60
    # a CrowdTangle CSV of the first half, a DYI JSON (mis-encoded like Facebook's) of the second half
    half = len(texts) // 2
    csv_path = tmp_path / "export.csv"
    with csv_path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Page Name", "User Name", "Post Created", "Type", "URL", "Message", "Likes", "Total Interactions",
                    "Shares", "Comments"])
        for i, (dataset, text) in enumerate(texts[:half]):
            w.writerow([f"Trang {dataset}", f"u{i}", f"2026-11-{1 + i % 28:02d} 10:00:00 EST", "Status",
                        f"https://www.facebook.com/ghi-lai/posts/{i}", text, i, i * 2, i % 5, i % 3])
        w.writerow(["Trang lỗi", "x", "2026-11-30 10:00:00 EST", "Status", "https://www.facebook.com/ghi-lai/posts/x",
                    "", 0, 0, 0, 0])  # a bad row: no text
    dyi = [{"timestamp": 1764000000 + i, "data": [{"post": text.encode("utf-8").decode("latin-1")}]}
           for i, (_, text) in enumerate(texts[half:])]
    dyi_path = tmp_path / "your_posts_1.json"
    dyi_path.write_text(json.dumps(dyi, ensure_ascii=True), encoding="ascii")
    expected = {" ".join(t.split()) for _, t in texts}
    for path, n in ((csv_path, half + 1), (dyi_path, len(texts) - half)):
        summary = import_social(settings, path, "ghi-lai", factory=session_factory)
        items = _run_items(session_factory, summary.run_id)
        assert summary.rows == n and len(items) == n  # every row ends with exactly one status
        assert Counter(s for _, s, _, _ in items) == Counter(summary.statuses)
    assert summary.repaired_strings == sum(not t.isascii() for _, t in texts[half:])
    with session_scope(session_factory) as s:
        stored = {d.text for d in s.scalars(select(Document)) if d.text}
    # Vietnamese text survives intact (whitespace collapsed, as for every entry text); same-text rows
    # (the datasets repeat short comments) may be dup-text documents but keep their text
    assert expected - stored == set()


def test_row_errors_read_in_vietnamese() -> None:
    from crawlers.social_import import row_error_vi

    assert row_error_vi("row 3: no text") == "dòng 3: không có nội dung"
    assert row_error_vi("row 1, comment 2: unreadable time 'x'") == "dòng 1, bình luận 2: không đọc được thời gian 'x'"
    assert row_error_vi("row 3: not an object but list") == "dòng 3: không phải đối tượng JSON (list)"
    assert row_error_vi("row 5: URL is not http(s): 'ftp://x'") == "dòng 5: URL không phải http(s): 'ftp://x'"
