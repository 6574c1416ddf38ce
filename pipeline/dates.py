"""Publication dates from feeds and pages, always timezone-aware.

Rules (see DESIGN-NOTES "Dates"): a date without an offset is local time of
the source (Asia/Ho_Chi_Minh by default); "GMT+7" means UTC+7 (not the POSIX
inverse); Vietnamese weekday names and day-first numeric dates are understood;
a Vietnamese outlet stating an offset other than +07:00 or UTC (VnExpress pages
say +08:00) has its wall-clock time re-read as +07:00 and the fix is reported.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from zoneinfo import ZoneInfo

from dateutil import parser as dateutil_parser

_GMT = re.compile(r"\(?\b(?:GMT|UTC)\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?\)?", re.I)
_WEEKDAY_VI = re.compile(r"^\s*(?:thứ\s+(?:hai|ba|tư|năm|sáu|bảy|2|3|4|5|6|7)|chủ\s+nhật|cn)\s*,?\s*", re.I)
_DAY_FIRST = re.compile(r"\b\d{1,2}/\d{1,2}/\d{4}\b")
_URL_STAMP = re.compile(r"-(20\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})\d{0,3}\.html?$")


def parse_date(value: str | None, default_tz: str = "Asia/Ho_Chi_Minh") -> dt.datetime | None:
    """Parse a feed/page date string into an aware datetime, or None if unreadable."""
    if not value or not value.strip():
        return None
    text = value.strip()
    tz = ZoneInfo(default_tz)
    try:
        parsed = email.utils.parsedate_to_datetime(text)
        if parsed is not None and not _GMT.search(text):
            return parsed.replace(tzinfo=tz) if parsed.tzinfo is None else parsed
    except (TypeError, ValueError, IndexError):
        pass
    text = _GMT.sub(lambda m: f" {m.group(1)}{int(m.group(2)):02d}:{m.group(3) or '00'}", text)
    text = _WEEKDAY_VI.sub("", text)
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = dateutil_parser.parse(text, dayfirst=bool(_DAY_FIRST.search(text)), fuzzy=True)
        except (ValueError, OverflowError, dateutil_parser.ParserError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed


def fix_outlet_offset(value: dt.datetime, local_tz: str = "Asia/Ho_Chi_Minh") -> tuple[dt.datetime, bool]:
    """Re-read a wrong offset as local wall-clock time; returns (date, corrected?)."""
    tz = ZoneInfo(local_tz)
    offset = value.utcoffset()
    local_offset = value.replace(tzinfo=tz).utcoffset()
    if offset is None or offset in (dt.timedelta(0), local_offset):
        return value, False
    return value.replace(tzinfo=tz), True


def date_from_url(url: str, local_tz: str = "Asia/Ho_Chi_Minh") -> dt.datetime | None:
    """Dân trí-style article ids that encode the publication time (…-20221224192522724.htm)."""
    match = _URL_STAMP.search(url or "")
    if not match:
        return None
    try:
        return dt.datetime(*map(int, match.groups()), tzinfo=ZoneInfo(local_tz))  # type: ignore[misc]
    except ValueError:
        return None
