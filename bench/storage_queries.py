"""Benchmark storage: item ingest, the deadline-sweep view and the dashboard queries.

Seeds a fresh database (SQLite file by default, or each --url given, e.g. a PostgreSQL URL) with
N items (default 100,000; near-duplicate reprints fold into events), C cases with two clocks each
(default 10,000) and S open cases for the sweep (default 100,000), then times each query.
Prints a table and, as the last line, one JSON object with the figures.

    .venv/bin/python bench/storage_queries.py [--items 100000] [--cases 10000] [--sweep-cases 100000]
        [--url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text

from classifier.types import Grade
from crawlers.types import FetchedItem, SourceKind, SourceSpec
from responder.types import CaseState, ClockKind, ClockState, LimitUnit, StartBasis, Trigger
from storage import queries
from storage.db import make_engine, session_factory, upgrade
from storage.models import CaseRow, ClockRow, EventRow, UnitRow, tbl
from storage.repositories.cases import CaseRepository
from storage.repositories.items import ItemRepository
from storage.repositories.sources import SourceRepository

T0 = datetime(2026, 3, 1, tzinfo=UTC)
UNITS = [f"u{i}" for i in range(20)]


def _items(n: int, rng: random.Random) -> list[FetchedItem]:
    out = []
    base_fps: list[int] = []
    for i in range(n):
        if base_fps and rng.random() < 0.3:  # a reprint: a few bits flipped
            fp = rng.choice(base_fps) ^ (1 << rng.randrange(64)) ^ (1 << rng.randrange(64))
        else:
            fp = rng.getrandbits(64)
            base_fps.append(fp)
        digest = hashlib.sha256(str(i).encode()).hexdigest()
        out.append(
            FetchedItem(
                source_id=f"s{i % 50}",
                url=f"http://bench.test/{i}",
                canonical_url=f"http://bench.test/{i}",
                title=f"标题{i}",
                text=f"正文{i}" * 20,
                content_hash=digest,
                fingerprint=fp - (1 << 64) if fp >= 1 << 63 else fp,
                fetched_at=T0 + timedelta(seconds=i),
                published_at=T0 + timedelta(seconds=i),
            )
        )
    return out


def _clock_rows(case_id: int, opened: datetime, rng: random.Random, now: datetime) -> list[dict[str, Any]]:
    rows = []
    for kind, hours in ((ClockKind.FACTS, 1), (ClockKind.PRESS_CONFERENCE, 24)):
        due = opened + timedelta(hours=hours)
        roll = rng.random()
        state, met_at = ClockState.RUNNING.value, None
        if roll < 0.4:
            state, met_at = ClockState.MET.value, opened + timedelta(minutes=rng.randrange(1, hours * 60))
        elif roll < 0.5:
            state, met_at = ClockState.MET_LATE.value, due + timedelta(minutes=rng.randrange(1, 600))
        elif due < now:
            state = ClockState.BREACHED.value
        rows.append(
            {
                "case_id": case_id,
                "kind": kind.value,
                "basis": StartBasis.DISCOVERED.value,
                "trigger": Trigger.MAJOR.value,
                "started_at": opened,
                "due_at": due,
                "limit_value": float(hours),
                "limit_unit": LimitUnit.HOURS.value,
                "plan_id": "unit_default",
                "plan_version": "v1",
                "citation": "bench",
                "met_by": ["发布权威信息"],
                "repeats": False,
                "state": state,
                "met_at": met_at,
                "met_by_response_id": None,
                "superseded_at": None,
            }
        )
    return rows


def _seed_cases(session: Any, count: int, rng: random.Random, now: datetime, open_only: bool) -> None:
    """Bulk-insert events, cases and clocks directly (seeding speed is not what is measured)."""
    first_event = (session.execute(text("SELECT COALESCE(MAX(id), 0) FROM events")).scalar_one()) + 1
    first_case = (session.execute(text("SELECT COALESCE(MAX(id), 0) FROM cases")).scalar_one()) + 1
    grades = [g.value for g in Grade]
    for start in range(0, count, 2000):
        events, cases, clocks = [], [], []
        for j in range(start, min(count, start + 2000)):
            eid, cid = first_event + j, first_case + j
            opened = now - timedelta(minutes=rng.randrange(0, 60 * 24 * 90))
            events.append(
                {
                    "id": eid,
                    "title": f"事件{eid}",
                    "first_seen_at": opened,
                    "first_online_at": opened,
                    "occurred_at": None,
                    "last_item_at": opened,
                    "item_count": 1,
                    "source_count": 1,
                    "representative_item_id": None,
                    "grade": None,
                    "category": None,
                }
            )
            state = CaseState.NEW.value if open_only else rng.choice([s.value for s in CaseState])
            cases.append(
                {
                    "id": cid,
                    "event_id": eid,
                    "unit_id": rng.choice(UNITS),
                    "state": state,
                    "grade": rng.choice(grades),
                    "trigger": Trigger.MAJOR.value,
                    "heavy_casualties": False,
                    "category": "交通事故",
                    "title": f"事件{eid}",
                    "plan_id": "unit_default",
                    "plan_version": "v1",
                    "occurred_at": None,
                    "first_online_at": opened,
                    "discovered_at": opened,
                    "opened_at": opened,
                    "acknowledged_at": None,
                    "closed_at": None,
                    "dismiss_reason": "",
                    "updated_at": opened,
                }
            )
            clocks.extend(_clock_rows(cid, opened, rng, now))
        session.execute(tbl(EventRow).insert(), events)
        session.execute(tbl(CaseRow).insert(), cases)
        session.execute(tbl(ClockRow).insert(), clocks)
    session.commit()


def _time(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t)
    return best, result


def run(url: str, n_items: int, n_cases: int, n_sweep: int) -> dict[str, Any]:
    """Seed one database and time everything; returns the figures."""
    rng = random.Random(7)
    upgrade(url)
    engine = make_engine(url)
    factory = session_factory(engine)
    now = T0 + timedelta(days=100)
    figures: dict[str, Any] = {"backend": engine.dialect.name}
    with factory() as session:
        SourceRepository(session).sync_from_config(
            [
                SourceSpec(id=f"s{i}", name=f"来源{i}", kind=SourceKind.FEED, url="http://x")
                for i in range(50)
            ],
            now=T0,
        )
        session.execute(
            tbl(UnitRow).insert(),
            [
                {
                    "id": u,
                    "name": u,
                    "kind": "territorial",
                    "jurisdiction": u,
                    "plan_id": "unit_default",
                    "profile": {},
                    "removed_at": None,
                    "updated_at": T0,
                }
                for u in UNITS
            ],
        )
        session.commit()
        items = _items(n_items, rng)
        repo = ItemRepository(session)
        t = time.perf_counter()
        for start in range(0, len(items), 1000):
            repo.add_many(items[start : start + 1000], now=T0)
            session.commit()
        ingest = time.perf_counter() - t
        figures["ingest_items_per_s"] = round(n_items / ingest)
        t = time.perf_counter()
        for start in range(0, 2000, 100):
            repo.add_many(items[start : start + 100], now=T0)
            session.commit()
        figures["recheck_duplicates_per_s"] = round(2000 / (time.perf_counter() - t))
        figures["events"] = repo.count_events()
        t = time.perf_counter()
        for it in items[-200:]:
            repo.add(it, now=T0)
            session.commit()
        figures["single_add_duplicate_ms"] = round((time.perf_counter() - t) / 200 * 1000, 2)

        _seed_cases(session, n_cases, rng, now, open_only=False)
        figures["duty_board_ms"] = round(_time(lambda: queries.duty_board(session, now))[0] * 1000, 1)
        figures["duty_board_unit_ms"] = round(
            _time(lambda: queries.duty_board(session, now, unit_ids=UNITS[:3]))[0] * 1000, 1
        )
        start, end = now - timedelta(days=90), now
        figures["timeliness_stats_ms"] = round(
            _time(lambda: queries.timeliness_stats(session, start, end, now))[0] * 1000, 1
        )
        figures["trends_ms"] = round(_time(lambda: queries.trends(session, start, end, now))[0] * 1000, 1)
        some_case = session.execute(text("SELECT MIN(id) FROM cases")).scalar_one()
        figures["case_detail_ms"] = round(_time(lambda: queries.case_detail(session, some_case))[0] * 1000, 1)
        big_event = session.execute(
            text("SELECT id FROM events ORDER BY item_count DESC LIMIT 1")
        ).scalar_one()
        figures["event_spread_ms"] = round(
            _time(lambda: queries.event_spread(session, big_event))[0] * 1000, 1
        )

        _seed_cases(session, n_sweep, rng, now, open_only=True)
        cases_repo = CaseRepository(session)
        secs, views = _time(lambda: cases_repo.sweep_views(now), repeat=3)
        figures["sweep_views_s"] = round(secs, 3)
        del views
        tracemalloc.start()  # a separate run: tracing allocations slows the code several times
        views = cases_repo.sweep_views(now)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        figures["sweep_views_rows"] = len(views)
        figures["sweep_views_peak_mb"] = round(peak / 1e6, 1)
    engine.dispose()
    return figures


def main() -> int:
    """Parse arguments, run on each database, print the table and the JSON line."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--sweep-cases", type=int, default=100_000)
    parser.add_argument("--url", action="append", default=[], help="database URL (repeatable)")
    parser.add_argument(
        "--sqlite", action="store_true", help="run on a temporary SQLite file (default without --url/--pg)"
    )
    parser.add_argument(
        "--pg",
        action="store_true",
        help="also start a private PostgreSQL cluster (as the tests do) and run on it",
    )
    args = parser.parse_args()
    results = []
    cluster = None
    with tempfile.TemporaryDirectory() as tmp:
        urls = list(args.url)
        if args.sqlite or not (args.url or args.pg):
            urls.insert(0, f"sqlite:///{Path(tmp) / 'bench.db'}")
        try:
            if args.pg:
                from tests.conftest import _start_cluster

                cluster = _start_cluster()
                urls.append(cluster.url(cluster.new_database(prefix="bench")))
            for url in urls:
                results.append(run(url, args.items, args.cases, args.sweep_cases))
        except BaseException as exc:  # report and fail: the bench could not measure
            print(f"benchmark failed: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 1
        finally:
            if cluster is not None:
                from tests.conftest import _stop_cluster

                _stop_cluster(cluster)
    keys = [k for k in results[0] if k != "backend"]
    print(f"{'figure':32}" + "".join(f"{r['backend']:>14}" for r in results))
    for key in keys:
        print(f"{key:32}" + "".join(f"{r[key]!s:>14}" for r in results))
    print(
        json.dumps(
            {"items": args.items, "cases": args.cases, "sweep_cases": args.sweep_cases, "results": results}
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
