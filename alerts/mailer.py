"""Send a composed digest over SMTP (I/O only; composing is alerts.digest's job)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Any


def send_email(settings: Any, subject: str, html: str, text: str, recipients: list[str]) -> None:
    """Send multipart/alternative mail; raises smtplib.SMTPException / OSError on failure.

    The subject is RFC 2047-encoded by the email package; header values with
    line breaks are rejected by it (no header injection).
    """
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = settings.digest_from
    msg["To"] = ", ".join(recipients)
    msg.set_content(text, cte="quoted-printable")
    msg.add_alternative(html, subtype="html", cte="quoted-printable")
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_user and settings.smtp_password:
            smtp.login(settings.smtp_user, settings.smtp_password.get_secret_value())
        smtp.send_message(msg)
