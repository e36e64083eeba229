"""Functions run in child processes by the concurrency tests (importable under the spawn start method)."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from responder.types import Notice, NoticeKind
from storage.db import make_engine, session_factory
from storage.repositories.cases import CaseRepository
from storage.repositories.items import ItemRepository
from storage.repositories.notices import NoticeRepository
from storage.repositories.state import LeaseRepository
from tests.storage.factories import T0, case, item


def _run(url: str, barrier: Any, seed: int, work: Any) -> Any:
    engine = make_engine(url)
    try:
        factory = session_factory(engine)
        barrier.wait(timeout=60)
        with factory() as session:
            return work(session, random.Random(seed))
    finally:
        engine.dispose()


def add_items(url: str, barrier: Any, seed: int, count: int, queue: Any) -> None:
    """Add the same `count` items (in a shuffled order), committing each one."""

    def work(session: Any, rng: random.Random) -> list[tuple[str, str, int]]:
        repo = ItemRepository(session)
        numbers = list(range(count))
        rng.shuffle(numbers)
        out = []
        for n in numbers:
            # pairs of near-duplicates (same fingerprint) so events are contended too
            result = repo.add(item(n, fingerprint=(n // 2) * 0x1_0001_0001_0001), now=T0)
            session.commit()
            out.append((f"http://example.test/a/{n}", result.status, result.item_id))
        return out

    queue.put(_run(url, barrier, seed, work))


def add_item_batches(url: str, barrier: Any, seed: int, count: int, queue: Any) -> None:
    """Add the same items in shuffled batches of 25 with add_many, committing each batch."""

    def work(session: Any, rng: random.Random) -> list[tuple[str, str, int]]:
        repo = ItemRepository(session)
        numbers = list(range(count))
        rng.shuffle(numbers)
        out = []
        for start in range(0, count, 25):
            batch = numbers[start : start + 25]
            results = repo.add_many(
                [item(n, fingerprint=(n // 2) * 0x1_0001_0001_0001) for n in batch], now=T0
            )
            session.commit()
            out.extend(
                (f"http://example.test/a/{n}", r.status, r.item_id)
                for n, r in zip(batch, results, strict=True)
            )
        return out

    queue.put(_run(url, barrier, seed, work))


def claim_notices(url: str, barrier: Any, seed: int, count: int, queue: Any) -> None:
    """Claim the same `count` notice keys; report which ones this process won."""

    def work(session: Any, rng: random.Random) -> list[str]:
        repo = NoticeRepository(session)
        keys = [f"case:1:clock:{n}:warn:50" for n in range(count)]
        rng.shuffle(keys)
        won = []
        for key in keys:
            notice = Notice(
                key=key,
                kind=NoticeKind.WARNING,
                case_id=None,
                clock_id=None,
                unit_id="u1",
                title="预警",
                body="时限过半",
                due_at=T0 + timedelta(hours=1),
                created_for=T0 + timedelta(minutes=30),
            )
            if repo.claim(notice, T0):
                won.append(key)
            session.commit()
        return won

    queue.put(_run(url, barrier, seed, work))


def open_cases(url: str, barrier: Any, seed: int, event_ids: list[int], queue: Any) -> None:
    """Open a case for each event (unit u1); report which ones this process created."""

    def work(session: Any, rng: random.Random) -> list[tuple[int, bool, int]]:
        repo = CaseRepository(session)
        ids = list(event_ids)
        rng.shuffle(ids)
        out = []
        for event_id in ids:
            stored, created = repo.open(case(event_id, "u1"))
            session.commit()
            out.append((event_id, created, stored.id or 0))
        return out

    queue.put(_run(url, barrier, seed, work))


def take_lease(url: str, barrier: Any, seed: int, holder: str, queue: Any) -> None:
    """Try to take the scheduler lease once."""

    def work(session: Any, rng: random.Random) -> bool:
        won = LeaseRepository(session).acquire("scheduler", holder, 60, T0)
        session.commit()
        return won

    queue.put(_run(url, barrier, seed, work))
