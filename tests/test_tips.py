"""Tips (mediawatch/tips.py): pasted texts and links through the pipeline, the SSRF refusals,
the web form, the JSON API and the CLI; a tip of something already stored links to it."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

import mediawatch.cycle  # noqa: F401 - imports trafilatura at collection, like the other pipeline tests
from mediawatch.tips import TipRefused, submit_tip
from storage.db import session_scope
from storage.models import AuditEvent, Document, RunItem
from tests.test_web_queue_item import add_users, login
from web.app import create_app

SCAM = ("Cảnh báo: có người gọi điện tự xưng công an phường Bà Rịa, yêu cầu chuyển khoản 50 triệu đồng vào "
        "tài khoản lạ để “xác minh”, đọc mã OTP cho họ. Đây là lừa đảo, người dân không chuyển tiền.")
PAGE = "https://baomau.example/phap-luat/canh-bao-doi-tuong-gia-danh-cong-an-goi-dien-bao-phat-nguoi-100118.html"


def test_text_tip_and_resubmission(settings, session_factory) -> None:  # type: ignore[no-untyped-def]
    with session_scope(session_factory) as s:
        first = submit_tip(s, settings, text=SCAM, by="chuyen.vien", note="Người dân gửi qua Zalo", via="cli")
    assert not first.existing and first.document_id and first.url.startswith("tip:")
    with session_scope(session_factory) as s:
        again = submit_tip(s, settings, text="  " + SCAM.replace(" ", "  ") + "\n", by="khac", via="cli")
        assert again.existing and again.document_id == first.document_id and again.status == "dup-url"
        assert "đã có trong hệ thống" in again.message
        doc = s.get(Document, first.document_id)
        assert (doc.origin, doc.submitted_by, doc.submit_note) == ("tip", "chuyen.vien", "Người dân gửi qua Zalo")
        assert doc.text == SCAM and doc.status == "ok"
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "tip.submitted")
                           .order_by(AuditEvent.id)).all()
        assert [(e.actor, e.after["existing"], e.entity_id) for e in events] == [
            ("chuyen.vien", False, first.document_id), ("khac", True, first.document_id)]
        assert s.scalars(select(RunItem.status).where(RunItem.document_id == first.document_id)).all() == ["ok", "dup-url"]


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/admin", "http://169.254.169.254/latest/meta-data/",
                                 "http://localhost/", "http://10.1.2.3/x", "http://[::1]/", "file:///etc/passwd",
                                 "http://metadata.google.internal/computeMetadata/v1/"])
def test_internal_links_are_refused(settings, session_factory, url) -> None:  # type: ignore[no-untyped-def]
    with session_scope(session_factory) as s, pytest.raises(TipRefused) as exc:
        submit_tip(s, settings, url=url, by="chuyen.vien")
    assert "địa chỉ nội bộ" in str(exc.value) or "http://" in str(exc.value)


def test_tip_needs_exactly_one_input(settings, session_factory) -> None:  # type: ignore[no-untyped-def]
    with session_scope(session_factory) as s:
        for kwargs in ({}, {"url": "https://baomau.example/a", "text": "x"}):
            with pytest.raises(TipRefused, match="một trong hai"):
                submit_tip(s, settings, by="x", **kwargs)
        with pytest.raises(TipRefused, match="dài quá"):
            submit_tip(s, settings.model_copy(update={"tip_max_text_chars": 10}), text=SCAM, by="x")


def test_link_tip_web_api_and_item_page(settings, session_factory, demo_server) -> None:  # type: ignore[no-untyped-def]
    cfg = settings.model_copy(update={"replay_url": demo_server.base_url})
    add_users(session_factory, cfg)
    app = create_app(cfg, session_factory)
    client = TestClient(app)
    csrf = login(client, "analyst")
    assert "Gửi tin báo" in client.get("/tips").text
    r = client.post("/tips", data={"url": PAGE, "note": "Bạn đọc báo", "csrf_token": csrf})
    assert r.status_code == 200 and "Đã tiếp nhận tin báo" in r.text, r.text[-2000:]
    with session_scope(session_factory) as s:
        doc = s.scalar(select(Document).where(Document.origin == "tip"))
        assert doc.url_canonical == PAGE and doc.submitted_by == "chuyen.vien" and doc.raw_gzip is not None
        assert doc.status == "ok"
        doc_id = doc.id
    # the same link again, through the API: linked to the stored document
    r = client.post("/api/tips", json={"url": PAGE + "?utm_source=zalo"}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201 and r.json()["existing"] and r.json()["document_id"] == doc_id
    item_id = r.json()["triage_item_id"]
    assert item_id is not None  # the demo scam page is flagged
    assert "Tin báo từ: chuyen.vien" in client.get(f"/items/{item_id}").text
    # refusals: Vietnamese, 422, and the form keeps the input
    r = client.post("/tips", data={"url": "http://169.254.169.254/latest", "csrf_token": csrf})
    assert r.status_code == 422 and "địa chỉ nội bộ" in r.text and "169.254.169.254" in r.text
    r = client.post("/api/tips", json={"url": "http://127.0.0.1:6379/"}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 422 and "nội bộ" in r.json()["detail"]
    assert client.post("/tips", data={"text": SCAM}).status_code == 403  # no CSRF token
    assert "/api/tips" in client.get("/api/openapi.json").json()["paths"]
    liaison = TestClient(app)
    login(liaison, "liaison-so-tttt")
    assert liaison.get("/tips").status_code == 403


def test_cli_tip(settings, session_factory, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from mediawatch.cli import app

    monkeypatch.setenv("MEDIAWATCH_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("MEDIAWATCH_DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("USER", "nguoidung.os")
    result = CliRunner().invoke(app, ["tip", "--text", SCAM, "--note", "qua điện thoại", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout.strip().splitlines()[-1])
    with session_scope(session_factory) as s:
        assert s.get(Document, data["document_id"]).submitted_by == "nguoidung.os"
    refused = CliRunner().invoke(app, ["tip", "--url", "http://127.0.0.1/"])
    assert refused.exit_code == 2 and "nội bộ" in refused.output
