"""Benchmark the dashboard's queries: duty board and statistics on 100,000 items / 10,000 cases.

Seeds SQLite (a temporary file) and a private PostgreSQL cluster (started with initdb/pg_ctl in a
temporary directory, stopped afterwards), then times the queries the 值班台 and 统计 pages run.
Prints a table and, as the last line, one JSON object. Exit status 1 when a backend could not be measured.

    .venv/bin/python bench/dashboard.py [--items 100000] [--cases 10000] [--repeat 7] [--no-postgres]
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# This file is named like the package it measures: the project root must come before bench/ on the path.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() not in (ROOT, ROOT / "bench")]

from sqlalchemy import Engine, insert  # noqa: E402

from dashboard import data  # noqa: E402
from storage.db import make_engine, session_factory, upgrade  # noqa: E402
from storage.models import CaseRow, ClockRow, EventRow, ItemRow, ResponseRow, SourceRow, UnitRow  # noqa: E402

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
TARGET_MS = 200.0
GRADES = ["特别重大", "重大", "较大", "一般", None]
CATEGORIES = ["交通事故", "火灾", "投诉/诉求", "违纪违法/作风", "谣言", "食物中毒", "其他"]
OPEN = ["待确认", "处置中", "已回应"]
CHUNK = 2000


def _chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for i in range(0, len(rows), CHUNK):
        yield rows[i : i + CHUNK]


def seed(engine: Engine, n_items: int, n_cases: int, rng: random.Random) -> dict[str, int]:
    """Bulk-insert units, sources, events, items, cases, clocks and responses; return row counts."""
    units = [f"unit_{i}" for i in range(8)]
    sources = [f"src_{i}" for i in range(20)]
    counts = {"items": 0, "cases": 0, "clocks": 0, "responses": 0}
    with engine.begin() as conn:
        conn.execute(insert(UnitRow), [
            {"id": u, "name": f"示例单位{i}", "kind": "department", "jurisdiction": "示例市", "plan_id": "unit_default",
             "profile": {}, "updated_at": NOW} for i, u in enumerate(units)
        ])
        conn.execute(insert(SourceRow), [
            {"id": s, "name": f"示例来源{i}", "kind": "feed", "url": f"http://127.0.0.1/{s}", "config": {},
             "enabled": True, "consecutive_failures": 0, "health": "ok", "updated_at": NOW} for i, s in enumerate(sources)
        ])
        events = []
        opened_at: list[datetime] = []
        for e in range(n_cases):
            opened = NOW - timedelta(minutes=rng.randint(0, 180 * 24 * 60))
            opened_at.append(opened)
            events.append({
                "id": e + 1, "title": f"示例事件{e}", "first_seen_at": opened - timedelta(minutes=30),
                "first_online_at": opened - timedelta(minutes=30), "occurred_at": opened - timedelta(hours=1),
                "last_item_at": opened, "item_count": n_items // n_cases, "source_count": 3,
                "grade": None, "category": None,
            })
        for chunk in _chunks(events):
            conn.execute(insert(EventRow), chunk)
        items = []
        for i in range(n_items):
            e = i % n_cases
            at = opened_at[e] - timedelta(minutes=30) + timedelta(minutes=rng.randint(0, 600))
            digest = hashlib.sha256(str(i).encode()).hexdigest()
            items.append({
                "id": i + 1, "source_id": sources[i % len(sources)], "url": f"https://news.example.cn/{i}",
                "canonical_url": f"https://news.example.cn/{i}", "title": f"示例新闻标题{i}", "text": "正文" * 50,
                "author": "", "published_at": at, "fetched_at": at, "first_seen_at": at, "content_hash": digest,
                "fingerprint": int(digest[:15], 16), "language": "zh", "guid": "", "flags": [], "event_id": e + 1,
                "classified_at": at,
            })
        for chunk in _chunks(items):
            conn.execute(insert(ItemRow), chunk)
        counts["items"] = len(items)
        cases, clocks, responses = [], [], []
        response_id = 0
        for c in range(n_cases):
            opened = opened_at[c]
            grade = rng.choice(GRADES)
            recent = NOW - opened < timedelta(days=3)
            state = rng.choice(OPEN) if recent or rng.random() < 0.05 else rng.choice(["已办结", "误报/无需回应"])
            cases.append({
                "id": c + 1, "event_id": c + 1, "unit_id": units[c % len(units)], "state": state, "grade": grade,
                "trigger": grade or "其他政务舆情", "heavy_casualties": False, "category": rng.choice(CATEGORIES),
                "title": f"示例处置单{c}", "plan_id": "unit_default", "plan_version": "bench",
                "occurred_at": opened - timedelta(hours=1), "first_online_at": opened - timedelta(minutes=30),
                "discovered_at": opened, "opened_at": opened,
                "acknowledged_at": opened + timedelta(minutes=10) if state != "待确认" else None,
                "closed_at": opened + timedelta(hours=30) if state == "已办结" else None, "dismiss_reason": "",
                "updated_at": opened,
            })
            kinds = [("发布事实信息", 1.0), ("召开新闻发布会", 24.0)] if grade in ("特别重大", "重大") else [("回应", 48.0)]
            responded = state in ("已回应", "已办结") or (state == "处置中" and rng.random() < 0.3)
            first_response = opened + timedelta(minutes=rng.randint(5, 72 * 60)) if responded else None
            if first_response is not None:
                response_id += 1
                responses.append({
                    "id": response_id, "case_id": c + 1, "method": "发布权威信息", "channel": "政府网站",
                    "link": f"https://gov.example.cn/{c}", "text": "情况通报", "actor": "值班员",
                    "responded_at": min(first_response, NOW), "recorded_at": min(first_response, NOW),
                })
            for kind, hours in kinds:
                start = opened - timedelta(hours=1)
                due = start + timedelta(hours=hours)
                met = min(first_response, NOW) if first_response is not None else None
                if state == "误报/无需回应":
                    clock_state, met, superseded = "superseded", None, opened + timedelta(hours=2)
                elif met is not None:
                    clock_state, superseded = ("met" if met <= due else "met_late"), None
                else:
                    clock_state, superseded = ("breached" if due < NOW else "running"), None
                clocks.append({
                    "case_id": c + 1, "kind": kind, "basis": "occurred", "trigger": grade or "其他政务舆情",
                    "started_at": start, "due_at": due, "limit_value": hours, "limit_unit": "hours",
                    "plan_id": "unit_default", "plan_version": "bench", "citation": "示例依据", "met_by": ["发布权威信息"],
                    "repeats": False, "state": clock_state, "met_at": met,
                    "met_by_response_id": response_id if met is not None else None, "superseded_at": superseded,
                })
        for chunk in _chunks(cases):
            conn.execute(insert(CaseRow), chunk)
        for chunk in _chunks(responses):
            conn.execute(insert(ResponseRow), chunk)
        for chunk in _chunks(clocks):
            conn.execute(insert(ClockRow), chunk)
        counts.update(cases=len(cases), clocks=len(clocks), responses=len(responses))
    return counts


def timed(func: Callable[[], Any], repeat: int) -> dict[str, float]:
    """Median and max of `repeat` runs after one warm-up, in milliseconds."""
    func()
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        runs.append((time.perf_counter() - start) * 1000)
    return {"median_ms": round(statistics.median(runs), 1), "max_ms": round(max(runs), 1)}


def measure(url: str, repeat: int) -> dict[str, dict[str, float]]:
    """Time the duty board and the statistics queries on one database."""
    engine = make_engine(url)
    factory = session_factory(engine)
    results: dict[str, dict[str, float]] = {}

    def run(name: str, query: Callable[[Any], Any]) -> None:
        def once() -> Any:
            with factory() as session:
                return query(session)

        results[name] = timed(once, repeat)

    month = (NOW - timedelta(days=30), NOW + timedelta(days=1))
    half_year = (NOW - timedelta(days=181), NOW + timedelta(days=1))
    run("duty_board", lambda s: data.duty_board(s, data.BoardFilter()))
    run("duty_board_filtered", lambda s: data.duty_board(s, data.BoardFilter(units=("unit_1", "unit_2"),
                                                                            grades=("重大", "一般"))))
    run("duty_board_by_source", lambda s: data.duty_board(s, data.BoardFilter(sources=("src_3",))))
    run("statistics_30d", lambda s: data.statistics_for(s, month[0], month[1], NOW))
    run("statistics_180d_all", lambda s: data.statistics_for(s, half_year[0], half_year[1], NOW))
    run("case_detail", lambda s: data.case_detail(s, 4242))
    try:
        from storage import queries
    except ImportError:
        queries = None  # type: ignore[assignment]
    if queries is not None:
        if hasattr(queries, "duty_board"):
            run("storage.queries.duty_board", lambda s: queries.duty_board(s, NOW))
        if hasattr(queries, "timeliness_stats"):
            run("storage.queries.timeliness_stats_180d",
                lambda s: queries.timeliness_stats(s, half_year[0], half_year[1], NOW))
    engine.dispose()
    return results


@contextlib.contextmanager
def postgres() -> Iterator[str]:
    """A private PostgreSQL cluster (the test suite's start-up helper), yielding a fresh database URL."""
    from tests.conftest import _start_cluster, _stop_cluster

    cluster = _start_cluster()
    try:
        name = cluster.new_database(prefix="bench")
        yield cluster.url(name)
    finally:
        _stop_cluster(cluster)


def bench_one(label: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Migrate, seed and measure one database."""
    upgrade(url)
    engine = make_engine(url)
    start = time.perf_counter()
    counts = seed(engine, args.items, args.cases, random.Random(7))
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
    else:
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    seed_s = time.perf_counter() - start
    return {"backend": label, "seed_s": round(seed_s, 1), **counts, "queries": measure(url, args.repeat)}


def main() -> int:
    """Run the benchmark and print the table and the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()

    results: list[dict[str, Any]] = []
    errors: dict[str, str] = {}
    tmp = Path(tempfile.mkdtemp(prefix="yuqing-bench-dash-"))
    try:
        try:
            results.append(bench_one("sqlite", f"sqlite:///{tmp / 'bench.db'}", args))
        except Exception as exc:
            traceback.print_exc()
            errors["sqlite"] = f"{type(exc).__name__}: {exc}"
        if not args.no_postgres:
            try:
                with postgres() as url:
                    results.append(bench_one("postgresql", url, args))
            except BaseException as exc:  # pytest.fail raises a BaseException subclass
                if isinstance(exc, KeyboardInterrupt):
                    raise
                traceback.print_exc()
                errors["postgresql"] = f"{type(exc).__name__}: {exc}"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"\n仪表盘查询耗时 / dashboard query times ({args.items:,} items, {args.cases:,} cases; target < {TARGET_MS:.0f} ms)")
    print(f"{'backend':<11} {'query':<40} {'median ms':>10} {'max ms':>9}  ok")
    for result in results:
        for name, figures in result["queries"].items():
            ok = "✓" if figures["median_ms"] < TARGET_MS else "✗"
            print(f"{result['backend']:<11} {name:<40} {figures['median_ms']:>10.1f} {figures['max_ms']:>9.1f}  {ok}")
        print(f"{result['backend']:<11} {'(seeding, s)':<40} {result['seed_s']:>10.1f}")
    for backend, error in errors.items():
        print(f"{backend}: 无法测量 / could not measure: {error}")

    summary: dict[str, Any] = {"items": args.items, "cases": args.cases, "target_ms": TARGET_MS, "errors": errors}
    for result in results:
        q = result["queries"]
        summary[result["backend"]] = {
            "duty_board_ms": q["duty_board"]["median_ms"],
            "statistics_ms": q["statistics_30d"]["median_ms"],
            "statistics_180d_ms": q["statistics_180d_all"]["median_ms"],
            "queries": q,
            "rows": {k: result[k] for k in ("items", "cases", "clocks", "responses")},
        }
    print(json.dumps(summary, ensure_ascii=False))
    return 0 if results and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
