"""The mail sent when a source is paused automatically (pipeline/sourcehealth.py).

One plain-text mail per pause and recipient (``settings.digest_to``), recorded by
:func:`alerts.mail.send_once` under kind ``source-paused`` and key ``<source key>/<paused_at ISO>``,
so a rerun never sends it twice. Vietnamese subject and body: the source, the last error, the
failures in a row and when the source will be tried again. A resume sends no mail (the audit log
and the sources page show it).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
KIND = "source-paused"


def _local(value: str | None, tz: ZoneInfo) -> str:
    if not value:
        return "khi có người tiếp tục thủ công"
    return dt.datetime.fromisoformat(value).astimezone(tz).strftime("%H:%M ngày %d/%m/%Y")


def pause_message(event: Any, tz: ZoneInfo) -> tuple[str, str]:
    """(subject, text) of the alert for one ``HealthEvent`` (``paused`` or ``repaused``); pure."""
    after = event.after
    until = _local(after.get("paused_until"), tz)
    again = event.event == "repaused"
    subject = (f"[mediawatch] Nguồn “{event.source_name}” bị tạm dừng "
               f"{'lại ' if again else ''}do lỗi liên tiếp")
    lines = [
        f"Nguồn “{event.source_name}” ({event.source_key}) đã bị tạm dừng tự động"
        + (" lại: lần thử lại sau thời gian tạm dừng trước vẫn lỗi." if again else "."),
        "",
        f"Số lần thu thập lỗi liên tiếp: {after.get('consecutive_failures')}",
        f"Tổng số lỗi: {after.get('error_count')}",
        f"Lỗi gần nhất: {after.get('pause_reason') or 'lỗi không rõ'}",
        f"Tạm dừng lúc: {_local(after.get('paused_at'), tz)}",
        f"Sẽ thử thu thập lại lúc: {until}",
        "",
        "Nếu lần thử lại thành công, nguồn tự động hoạt động trở lại; nếu vẫn lỗi, nguồn bị tạm dừng "
        "tiếp với thời gian gấp đôi.",
        f"Để tiếp tục ngay: mediawatch sources resume {event.source_key} (hoặc nút “Tiếp tục” trên trang Nguồn tin).",
    ]
    return subject, "\n".join(lines) + "\n"


def send_pause_alerts(session: Session, settings: Any, events: list[Any]) -> dict[str, int]:
    """Mail each automatic pause in ``events`` (``HealthEvent``; resumes are ignored) to the
    office (``settings.digest_to``), once per (pause, recipient). Commits the session (the
    mail claim is its own transaction). Returns {"sent": n, "skipped": n, "failed": n}."""
    from alerts.mail import compose, send_once

    result = {"sent": 0, "skipped": 0, "failed": 0}
    pauses = [e for e in events if e.event in ("paused", "repaused")]
    if not pauses:
        return result
    if not settings.digest_to:
        log.warning("sources paused (%s) but MEDIAWATCH_DIGEST_TO is empty: no alert mailed",
                    ", ".join(e.source_key for e in pauses))
        return result
    tz = ZoneInfo(settings.timezone)
    for event in pauses:
        subject, text = pause_message(event, tz)
        key = f"{event.source_key[:160]}/{event.after.get('paused_at')}"
        for rcpt in settings.digest_to:
            row = send_once(session, settings, KIND, key, rcpt,
                            lambda s=subject, t=text, r=rcpt: compose(settings, s, [r], t))
            result["skipped" if row is None else "failed" if row.state == "failed" else "sent"] += 1
    return result
