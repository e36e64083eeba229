"""Helpers shared by the repositories: dialect-specific upserts and chunking."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

T = TypeVar("T")

# SQLite allows 32766 bound parameters per statement; PostgreSQL 65535. Stay well below both.
MAX_PARAMS = 30_000


def dialect_name(session: Session) -> str:
    """'sqlite' or 'postgresql'."""
    return session.get_bind().dialect.name


def upsert_insert(session: Session, table: Any) -> Any:
    """An INSERT that supports ON CONFLICT on the session's dialect (SQLite ≥ 3.35 and PostgreSQL)."""
    if dialect_name(session) == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def chunked(values: Iterable[T], size: int) -> Iterator[list[T]]:
    """Split an iterable into lists of at most `size`."""
    batch: list[T] = []
    for value in values:
        batch.append(value)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def rows_per_statement(columns: int) -> int:
    """How many rows of `columns` bound values fit in one statement."""
    return max(1, min(1000, MAX_PARAMS // max(columns, 1)))


def tuple_or_empty(value: Sequence[Any] | None) -> tuple[Any, ...]:
    """JSON lists come back as lists (or None); the domain wants tuples."""
    return tuple(value) if value else ()


def as_tuples(value: Any) -> Any:
    """JSON lists back to the tuples the frozen domain types use (nested too)."""
    if isinstance(value, list):
        return tuple(as_tuples(v) for v in value)
    return value


def dataclass_from_json(cls: type[T], data: Any) -> T:
    """Build a flat frozen dataclass from stored JSON: unknown keys dropped, lists become tuples."""
    known = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    items = data.items() if isinstance(data, dict) else ()
    return cls(**{k: as_tuples(v) for k, v in items if k in known})
