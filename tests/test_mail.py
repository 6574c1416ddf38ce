"""Mail through a real SMTP server on loopback (aiosmtpd): parts, encoding, headers, send-once, outbox."""

from __future__ import annotations

import threading
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from sqlalchemy import func, select

from alerts.mail import MailError, address, compose, deliver, header_text, send_once
from storage.models import AuditEvent, MailSend

SUBJECT = "[mediawatch] Bản tin theo dõi báo chí ngày 29/11/2026 — Công an tỉnh"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_multipart_message_arrives_intact(mail_settings, smtp_server) -> None:
    _, _, sink = smtp_server
    long_line = "Cảng Cái Mép " * 400  # one 5,000-character line of text
    msg = compose(mail_settings, SUBJECT, ["lienlac@congan.example.vn"], f"Văn bản\n{long_line}\n",
                  f"<p>{long_line}</p><img src=\"cid:volume@mediawatch\">", images={"volume@mediawatch": PNG})
    assert deliver(mail_settings, msg) == ("sent", None)
    assert len(sink.messages) == 1
    mail_from, rcpts, raw = sink.messages[0]
    assert mail_from == "mediawatch@sotttt.example.vn" and rcpts == ["lienlac@congan.example.vn"]
    assert all(len(line) <= 998 for line in raw.split(b"\r\n")), "RFC 5322 line limit"
    assert b"=?utf-8?" in raw.split(b"\r\n\r\n")[0].lower(), "subject is RFC 2047 encoded"
    parsed = BytesParser(policy=policy.default).parsebytes(raw)
    assert parsed["Subject"] == SUBJECT
    assert parsed.get_content_type() == "multipart/alternative"
    text = parsed.get_body(("plain",)).get_content()
    html_part = parsed.get_body(("html",))
    assert long_line.strip() in text and "Văn bản" in text
    assert "cid:volume@mediawatch" in html_part.get_content()
    images = [p for p in parsed.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 1 and images[0]["Content-ID"] == "<volume@mediawatch>"
    assert images[0].get_content() == PNG


def test_scraped_text_cannot_inject_headers(mail_settings, smtp_server) -> None:
    _, _, sink = smtp_server
    evil = "Tin nóng\r\nBcc: attacker@evil.example\r\nX-Injected: 1"
    msg = compose(mail_settings, evil, ["a@example.vn"], "x")
    deliver(mail_settings, msg)
    parsed = sink.parsed()[0]
    assert parsed["Bcc"] is None and parsed["X-Injected"] is None
    assert parsed["Subject"] == "Tin nóng Bcc: attacker@evil.example X-Injected: 1"
    assert sink.messages[0][1] == ["a@example.vn"]
    for bad in ("a@example.vn\r\nBcc: x@evil.example", "a@example.vn, b@evil.example", "not-an-address", "@x", "a@"):
        with pytest.raises(MailError):
            address(bad)
    assert header_text("x" * 500).endswith("…") and len(header_text("x" * 500)) == 200


def test_without_smtp_mail_goes_to_outbox(settings) -> None:
    msg = compose(settings, SUBJECT, ["a@example.vn"], "nội dung", "<p>nội dung</p>")
    state, path = deliver(settings, msg, stem="digest-2026-11-29-a@example.vn")
    assert state == "outbox" and path is not None
    eml = Path(path)
    assert eml.parent == settings.outbox_dir and eml.suffix == ".eml"
    parsed = BytesParser(policy=policy.default).parsebytes(eml.read_bytes())
    assert parsed["Subject"] == SUBJECT and parsed.get_body(("plain",)).get_content().strip() == "nội dung"


def test_send_once_never_sends_twice(mail_settings, smtp_server, session_factory) -> None:
    _, _, sink = smtp_server
    with session_factory() as session:
        first = send_once(session, mail_settings, "digest", "2026-11-29", "a@example.vn",
                          lambda: compose(mail_settings, SUBJECT, ["a@example.vn"], "x"))
        second = send_once(session, mail_settings, "digest", "2026-11-29", "a@example.vn",
                           lambda: compose(mail_settings, SUBJECT, ["a@example.vn"], "x"))
        assert first is not None and first.state == "sent" and second is None
        assert session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "mail.sent")) == 1
    assert len(sink.messages) == 1


def test_concurrent_senders_send_once(mail_settings, smtp_server, session_factory) -> None:
    _, _, sink = smtp_server
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with session_factory() as session:
                barrier.wait()
                send_once(session, mail_settings, "digest", "2026-11-30", "b@example.vn",
                          lambda: compose(mail_settings, SUBJECT, ["b@example.vn"], "x"))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert len(sink.messages) == 1


def test_failed_send_is_recorded_and_retried(settings, session_factory, smtp_server) -> None:
    host, port, sink = smtp_server
    down = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": 9, "smtp_starttls": False,
                                       "smtp_timeout": 2.0})
    with session_factory() as session:
        row = send_once(session, down, "digest", "k", "c@example.vn", lambda: compose(down, "s", ["c@example.vn"], "x"))
        assert row is not None and row.state == "failed" and row.error
        up = down.model_copy(update={"smtp_host": host, "smtp_port": port})
        again = send_once(session, up, "digest", "k", "c@example.vn", lambda: compose(up, "s", ["c@example.vn"], "x"))
        assert again is not None and again.state == "sent"
        assert session.scalar(select(func.count()).select_from(MailSend)) == 1
    assert len(sink.messages) == 1


def test_a_bad_address_fails_alone_and_is_retried(mail_settings, smtp_server, session_factory) -> None:
    _, _, sink = smtp_server
    with session_factory() as session:
        bad = send_once(session, mail_settings, "digest", "d", "bad@", lambda: compose(mail_settings, "s", ["bad@"], "x"))
        good = send_once(session, mail_settings, "digest", "d", "Ok@Example.vn",
                         lambda: compose(mail_settings, "s", ["ok@example.vn"], "x"))
        assert bad is not None and bad.state == "failed" and "bad@" in bad.error
        assert good is not None and good.state == "sent"
        # recipients are compared without case: the same person is not mailed twice
        assert send_once(session, mail_settings, "digest", "d", "ok@example.vn",
                         lambda: compose(mail_settings, "s", ["ok@example.vn"], "x")) is None
    assert len(sink.messages) == 1


def test_digest_recipients_setting_accepts_a_list_or_commas(monkeypatch) -> None:
    from pydantic import ValidationError

    from mediawatch.settings import Settings

    monkeypatch.setenv("MEDIAWATCH_DIGEST_TO", "a@x.vn, b@y.vn")
    assert Settings().digest_to == ["a@x.vn", "b@y.vn"]
    monkeypatch.setenv("MEDIAWATCH_DIGEST_TO", '["a@x.vn"]')
    assert Settings().digest_to == ["a@x.vn"]
    monkeypatch.setenv("MEDIAWATCH_DIGEST_TO", "a@x.vn\r\nBcc: e@evil.example")
    with pytest.raises(ValidationError):
        Settings()
