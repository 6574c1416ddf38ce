"""Column types that behave identically on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

UTC = dt.UTC


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware timestamp stored as UTC.

    Binds only aware datetimes (raises ValueError on a naive one, so a missing
    timezone is caught where it is introduced) and always returns aware UTC
    datetimes, on SQLite (which drops tz info) as on PostgreSQL (timestamptz).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
            raise ValueError(f"naive datetime {value!r}: attach a timezone before storing")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> dt.datetime:
    """Current time as an aware UTC datetime."""
    return dt.datetime.now(UTC)
