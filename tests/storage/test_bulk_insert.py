"""bulk_insert_returning: PostgreSQL's INSERT ... SELECT FROM unnest(arrays) and SQLite's multi-row VALUES."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.exc import DataError, StatementError
from sqlalchemy.orm import Session

from storage.db import make_engine, session_factory
from storage.errors import NaiveDatetimeError
from storage.models import AssessmentRow, EventRow, ItemRow, tbl
from storage.repositories import _common
from storage.repositories._common import bulk_insert_returning
from storage.repositories.items import ItemRepository
from tests.storage.factories import T0, item, seed_config

CST = timezone(timedelta(hours=8))
TRICKY = '引号"双"\'单\' 反斜杠\\ 逗号,分号; 花括号{a,b} {"a": "x,y"} NULL null \\\\ 末尾空格 '
LONG_TEXT = ('长文本，含逗号,引号"与反斜杠\\以及{括号}。' * 20_000)[:400_000]


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[Engine]:
    """An engine on a fresh PostgreSQL database."""
    engine = make_engine(pg_url)
    yield engine
    engine.dispose()


@pytest.fixture
def pg_session(pg_engine: Engine) -> Iterator[Session]:
    """A session on PostgreSQL with sources and units seeded."""
    with session_factory(pg_engine)() as session:
        seed_config(session)
        yield session
        session.rollback()


class Statements:
    """The SQL texts an engine sends while capturing."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.texts: list[str] = []
        self.params: list[Any] = []

    def __enter__(self) -> Statements:
        event.listen(self.engine, "before_cursor_execute", self._capture)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._capture)

    def _capture(
        self, conn: object, cursor: object, statement: str, params: object, context: object, many: bool
    ) -> None:
        self.texts.append(statement)
        self.params.append(params)

    def inserts_into(self, table: str) -> list[str]:
        """Captured INSERT statements into `table`."""
        return [s for s in self.texts if s.startswith(f"INSERT INTO {table} ")]


def item_row(n: int, **overrides: Any) -> dict[str, Any]:
    """A full items row (every column but id) with values derived from n."""
    row: dict[str, Any] = {
        "source_id": "src1",
        "url": f"http://example.test/a/{n}?x=1",
        "canonical_url": f"http://example.test/a/{n}",
        "title": f"标题 {n}",
        "text": f"正文 {n}",
        "author": "",
        "published_at": T0 - timedelta(minutes=n),
        "fetched_at": T0,
        "first_seen_at": T0,
        "content_hash": f"{n:064d}",
        "fingerprint": n,
        "language": "zh",
        "guid": "",
        "reposts": n,
        "comments": None,
        "likes": 0,
        "flags": [],
        "event_id": None,
        "classified_at": None,
        "classify_error": None,
    }
    row.update(overrides)
    return row


def insert_items(session: Session, rows: list[dict[str, Any]]) -> list[Any]:
    """Insert items rows like add_many does; returns the RETURNING rows."""
    table = tbl(ItemRow)
    return bulk_insert_returning(
        session,
        table,
        rows,
        [table.c.id, table.c.canonical_url, table.c.content_hash],
        on_conflict_do_nothing=True,
    )


def stored(session: Session, model: type[Any], ids: list[int]) -> dict[int, dict[str, Any]]:
    """Rows of a table by id, as column → value dicts."""
    table = tbl(model)
    rows = session.execute(select(table).where(table.c.id.in_(ids))).mappings()
    return {row["id"]: dict(row) for row in rows}


def assert_stored_as_given(session: Session, model: type[Any], given: dict[int, dict[str, Any]]) -> None:
    """Every row read back equals the row inserted, column by column."""
    back = stored(session, model, list(given))
    assert set(back) == set(given)
    for row_id, row in given.items():
        for name, value in row.items():
            assert back[row_id][name] == value, (row_id, name, back[row_id][name], value)


def test_items_round_trip_every_value_kind(session: Session) -> None:
    """Text with array-literal metacharacters, long text, None, aware datetimes and JSON come back as given."""
    seed_config(session)
    rows = [
        item_row(
            1,
            title=TRICKY,
            text=LONG_TEXT,
            author='作者 "甲", {乙}',
            published_at=datetime(2026, 3, 5, 18, 30, 15, 123456, tzinfo=CST),
            flags=["a", "x,y", '{"a": "x,y"}', "\\", "null", "中文"],
            classify_error=TRICKY,
            reposts=None,
            likes=None,
            fingerprint=-(1 << 63),
            classified_at=datetime(2026, 3, 5, 1, 2, 3, 4, tzinfo=CST),
        ),
        item_row(
            2, published_at=None, flags=[{"a": "x,y"}, [], {}, None, 1.5, True], fingerprint=(1 << 63) - 1
        ),
        item_row(3, flags=[], text="", title="NULL", author="null"),
        item_row(4, flags=None),
    ]
    returned = insert_items(session, rows)
    session.commit()
    assert len(returned) == len(rows)
    by_url = {r.canonical_url: r.id for r in returned}
    given = {by_url[row["canonical_url"]]: row for row in rows}
    assert_stored_as_given(session, ItemRow, given)
    back = stored(session, ItemRow, list(given))
    first = back[by_url[rows[0]["canonical_url"]]]
    assert first["published_at"].utcoffset() == timedelta(0)
    assert first["published_at"] == datetime(2026, 3, 5, 10, 30, 15, 123456, tzinfo=UTC)
    assert len(first["text"]) == len(LONG_TEXT)


def test_events_round_trip(session: Session) -> None:
    table = tbl(EventRow)
    rows = [
        {
            "title": TRICKY if n == 0 else f"事件 {n}",
            "first_seen_at": T0,
            "first_online_at": None if n % 2 else T0.astimezone(CST) - timedelta(hours=n),
            "occurred_at": None,
            "last_item_at": T0 + timedelta(microseconds=n),
            "item_count": n,
            "source_count": 0,
            "representative_item_id": 100 + n,
            "grade": None if n % 3 else "III",
            "category": "事故灾难" if n % 2 else None,
        }
        for n in range(5)
    ]
    returned = bulk_insert_returning(session, table, rows, [table.c.id, table.c.representative_item_id])
    session.commit()
    ids = {r.representative_item_id: r.id for r in returned}
    assert sorted(ids) == [100, 101, 102, 103, 104]
    assert_stored_as_given(session, EventRow, {ids[row["representative_item_id"]]: row for row in rows})


def assessment_row(item_id: int, version: str = "m1", **overrides: Any) -> dict[str, Any]:
    """A full assessments row (every column but id)."""
    row: dict[str, Any] = {
        "item_id": item_id,
        "model_version": version,
        "category": "公共卫生",
        "grade": None,
        "basis": "",
        "figures": {},
        "places": [],
        "abroad": False,
        "negative": 0.0,
        "needs_response": False,
        "heavy_casualties": False,
        "extra": {},
        "assessed_at": T0,
    }
    row.update(overrides)
    return row


def insert_assessments(session: Session, rows: list[dict[str, Any]]) -> list[Any]:
    """Insert assessments like save_many does; returns the RETURNING rows."""
    table = tbl(AssessmentRow)
    return bulk_insert_returning(
        session,
        table,
        rows,
        [table.c.id, table.c.item_id],
        on_conflict_do_nothing=True,
        conflict_index=[table.c.item_id, table.c.model_version],
    )


def test_assessments_round_trip_and_conflicts_are_skipped(session: Session) -> None:
    seed_config(session)
    item_ids = [r.id for r in insert_items(session, [item_row(n) for n in range(4)])]
    rows = [
        assessment_row(
            item_ids[0],
            grade="II",
            basis=TRICKY,
            figures={"deaths": 3, "injured": None, "note": '{"a": "x,y"}', "nested": {"k": [1, "二"]}},
            places=[{"province": "广东省", "city": "深圳市", "text": "a,b\\c"}, {}],
            abroad=True,
            negative=0.875,
            needs_response=True,
            heavy_casualties=True,
            extra={"理由": '含"引号"', "empty": ""},
            assessed_at=T0.astimezone(CST),
        ),
        assessment_row(item_ids[1]),
    ]
    returned = insert_assessments(session, rows)
    session.commit()
    ids = {r.item_id: r.id for r in returned}
    assert set(ids) == {item_ids[0], item_ids[1]}
    assert_stored_as_given(session, AssessmentRow, {ids[row["item_id"]]: row for row in rows})

    # Same (item, model version) again, in the database and twice within the batch: skipped, not returned.
    again = [
        assessment_row(item_ids[0], basis="changed"),
        assessment_row(item_ids[2]),
        assessment_row(item_ids[2], basis="second in batch"),
        assessment_row(item_ids[1], version="m2"),
    ]
    returned = insert_assessments(session, again)
    session.commit()
    assert sorted(
        (r.item_id, stored(session, AssessmentRow, [r.id])[r.id]["model_version"]) for r in returned
    ) == sorted([(item_ids[2], "m1"), (item_ids[1], "m2")])
    first = stored(session, AssessmentRow, [ids[item_ids[0]]])[ids[item_ids[0]]]
    assert first["basis"] == TRICKY
    kept = session.execute(
        select(AssessmentRow.basis).where(AssessmentRow.item_id == item_ids[2])
    ).scalar_one()
    assert kept == ""


def test_float_column_takes_ints_and_floats_together(session: Session) -> None:
    seed_config(session)
    item_ids = [r.id for r in insert_items(session, [item_row(n) for n in range(3)])]
    rows = [assessment_row(item_ids[0], negative=1), assessment_row(item_ids[1], negative=0.25)]
    returned = insert_assessments(session, rows)
    back = stored(session, AssessmentRow, [r.id for r in returned])
    assert sorted(row["negative"] for row in back.values()) == [0.25, 1.0]


def test_item_conflicts_are_skipped_and_not_returned(session: Session) -> None:
    seed_config(session)
    assert len(insert_items(session, [item_row(1), item_row(2)])) == 2
    returned = insert_items(
        session,
        [
            item_row(1, content_hash="f" * 64),  # known canonical URL
            item_row(3, content_hash=item_row(2)["content_hash"]),  # known content hash
            item_row(4),
            item_row(4, content_hash="e" * 64),  # same URL as the row before, same statement
            item_row(5),
        ],
    )
    session.commit()
    assert sorted(r.canonical_url for r in returned) == ["http://example.test/a/4", "http://example.test/a/5"]
    assert (
        session.execute(select(ItemRow.content_hash).where(ItemRow.canonical_url.like("%/a/4"))).scalar_one()
        == (item_row(4)["content_hash"])
    )
    assert ItemRepository(session).count() == 4


def test_naive_datetime_is_refused_like_any_bound_value(session: Session) -> None:
    seed_config(session)
    with pytest.raises(StatementError) as info:
        insert_items(session, [item_row(1), item_row(2, fetched_at=datetime(2026, 3, 5, 10, 0))])
    assert isinstance(info.value.orig, NaiveDatetimeError)


def test_rows_with_different_keys_are_refused(session: Session) -> None:
    row = item_row(2)
    del row["guid"]
    with pytest.raises(ValueError, match="keys"):
        insert_items(session, [item_row(1), row])


def test_empty_input_sends_nothing(pg_engine: Engine, pg_session: Session) -> None:
    with Statements(pg_engine) as seen:
        assert insert_items(pg_session, []) == []
    assert seen.texts == []


def test_too_long_string_is_refused_not_truncated(pg_session: Session) -> None:
    """The array CAST drops varchar lengths: the column itself refuses the value, as a VALUES insert does."""
    with pytest.raises(DataError, match="too long"):
        insert_items(pg_session, [item_row(1, content_hash="a" * 65)])


def test_one_short_statement_whatever_the_row_count(pg_engine: Engine, pg_session: Session) -> None:
    """The SQL text is the same for 1, 7 and 1200 rows: no per-row placeholders, short enough to cache."""
    texts: list[str] = []
    start = 0
    for count in (1, 7, 1200):
        with Statements(pg_engine) as seen:
            returned = insert_items(pg_session, [item_row(n) for n in range(start, start + count)])
        start += count
        assert len(returned) == count
        inserts = seen.inserts_into("items")
        assert len(inserts) == 1
        texts.append(inserts[0])
    assert len(set(texts)) == 1
    text = texts[0]
    assert "unnest(" in text and "VALUES" not in text
    # psycopg caches the parse of statements up to 4096 characters and 50 parameters.
    assert len(text) < 4096
    assert text.count("%(") == len(item_row(0))


def test_chunks_reuse_the_statement_and_keep_the_order(
    pg_engine: Engine, pg_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows go in chunk by chunk, in the given order (ids follow it), each chunk with the same text."""
    monkeypatch.setattr(_common, "UNNEST_ROWS", 3)
    rows = [item_row(n) for n in (5, 1, 9, 3, 7, 2, 8)]
    with Statements(pg_engine) as seen:
        returned = insert_items(pg_session, rows)
    inserts = seen.inserts_into("items")
    assert len(inserts) == 3 and len(set(inserts)) == 1
    by_url = {r.canonical_url: r.id for r in returned}
    ids = [by_url[row["canonical_url"]] for row in rows]
    assert ids == sorted(ids)


def test_repositories_send_unnest_inserts_and_array_lookups(pg_engine: Engine, pg_session: Session) -> None:
    """add_many (items, events, band lookup) sends the short statements; the lookup can probe its index."""
    repo = ItemRepository(pg_session)
    repo.add_many([item(n) for n in range(20)], now=T0)
    with Statements(pg_engine) as seen:
        results = repo.add_many([item(n) for n in range(10, 40)], now=T0)
    assert [r.status for r in results] == ["duplicate"] * 10 + ["new"] * 20
    for table in ("items", "events"):
        (insert,) = seen.inserts_into(table)
        assert "unnest(" in insert and "VALUES" not in insert
    lookups = [(s, p) for s, p in zip(seen.texts, seen.params, strict=True) if "JOIN item_bands" in s]
    assert len(lookups) == 4  # one per band
    assert len({s for s, _ in lookups}) == 1
    conn = pg_session.connection()
    # A realistic table (80,000 band rows, analysed): probing the (band, value) index per looked-up
    # value must be the plan, which needs `value = wanted.value` in its index condition (an array of
    # another element type would keep it out, leaving a scan of the whole band).
    for sql in (
        "INSERT INTO items (source_id, url, canonical_url, title, text, author, fetched_at, first_seen_at,"
        " content_hash, fingerprint, language, guid, flags) SELECT 'src1', 'g' || g, 'g' || g, 't', 'x',"
        " '', now(), now(), 'g' || g, g, 'zh', '', '[]' FROM generate_series(1, 20000) AS g",
        "INSERT INTO item_bands (item_id, band, value) SELECT id, b, id * 7 + b FROM items,"
        " generate_series(0, 3) AS b WHERE source_id = 'src1' AND title = 't'",
        "ANALYZE items",
        "ANALYZE item_bands",
    ):
        conn.exec_driver_sql(sql)
    for statement, params in lookups:
        assert "unnest(CAST(" in statement and " IN " not in statement
        assert statement.count("%(") == 2  # the band and one array of values
        plan = "\n".join(str(r[0]) for r in conn.exec_driver_sql("EXPLAIN " + statement, params))  # type: ignore[arg-type]
        assert "ix_item_bands_band_value" in plan, plan
        assert any("Index Cond" in line and "value = wanted.value" in line for line in plan.splitlines()), (
            plan
        )
