"""Benchmark one escalation sweep (service.jobs.sweep_deadlines) over 100,000 open cases on SQLite.

Seeds a fresh SQLite database with N open cases (default 100,000) opened over the last 47 hours,
each with a 48-hour response clock, and one case in twenty also with a 1-hour facts clock (an
emergency), so every minute some clocks cross their 50 %/80 % thresholds or breach, the way a
very busy office would see it. Runs one catch-up sweep (everything already past a threshold),
then times steady-state sweeps one simulated minute apart, and reports peak memory (RSS).
Target: one sweep < 2 s. Prints a table and, as the last line, one JSON object with the figures.

    .venv/bin/python bench/sweep.py [--cases 100000] [--url sqlite:///path.db]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from responder.types import CaseState, ClockKind, ClockState, LimitUnit, StartBasis, Trigger
from service import jobs
from service.context import AppContext
from service.settings import load_config
from service.sync import sync_config
from storage.db import upgrade
from storage.models import CaseRow, ClockRow, EventRow, tbl

UNITS = ["u0", "u1", "u2", "u3", "u4"]


def seed(context: AppContext, n: int, now: datetime, rng: random.Random) -> None:
    """Bulk-insert events, open cases and two clocks each (seeding speed is not measured)."""
    with context.session() as session:
        for start in range(0, n, 5000):
            events, cases, clocks = [], [], []
            for i in range(start, min(n, start + 5000)):
                began = now - timedelta(seconds=rng.randrange(0, 47 * 3600))
                events.append({"id": i + 1, "title": f"事件{i}", "first_seen_at": began, "first_online_at": began,
                               "occurred_at": None, "last_item_at": began, "item_count": 1, "source_count": 1,
                               "representative_item_id": None, "grade": "重大", "category": "交通事故"})
                cases.append({"id": i + 1, "event_id": i + 1, "unit_id": UNITS[i % len(UNITS)],
                              "state": CaseState.NEW.value, "grade": "重大", "trigger": Trigger.MAJOR.value,
                              "heavy_casualties": False, "category": "交通事故", "title": f"事件{i}",
                              "plan_id": "unit_default", "plan_version": "bench", "occurred_at": None,
                              "first_online_at": began, "discovered_at": began, "opened_at": began,
                              "acknowledged_at": None, "closed_at": None, "dismiss_reason": "", "updated_at": began})
                kinds = [(ClockKind.RESPONSE, 48, Trigger.MAJOR)]
                if i % 20 == 0:
                    kinds.append((ClockKind.FACTS, 1, Trigger.MAJOR))
                for kind, hours, trigger in kinds:
                    clocks.append({"case_id": i + 1, "kind": kind.value, "basis": StartBasis.FIRST_ONLINE.value,
                                   "trigger": trigger.value, "started_at": began, "due_at": began + timedelta(hours=hours),
                                   "limit_value": float(hours), "limit_unit": LimitUnit.HOURS.value,
                                   "plan_id": "unit_default", "plan_version": "bench", "citation": "bench",
                                   "met_by": ["发布权威信息"], "repeats": False, "state": ClockState.RUNNING.value,
                                   "met_at": None, "met_by_response_id": None, "superseded_at": None})
            session.execute(tbl(EventRow).insert(), events)
            session.execute(tbl(CaseRow).insert(), cases)
            session.execute(tbl(ClockRow).insert(), clocks)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--url", help="database URL (default: a fresh SQLite file)")
    parser.add_argument("--steady", type=int, default=5, help="steady-state sweeps to time")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="yuqing-bench-sweep-"))
    config_file = workdir / "yuqing.toml"
    units = "".join(f'[[unit]]\nid = "{u}"\nname = "单位{u}"\njurisdiction = "示例市"\n' for u in UNITS)
    config_file.write_text(units, encoding="utf-8")
    url = args.url or f"sqlite:///{workdir / 'sweep.db'}"
    context = AppContext(load_config(config_file, env={"YUQING_DATABASE_URL": url}))
    upgrade(url)
    with context.session() as session:
        sync_config(session, context.config)
    now = datetime.now(UTC).replace(microsecond=0)
    t = time.perf_counter()
    seed(context, args.cases, now, random.Random(1))
    seed_s = time.perf_counter() - t

    rows: list[tuple[str, float, Any]] = []
    t = time.perf_counter()
    catch_up = jobs.sweep_deadlines(context, now)
    rows.append(("catch-up sweep (first, all thresholds already passed)", time.perf_counter() - t, catch_up))
    steady: list[float] = []
    for minute in range(1, args.steady + 1):
        t = time.perf_counter()
        report = jobs.sweep_deadlines(context, now + timedelta(minutes=minute))
        steady.append(time.perf_counter() - t)
        rows.append((f"steady sweep +{minute} min", steady[-1], report))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if not steady or catch_up.clocks < args.cases:
        print(f"could not measure: sweep saw {catch_up.clocks} clocks for {args.cases} cases", file=sys.stderr)
        return 1

    print(f"seeded {args.cases:,} open cases in {seed_s:.1f} s on {url.split(':')[0]}")
    print(f"{'sweep':<56} {'seconds':>8} {'clocks':>8} {'notices':>8}")
    for name, seconds, report in rows:
        print(f"{name:<56} {seconds:>8.3f} {report.clocks:>8} {report.notices:>8}")
    steady_s = sorted(steady)[len(steady) // 2]
    print(f"median steady-state sweep: {steady_s:.3f} s (target < 2 s); peak RSS {peak_mb:.0f} MB")
    print(json.dumps({"open_cases": args.cases, "clocks": catch_up.clocks, "catch_up_sweep_s": round(rows[0][1], 3),
                      "catch_up_notices": catch_up.notices, "steady_sweep_s": round(steady_s, 3),
                      "steady_notices_per_sweep": round(sum(r[2].notices for r in rows[1:]) / len(steady), 1),
                      "peak_rss_mb": round(peak_mb, 1), "target_s": 2.0, "ok": steady_s < 2.0}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
