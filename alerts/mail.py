"""Compose and deliver mail: SMTP when configured, otherwise an .eml file in ``var/outbox/``.

* :func:`compose` builds a multipart message: ``multipart/alternative`` with a
  plain-text part and an HTML part (``multipart/related`` when inline PNG charts
  are attached by Content-ID), plus optional attachments. Bodies are
  quoted-printable/base64 with CRLF line ends, so no line exceeds 998 bytes
  (RFC 5322 §2.1.1); the subject is RFC 2047-encoded by the email package.
* Header values are checked by :func:`header_text` / :func:`address`:
  line breaks cannot reach a header (scraped titles are folded to one line;
  an address containing CR/LF or not parseable raises :class:`MailError`).
* :func:`send_once` records every message in ``mail_sends`` keyed by
  (kind, key, recipient) and claims the row before delivering, so the same
  digest is never sent twice, even by two scheduler processes.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import smtplib
from collections.abc import Callable
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import AuditEvent, MailSend

log = logging.getLogger(__name__)
SUBJECT_MAX_CHARS = 200
_WS = re.compile(r"\s+")


class MailError(ValueError):
    """A header value or address is unusable (line breaks, not an address)."""


def header_text(value: str, limit: int = SUBJECT_MAX_CHARS) -> str:
    """One-line header text: every whitespace run (CR/LF included) becomes one space, control
    characters are dropped, the result is cut at ``limit`` characters (with an ellipsis)."""
    text = _WS.sub(" ", "".join(ch for ch in value if ch.isprintable() or ch.isspace())).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def address(value: str) -> Address:
    """Parse one mailbox (``a@b.vn`` or ``Tên <a@b.vn>``); raises MailError on CR/LF, commas or no @."""
    if any(ch in value for ch in "\r\n\0,;"):
        raise MailError(f"Địa chỉ thư có ký tự không hợp lệ: {value!r}")
    from email.utils import parseaddr

    name, addr = parseaddr(value)
    if not addr or "@" not in addr or addr.count("@") != 1 or " " in addr:
        raise MailError(f"Không phải địa chỉ thư hợp lệ: {value!r}")
    local, domain = addr.split("@")
    if not local or not domain:
        raise MailError(f"Không phải địa chỉ thư hợp lệ: {value!r}")
    return Address(display_name=header_text(name, 100), username=local, domain=domain)


def compose(settings: Any, subject: str, to: list[str], text: str, html: str | None = None,
            images: dict[str, bytes] | None = None, attachments: list[tuple[str, bytes, str]] | None = None,
            now: dt.datetime | None = None) -> EmailMessage:
    """Build one message.

    ``images`` maps a Content-ID (without brackets, referenced in the HTML as
    ``cid:<id>``) to PNG bytes; ``attachments`` are (filename, bytes, "maintype/subtype").
    Raises MailError for a bad From/To address.
    """
    msg = EmailMessage(policy=policy.SMTP)
    msg["Subject"] = header_text(subject)
    msg["From"] = address(settings.mail_from)
    msg["To"] = [address(r) for r in to]
    msg["Date"] = format_datetime(now or dt.datetime.now(dt.UTC))
    domain = str(msg["From"].addresses[0].domain) or "localhost"
    msg["Message-ID"] = make_msgid(domain=domain)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text, cte="quoted-printable")
    if html is not None:
        msg.add_alternative(html, subtype="html", cte="quoted-printable")
        if images:
            html_part = msg.get_payload()[1]
            for cid, png in images.items():
                html_part.add_related(png, maintype="image", subtype="png", cid=f"<{cid}>",
                                      filename=f"{cid.split('@')[0]}.png", disposition="inline")
    for filename, data, mimetype in attachments or []:
        maintype, _, subtype = mimetype.partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg


def deliver(settings: Any, msg: EmailMessage, stem: str = "mail") -> tuple[str, str | None]:
    """Send ``msg`` over SMTP, or write it to ``settings.outbox_dir`` when no SMTP host is set.

    Returns ("sent", None) or ("outbox", path). Raises smtplib.SMTPException / OSError on
    SMTP failure.
    """
    if not settings.smtp_host:
        outbox = Path(settings.outbox_dir)
        outbox.mkdir(parents=True, exist_ok=True)
        safe = re.sub(r"[^A-Za-z0-9._-]+", "-", stem)[:120]
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = outbox / f"{stamp}-{safe}.eml"
        path.write_bytes(msg.as_bytes(policy=policy.SMTP))
        return "outbox", str(path)
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_user and settings.smtp_password:
            smtp.login(settings.smtp_user, settings.smtp_password.get_secret_value())
        smtp.send_message(msg)
    return "sent", None


def _claim(session: Session, kind: str, key: str, recipient: str) -> MailSend | None:
    """Insert the (kind, key, recipient) row, or take over a failed one; None if someone has it."""
    session.commit()  # the claim is a transaction of its own
    row = MailSend(kind=kind, key=key, recipient=recipient, state="sending")
    session.add(row)
    try:
        session.commit()
        return row
    except IntegrityError:
        session.rollback()
    taken = session.execute(update(MailSend).where(MailSend.kind == kind, MailSend.key == key,
                                                   MailSend.recipient == recipient, MailSend.state == "failed")
                            .values(state="sending", error=None))
    session.commit()
    if taken.rowcount != 1:
        return None
    return session.scalar(select(MailSend).where(MailSend.kind == kind, MailSend.key == key,
                                                 MailSend.recipient == recipient))


def send_once(session: Session, settings: Any, kind: str, key: str, recipient: str,
              build: Callable[[], EmailMessage]) -> MailSend | None:
    """Deliver the message ``build()`` makes to ``recipient`` unless (kind, key, recipient) was
    already sent or is being sent; returns the recorded row, or None when skipped.

    ``recipient`` is compared case-insensitively. The claim is committed before delivery (at
    most once: a crash after the claim leaves the row ``sending`` and it is not retried). A bad
    address (MailError) or an SMTP failure marks the row ``failed``; the next call retries it. Every delivery is an audit event ``mail.sent`` / ``mail.outbox``.
    """
    recipient = recipient.strip().lower()
    row = _claim(session, kind, key, recipient)
    if row is None:
        log.info("mail %s/%s to %s already sent or in progress; skipped", kind, key, recipient)
        return None
    try:
        msg = build()
        row.subject, row.message_id = str(msg["Subject"]), str(msg["Message-ID"])
        state, path = deliver(settings, msg, stem=f"{kind}-{key}-{recipient}")
    except (smtplib.SMTPException, OSError, ValueError) as exc:
        row.state, row.error = "failed", f"{type(exc).__name__}: {exc}"[:2000]
        log.error("mail %s/%s to %s failed: %s", kind, key, recipient, exc)
        session.commit()
        return row
    row.state, row.path, row.sent_at = state, path, dt.datetime.now(dt.UTC)
    session.add(AuditEvent(actor="system", action=f"mail.{state}", entity_type="mail_send", entity_id=row.id,
                           after={"kind": kind, "key": key, "recipient": recipient, "path": path}))
    session.commit()
    return row
