"""Shared column helpers: UTC timestamps stored timezone-aware on both databases, and the
integer range an id or count must stay in."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import DateTime, types


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


DB_INT = 2**31 - 1  # beyond this a driver overflows (SQLite) or refuses (PostgreSQL)


def db_int(value, default=None):
    """A form or query value as an integer the database takes; anything else (text, "²", a
    number out of range) is ``default``."""
    try:
        n = int(value)
    except (TypeError, ValueError):
        return default
    return n if -DB_INT <= n <= DB_INT else default


class UTCDateTime(types.TypeDecorator):
    """Store aware datetimes as UTC; SQLite returns naive values, so re-attach UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)
