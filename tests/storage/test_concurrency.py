"""Two processes writing the same things at once never create duplicates (both backends)."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from storage.db import make_engine, session_factory
from storage.models import CaseRow, ClockRow, EventRow, ItemRow, NoticeRow
from storage.repositories.items import ItemRepository
from tests.storage import _workers
from tests.storage.factories import T0, item, seed_config


def _two_processes(
    target: Callable[..., None], url: str, args_a: tuple[Any, ...], args_b: tuple[Any, ...]
) -> list[Any]:
    # fork: the children start in milliseconds; they open their own engines and touch nothing of ours
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(2)
    queue = ctx.Queue()
    procs = [
        ctx.Process(target=target, args=(url, barrier, 1, *args_a, queue)),
        ctx.Process(target=target, args=(url, barrier, 2, *args_b, queue)),
    ]
    for p in procs:
        p.start()
    results = [queue.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    return results


def _count(url: str, model: Any) -> int:
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            return int(session.execute(select(func.count()).select_from(model)).scalar_one())
    finally:
        engine.dispose()


def _seed(url: str) -> None:
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            seed_config(session)
    finally:
        engine.dispose()


@pytest.mark.parametrize("worker", ["add_items", "add_item_batches"])
def test_concurrent_item_inserts(db_url: str, worker: str) -> None:
    _seed(db_url)
    count = 120
    a, b = _two_processes(getattr(_workers, worker), db_url, (count,), (count,))
    assert _count(db_url, ItemRow) == count
    by_url: dict[str, list[tuple[str, int]]] = {}
    for url, status, item_id in [*a, *b]:
        by_url.setdefault(url, []).append((status, item_id))
    for url, outcomes in by_url.items():
        assert sorted(s for s, _ in outcomes) == ["duplicate", "new"], url
        assert len({i for _, i in outcomes}) == 1
    # every item has an event, and event counters agree with the items
    engine = make_engine(db_url)
    try:
        with session_factory(engine)() as session:
            assert session.execute(select(func.count()).where(ItemRow.event_id.is_(None))).scalar_one() == 0
            total = session.execute(select(func.sum(EventRow.item_count))).scalar_one()
            assert total == count
    finally:
        engine.dispose()


def test_concurrent_notice_claims_send_each_once(db_url: str) -> None:
    count = 150
    a, b = _two_processes(_workers.claim_notices, db_url, (count,), (count,))
    assert not set(a) & set(b)
    assert len(set(a) | set(b)) == count
    assert _count(db_url, NoticeRow) == count


def test_concurrent_case_opens(db_url: str) -> None:
    _seed(db_url)
    engine = make_engine(db_url)
    try:
        with session_factory(engine)() as session:
            results = ItemRepository(session).add_many(
                [item(n, fingerprint=n << 20 | n) for n in range(40)], now=T0
            )
            session.commit()
            event_ids = sorted({r.event_id for r in results if r.event_id is not None})
    finally:
        engine.dispose()
    a, b = _two_processes(_workers.open_cases, db_url, (event_ids,), (event_ids,))
    created = [e for e, c, _ in [*a, *b] if c]
    assert sorted(created) == event_ids
    assert _count(db_url, CaseRow) == len(event_ids)
    assert _count(db_url, ClockRow) == 2 * len(event_ids)


def test_one_lease_holder(db_url: str) -> None:
    a, b = _two_processes(_workers.take_lease, db_url, ("proc-a",), ("proc-b",))
    assert sorted([a, b]) == [False, True]
