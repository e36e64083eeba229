"""Column types shared by the models: timezone-aware UTC datetimes on every backend."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from storage.errors import NaiveDatetimeError


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC, refuses naive ones, and reads back aware UTC on every backend.

    SQLite has no timezone type, so the value is written as naive UTC text of fixed width (which
    also sorts correctly as text); PostgreSQL gets ``timestamptz``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert an aware datetime to UTC for the database; refuse naive ones."""
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"UTCDateTime expects datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise NaiveDatetimeError(f"naive datetime refused (store timezone-aware UTC): {value!r}")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any]:
        """Write SQLite's fixed-width UTC text directly (same format SQLAlchemy uses, but cheaper)."""
        if dialect.name == "sqlite":
            check = self.process_bind_param

            def to_text(value: Any) -> Any:
                value = check(value, dialect)
                if value is None:
                    return None
                return value.isoformat(sep=" ", timespec="microseconds")

            return to_text
        return lambda value: self.process_bind_param(value, dialect)

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], datetime | None]:
        """Parse SQLite text straight to aware UTC (hot path: the sweep reads 100,000s of values)."""
        if dialect.name == "sqlite":
            fromisoformat = datetime.fromisoformat

            def parse(value: Any) -> datetime | None:
                if value is None:
                    return None
                if isinstance(value, str):
                    # Appending the offset is several times cheaper than .replace(tzinfo=UTC).
                    return fromisoformat(value + "+00:00")
                return self.process_result_value(value, dialect)

            return parse
        return lambda value: self.process_result_value(value, dialect)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Return an aware UTC datetime whatever the driver handed back."""
        if value is None:
            return None
        if isinstance(value, str):  # raw SQL results on SQLite
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return value.astimezone(UTC)  # type: ignore[no-any-return]
