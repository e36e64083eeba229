"""Benchmark: responder.escalation.evaluate over 100,000 clock views (pure, no database).

Scenarios: steady state (storage filled last_notice_for, 1 % of clocks crossed a new threshold: what
a sweep every minute sees), a mix where nothing was sent yet (first sweep after an import), and the
worst case where every view owes a notice. "ok" judges the steady state against the 1 s target.

Prints a table and, as the last line, one JSON object with the figures. Exit 1 if it could not measure.
"""

from __future__ import annotations

import json
import random
import sys
import time
import tracemalloc
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from classifier.types import Grade
from responder.escalation import EscalationPolicy, evaluate
from responder.types import CaseState, ClockKind, ClockState, ClockView

N = 100_000
NOW = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)


def make_views(n: int, seed: int, all_due: bool) -> list[ClockView]:
    """A realistic mix (or, with all_due, views that all owe a notice now)."""
    rng = random.Random(seed)
    kinds = list(ClockKind)
    grades = [*Grade, None]
    views = []
    for i in range(n):
        span = timedelta(hours=rng.choice((1, 5, 24, 48, 72)))
        # Position of `now` within the clock, as a fraction of its span (>1: past due).
        pos = rng.uniform(0.5, 3.0) if all_due else rng.uniform(0.0, 2.0)
        started = NOW - span * pos
        due = started + span
        acked = started + span * rng.uniform(0, 1.5) if rng.random() < 0.4 else None
        views.append(
            ClockView(
                case_id=i // 2 + 1,
                clock_id=i + 1,
                unit_id=f"U{i % 50}",
                case_title=f"测试事件{i}",
                case_state=CaseState.ACKNOWLEDGED if acked else CaseState.NEW,
                grade=grades[i % len(grades)],
                kind=kinds[i % len(kinds)],
                state=ClockState.BREACHED if due < NOW else ClockState.RUNNING,
                started_at=started,
                due_at=due,
                acknowledged_at=acked,
            )
        )
    return views


def steady(views: list[ClockView], policy: EscalationPolicy, fresh_every: int = 100) -> list[ClockView]:
    """The same views after an earlier sweep recorded their notices (storage fills last_notice_for);
    one in `fresh_every` has crossed a new threshold since."""
    notices = {n.clock_id: n.created_for for n in evaluate(views, NOW, policy)}
    out = []
    for v in views:
        last = notices.get(v.clock_id)
        if last is not None and v.clock_id % fresh_every == 0:
            last = last - timedelta(minutes=1) if last - timedelta(minutes=1) > v.started_at else None
        out.append(replace(v, last_notice_for=last))
    return out


def measure(views: list[ClockView], policy: EscalationPolicy, runs: int = 5) -> tuple[float, float, int]:
    """Best wall-clock and best CPU seconds over `runs` (CPU time is less disturbed by a busy machine)."""
    best_wall = best_cpu = float("inf")
    count = 0
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        notices = evaluate(views, NOW, policy)
        best_cpu = min(best_cpu, time.process_time() - cpu)
        best_wall = min(best_wall, time.perf_counter() - wall)
        count = len(notices)
    return best_wall, best_cpu, count


def main() -> int:
    policy = EscalationPolicy()
    mixed = make_views(N, 1, all_due=False)
    due = make_views(N, 2, all_due=True)
    mixed_s, mixed_cpu, mixed_n = measure(mixed, policy)
    due_s, due_cpu, due_n = measure(due, policy)
    steady_s, steady_cpu, steady_n = measure(steady(mixed, policy), policy)
    tracemalloc.start()
    evaluate(due, NOW, policy)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    if mixed_n == 0 or due_n == 0 or steady_n == 0:
        print("no notices produced: the benchmark did not measure anything", file=sys.stderr)
        return 1
    rows = [
        ("steady state (sent before)", N, steady_n, steady_s, steady_cpu),
        ("mixed, nothing sent yet", N, mixed_n, mixed_s, mixed_cpu),
        ("every view owes a notice", N, due_n, due_s, due_cpu),
    ]
    print(f"{'scenario':<28}{'views':>10}{'notices':>10}{'wall s (best/5)':>17}{'CPU s':>8}{'µs/view':>9}")
    for name, views, notices, secs, cpu in rows:
        print(f"{name:<28}{views:>10,}{notices:>10,}{secs:>17.3f}{cpu:>8.3f}{cpu / views * 1e6:>9.2f}")
    import os

    print(f"CPUs: {os.cpu_count()}, load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"peak memory of one evaluate over the notice-heavy set: {peak / 1e6:.1f} MB")
    print(
        json.dumps(
            {
                "views": N,
                "steady_seconds": round(steady_s, 4),
                "steady_cpu_seconds": round(steady_cpu, 4),
                "steady_notices": steady_n,
                "mixed_seconds": round(mixed_s, 4),
                "mixed_cpu_seconds": round(mixed_cpu, 4),
                "mixed_notices": mixed_n,
                "all_due_seconds": round(due_s, 4),
                "all_due_cpu_seconds": round(due_cpu, 4),
                "all_due_notices": due_n,
                "peak_mb_all_due": round(peak / 1e6, 1),
                "target_seconds": 1.0,
                "ok": steady_s < 1.0,
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
