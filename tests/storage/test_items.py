"""Items: idempotent inserts, LSH near-duplicate events, the classification queue."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import EventRow, ItemBandRow, ItemRow
from storage.repositories.items import ItemRepository, band_values, hamming64, to_signed64
from tests.storage.factories import T0, item, seed_config


def test_same_item_twice_is_a_noop(session: Session) -> None:
    seed_config(session)
    repo = ItemRepository(session)
    first = repo.add(item(1), now=T0)
    session.commit()
    again = repo.add(item(1), now=T0 + timedelta(minutes=5))
    session.commit()
    assert first.status == "new" and first.new_event
    assert again.status == "duplicate" and again.item_id == first.item_id and again.event_id == first.event_id
    assert session.execute(select(func.count()).select_from(ItemRow)).scalar_one() == 1
    assert session.execute(select(func.count()).select_from(EventRow)).scalar_one() == 1


def test_same_url_or_same_hash_is_duplicate(session: Session) -> None:
    seed_config(session)
    repo = ItemRepository(session)
    base = item(1)
    repo.add(base, now=T0)
    from dataclasses import replace

    same_url = replace(base, content_hash="f" * 64, text="changed")
    same_hash = replace(base, canonical_url="http://other.test/x", url="http://other.test/x")
    results = repo.add_many([same_url, same_hash, item(2)], now=T0)
    session.commit()
    assert [r.status for r in results] == ["duplicate", "duplicate", "new"]
    assert repo.count() == 2


def test_duplicates_inside_one_batch(session: Session) -> None:
    seed_config(session)
    repo = ItemRepository(session)
    results = repo.add_many([item(1), item(1), item(2)], now=T0)
    session.commit()
    assert [r.status for r in results] == ["new", "duplicate", "new"]
    assert results[0].item_id == results[1].item_id
    assert results[1].event_id == results[0].event_id
    assert repo.count() == 2


def test_near_duplicates_join_one_event_and_far_ones_do_not(session: Session) -> None:
    seed_config(session)
    repo = ItemRepository(session)
    fp = to_signed64(0xF0F0_1234_5678_9ABC)
    a = repo.add(item(1, fingerprint=fp, source_id="src1"), now=T0)
    # three bits differ, spread over three bands: still shares one band with `a`
    b = repo.add(
        item(2, fingerprint=fp ^ (1 | 1 << 20 | 1 << 40), source_id="src2"), now=T0 + timedelta(hours=1)
    )
    far = repo.add(item(3, fingerprint=fp ^ (1 << 5 | 1 << 25 | 1 << 45 | 1 << 61)), now=T0)
    unrelated = repo.add(item(4, fingerprint=to_signed64(~fp)), now=T0)
    session.commit()
    assert b.status == "new" and not b.new_event and b.event_id == a.event_id
    assert far.new_event and far.event_id != a.event_id
    assert unrelated.new_event
    event = repo.get_event(a.event_id or 0)
    assert event.item_count == 2 and event.source_count == 2
    assert event.first_online_at == min(item(1).published_at, item(2).published_at)  # type: ignore[type-var]
    assert event.last_item_at == T0 + timedelta(hours=1)
    assert [i.id for i in repo.for_event(event.id)] == sorted(
        [a.item_id, b.item_id], key=lambda i: repo.get(i).published_at
    )  # type: ignore[arg-type,return-value]


def test_near_duplicates_inside_one_batch(session: Session) -> None:
    seed_config(session)
    repo = ItemRepository(session)
    fp = 0x1234
    results = repo.add_many([item(1, fingerprint=fp), item(2, fingerprint=fp ^ 0b11)], now=T0)
    session.commit()
    assert results[0].new_event and not results[1].new_event
    assert results[0].event_id == results[1].event_id
    assert repo.get_event(results[0].event_id or 0).item_count == 2


def test_bands_are_stored_per_item(session: Session) -> None:
    seed_config(session)
    repo = ItemRepository(session)
    r = repo.add(item(1, fingerprint=-1), now=T0)
    session.commit()
    rows = session.execute(
        select(ItemBandRow.band, ItemBandRow.value).where(ItemBandRow.item_id == r.item_id)
    ).all()
    assert sorted(rows) == [(0, 0xFFFF), (1, 0xFFFF), (2, 0xFFFF), (3, 0xFFFF)]
    assert repo.get(r.item_id).fingerprint == -1


def test_band_math() -> None:
    assert hamming64(-1, 0) == 64
    assert hamming64(to_signed64(1 << 63), 0) == 1
    assert band_values(0x0001_0002_0003_0004, 4) == [(0, 4), (1, 3), (2, 2), (3, 1)]
    assert band_values(-1, 1) == [(0, -1)]
    assert [b for b, _ in band_values(12345, 3)] == [0, 1, 2]


def test_unclassified_queue(session: Session) -> None:
    seed_config(session)
    repo = ItemRepository(session)
    ids = [r.item_id for r in repo.add_many([item(i) for i in range(5)], now=T0)]
    session.commit()
    assert [i.id for i in repo.unclassified(limit=3)] == ids[:3]
    repo.mark_classified(ids[0], T0)
    repo.mark_classified(ids[1], T0, error="boom")
    session.commit()
    assert [i.id for i in repo.unclassified()] == ids[2:]
    assert repo.count_unclassified() == 3
    assert repo.get(ids[1]).classify_error == "boom"
    assert repo.get(ids[0]).classified_at == T0


def test_recrawl_ten_times_adds_nothing(session: Session) -> None:
    seed_config(session)
    repo = ItemRepository(session)
    batch = [item(i) for i in range(30)]
    repo.add_many(batch, now=T0)
    session.commit()
    items, events = repo.count(), repo.count_events()
    for n in range(10):
        results = repo.add_many(batch, now=T0 + timedelta(minutes=n))
        session.commit()
        assert all(r.status == "duplicate" for r in results)
    assert (repo.count(), repo.count_events()) == (items, events)


def test_band_lookup_uses_the_index_not_a_scan(sqlite_url: str) -> None:
    """Near-duplicate lookup must stay an indexed search (a table scan per batch is quadratic)."""
    from sqlalchemy import event

    from storage.db import make_engine, session_factory

    engine = make_engine(sqlite_url)
    seen: list[tuple[str, object]] = []

    def capture(
        conn: object, cursor: object, statement: str, params: object, context: object, many: bool
    ) -> None:
        if "FROM item_bands" in statement:
            seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        with session_factory(engine)() as session:
            seed_config(session)
            repo = ItemRepository(session)
            repo.add_many([item(i) for i in range(50)], now=T0)
            repo.add_many([item(i) for i in range(50, 100)], now=T0)
            event.remove(engine, "before_cursor_execute", capture)
            assert seen
            for statement, params in seen:
                plan = " | ".join(
                    str(row[-1])
                    for row in session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)  # type: ignore[arg-type]
                )
                assert "ix_item_bands_band_value" in plan and "SCAN item_bands" not in plan, plan
    finally:
        engine.dispose()
