"""Helpers shared by the repositories: dialect-specific upserts, bulk inserts and chunking."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import Column, Row, Select, Table, bindparam, cast, func, literal_column, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import Float, String, TypeDecorator, TypeEngine, UserDefinedType

T = TypeVar("T")

# SQLite allows 32766 bound parameters per statement; PostgreSQL 65535. Stay well below both.
MAX_PARAMS = 30_000
# Rows per INSERT ... SELECT FROM unnest(...) on PostgreSQL. The statement has one array parameter per
# column whatever the row count, so only memory (the arrays are built whole) bounds a chunk.
UNNEST_ROWS = 2000


def dialect_name(session: Session) -> str:
    """'sqlite' or 'postgresql'."""
    return session.get_bind().dialect.name


def upsert_insert(session: Session, table: Any) -> Any:
    """An INSERT that supports ON CONFLICT on the session's dialect (SQLite ≥ 3.35 and PostgreSQL)."""
    if dialect_name(session) == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


class ElementArray(UserDefinedType[list[Any]]):
    """A Python list bound as one PostgreSQL array parameter, each element bind-processed as `item_type`.

    SQLAlchemy applies exactly the processing it applies to a single value of `item_type` (the
    TypeDecorators' checks and conversions, JSON serialization) to every element, and wraps a failing
    value in a StatementError as usual. No cast is rendered on the parameter: pg_array() CASTs it.
    """

    cache_ok = True

    def __init__(self, item_type: TypeEngine[Any]) -> None:
        """Elements are bound as `item_type` binds a value."""
        self.item_type = item_type

    def get_col_spec(self, **kw: Any) -> str:
        """Never rendered: the parameter is always CAST (see pg_array)."""
        raise NotImplementedError("ElementArray is a bind type only")

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        """Process every element as the item type would; None if the item type needs nothing.

        Float elements are made floats: psycopg refuses a list mixing int and float, which a column
        of single values accepts.
        """
        process = self.item_type.dialect_impl(dialect).bind_processor(dialect)
        if process is None and isinstance(self.item_type, Float):
            process = _as_float
        if process is None:
            return None
        item_process = process

        def process_list(values: Any) -> Any:
            if values is None:
                return None
            return [item_process(value) for value in values]

        return process_list


def _as_float(value: Any) -> float | None:
    """A number as a float (None stays None)."""
    return None if value is None else float(value)


def pg_array(
    name: str, element_type: TypeEngine[Any], values: Sequence[Any] | None = None
) -> ColumnElement[Any]:
    """One bound PostgreSQL array parameter, ``CAST(:name AS element_type[])``.

    The statement text stays the same whatever the number of values, so psycopg parses it once and,
    after a few executions, prepares it. Mind the plan of a prepared statement: PostgreSQL soon
    reuses a generic plan made without seeing the array, and ``column = ANY(:array)`` there may
    compare every row with every element (see items._band_lookup_pg); joining ``unnest(:array)``
    is safer. JSON elements become psycopg Json wrappers, which psycopg sends quoted in a json[]
    array (a JSON ``null`` stays a JSON value); None elements are SQL NULLs.
    """
    value = list(values) if values is not None else None
    param = bindparam(name, value, type_=ElementArray(element_type))
    return cast(param, postgresql.ARRAY(_unbounded(element_type)))


def _unbounded(type_: TypeEngine[Any]) -> TypeEngine[Any]:
    """The type to CAST an array parameter to: strings without their length.

    An explicit CAST to varchar(n) silently truncates; the INSERT's own assignment to a varchar(n)
    column refuses a value that is too long, as a VALUES insert does.
    """
    base = type_.impl_instance if isinstance(type_, TypeDecorator) else type_
    if isinstance(base, String) and base.length is not None:
        return String()
    return type_


def bulk_insert_returning(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    returning: Sequence[ColumnElement[Any]],
    *,
    on_conflict_do_nothing: bool = False,
    conflict_index: Sequence[Any] | None = None,
) -> list[Row[*tuple[Any, ...]]]:
    """Insert rows (all with the same keys) and return the `returning` columns of the rows inserted.

    With on_conflict_do_nothing, rows skipped by a conflict (on `conflict_index`, or on any unique
    index if None) return nothing. Rows come back in no guaranteed order: return a key to match them.

    PostgreSQL gets one short statement per chunk, ``INSERT ... SELECT * FROM unnest(CAST(:a AS t[]),
    ...)`` with one array parameter per column: its text does not depend on the row count, so psycopg
    parses it once and prepares it (a multi-row VALUES list of 10,000 placeholders is parsed anew on
    every execution, on both sides). Rows are inserted in the given order (concurrent writers that
    sort their rows take index locks in the same order). SQLite keeps SQLAlchemy's multi-row VALUES
    batches ("insertmanyvalues"), which are fast there.
    """
    if not rows:
        return []
    names = list(rows[0])
    for row in rows:
        if len(row) != len(names):
            raise ValueError(f"every row must have the keys {names}, got {sorted(row)}")
    columns = [table.c[name] for name in names]
    out: list[Row[*tuple[Any, ...]]] = []
    if dialect_name(session) == "postgresql":
        stmt = _unnest_insert(table, columns, returning, on_conflict_do_nothing, conflict_index)
        for chunk in chunked(rows, UNNEST_ROWS):
            params = {_array_name(i): [row[name] for row in chunk] for i, name in enumerate(names)}
            out.extend(session.execute(stmt, params))
        return out
    values_stmt = upsert_insert(session, table)
    if on_conflict_do_nothing:
        values_stmt = values_stmt.on_conflict_do_nothing(index_elements=conflict_index)
    values_stmt = values_stmt.returning(*returning)
    for chunk in chunked(rows, rows_per_statement(len(names))):
        out.extend(session.execute(values_stmt, chunk))
    return out


def _array_name(index: int) -> str:
    """Name of the array parameter of the index-th inserted column."""
    return f"unnest_{index}"


def _unnest_insert(
    table: Table,
    columns: Sequence[Column[Any]],
    returning: Sequence[ColumnElement[Any]],
    on_conflict_do_nothing: bool,
    conflict_index: Sequence[Any] | None,
) -> Any:
    """INSERT INTO table (columns) SELECT * FROM unnest(one CAST array parameter per column) ..."""
    arrays = [pg_array(_array_name(i), column.type) for i, column in enumerate(columns)]
    source: Select[Any] = select(literal_column("*")).select_from(func.unnest(*arrays))
    stmt = postgresql.insert(table).from_select([c.name for c in columns], source)
    if on_conflict_do_nothing:
        stmt = stmt.on_conflict_do_nothing(index_elements=conflict_index)
    return stmt.returning(*returning)


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
