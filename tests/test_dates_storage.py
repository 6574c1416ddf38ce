"""Dates are timezone-aware and stored identically on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from pipeline.dates import date_from_url, fix_outlet_offset, parse_date
from storage.db import session_scope
from storage.models import CrawlRun

ICT = dt.timezone(dt.timedelta(hours=7))


@pytest.mark.parametrize(("raw", "expected"), [
    ("Thu, 14 Feb 2019 14:15:30 +0700", dt.datetime(2019, 2, 14, 14, 15, 30, tzinfo=ICT)),
    ("Fri, 27 Nov 2026 08:15:00", dt.datetime(2026, 11, 27, 8, 15, tzinfo=ICT)),
    ("Fri, 27 Nov 2026 08:15:00 GMT+7", dt.datetime(2026, 11, 27, 8, 15, tzinfo=ICT)),
    ("2026-11-27T09:30:00", dt.datetime(2026, 11, 27, 9, 30, tzinfo=ICT)),
    ("Thứ hai, 18/2/2019, 17:34 (GMT+7)", dt.datetime(2019, 2, 18, 17, 34, tzinfo=ICT)),
    ("Sat, 20 May 2017 15:01:44 GMT", dt.datetime(2017, 5, 20, 22, 1, 44, tzinfo=ICT)),
    ("2025-10-22T19:25:52+07:00", dt.datetime(2025, 10, 22, 19, 25, 52, tzinfo=ICT)),
])
def test_parse_date(raw: str, expected: dt.datetime) -> None:
    got = parse_date(raw)
    assert got is not None and got.tzinfo is not None and got == expected


def test_unreadable_date_is_none() -> None:
    assert parse_date("không rõ ngày") is None and parse_date("") is None


def test_wrong_outlet_offset_is_read_as_local() -> None:
    fixed, corrected = fix_outlet_offset(parse_date("2019-02-18T17:34:20+08:00"))
    assert corrected and fixed == dt.datetime(2019, 2, 18, 17, 34, 20, tzinfo=ICT)
    same, corrected = fix_outlet_offset(parse_date("2019-02-18T10:34:20Z"))
    assert not corrected and same.utcoffset() == dt.timedelta(0)


def test_date_from_dantri_id() -> None:
    got = date_from_url("https://dantri.com.vn/xa-hoi/khoi-cong-20221224192522724.htm")
    assert got == dt.datetime(2022, 12, 24, 19, 25, 22, tzinfo=ICT)


def test_timestamps_roundtrip_as_aware_utc(session_factory) -> None:  # type: ignore[no-untyped-def]
    when = dt.datetime(2026, 11, 28, 7, 0, tzinfo=ICT)
    with session_scope(session_factory) as s:
        s.add(CrawlRun(kind="t", started_at=when))
    with session_scope(session_factory) as s:
        got = s.scalar(select(CrawlRun.started_at))
    assert got == when and got.utcoffset() == dt.timedelta(0)


def test_naive_timestamps_are_refused(session_factory) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy.exc import StatementError

    with pytest.raises(StatementError, match="naive"), session_scope(session_factory) as s:
        s.add(CrawlRun(kind="t", started_at=dt.datetime(2026, 1, 1)))
        s.flush()
