"""Detection latency: from an entry appearing in a polled feed to its open case on the duty board.

Starts the real `yuqing run --no-dashboard` (SQLite) against a loopback feed server, releases 50
entries about accidents in the sample jurisdiction at irregular moments, and watches the dashboard's
duty-board query (storage.queries.duty_board) until each one's case is visible. Prints p50/p95/max
and, last, one JSON line. Target: p95 ≤ poll interval + 2 s.

    .venv/bin/python bench/latency.py [--entries 50] [--poll 5]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from service.replay import ReplayFeed, ReplayItem, ReplayServer  # noqa: E402
from storage import queries  # noqa: E402
from storage.db import make_engine, session_factory  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=50)
    parser.add_argument("--poll", type=int, default=5, help="the source's poll interval (s)")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="yuqing-latency-"))
    feed = ReplayFeed([])
    server = ReplayServer(feed).start()
    config = workdir / "yuqing.toml"
    config.write_text(
        f"""
[settings]
var_dir = "var"
[settings.scheduler]
classify_interval_s = 1
sweep_interval_s = 5
[[unit]]
id = "shili-gov"
name = "示例市示例区人民政府"
jurisdiction = "示例市示例区"
[[source]]
id = "news"
name = "示例新闻网"
url = "{server.feed_url}"
poll_interval_s = {args.poll}
""",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("YUQING_")}
    cli = [sys.executable, "-m", "service.cli", "--config", str(config)]
    subprocess.run([*cli, "init"], check=True, env=env, cwd=ROOT, capture_output=True)
    log = (workdir / "run.log").open("wb")
    proc = subprocess.Popen([*cli, "run", "--no-dashboard"], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    engine = make_engine(f"sqlite:///{workdir / 'var' / 'yuqing.db'}")
    sessions = session_factory(engine)
    rng = random.Random(3)
    released: dict[str, float] = {}
    seen: dict[str, float] = {}
    try:
        time.sleep(3)  # let the first poll and sweep happen
        next_release = time.monotonic()
        deadline = time.monotonic() + args.entries * 2.5 + args.poll * 4 + 60
        while time.monotonic() < deadline and len(seen) < args.entries:
            now = time.monotonic()
            if len(released) < args.entries and now >= next_release:
                n = len(released)
                title = f"示例区第{n}号路口发生交通事故 已致{10 + n % 5}人死亡（{rng.randrange(10**6)}）"
                body = (f"第{n}起：示例市示例区第{n}号路口一辆货车与客车相撞，事故已造成{10 + n % 5}人死亡，"
                        f"事故编号{rng.randrange(10**9)}，原因正在调查。")
                feed.add_now(ReplayItem(f"lat-{n}", title, body, 0))
                released[title] = now
                next_release = now + rng.uniform(0.5, 2.5)
            with sessions() as session:
                rows = queries.duty_board(session, datetime.now(UTC), limit=500)
            stamp = time.monotonic()
            for row in rows:
                if row.case.title in released and row.case.title not in seen:
                    seen[row.case.title] = stamp
            time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        server.stop()
        engine.dispose()
    latencies = [seen[t] - released[t] for t in seen]
    if len(latencies) < args.entries:
        print(f"could not measure: only {len(latencies)} of {args.entries} cases appeared", file=sys.stderr)
        return 1
    p50, p95, worst = percentile(latencies, 0.5), percentile(latencies, 0.95), max(latencies)
    target = args.poll + 2
    print(f"{args.entries} entries, poll interval {args.poll} s, classification every 1 s")
    print(f"{'p50':>6} {'p95':>6} {'max':>6} {'target p95':>11}")
    print(f"{p50:>6.2f} {p95:>6.2f} {worst:>6.2f} {target:>11.1f}")
    print(json.dumps({"entries": args.entries, "poll_interval_s": args.poll, "p50_s": round(p50, 2),
                      "p95_s": round(p95, 2), "max_s": round(worst, 2), "target_p95_s": target, "ok": p95 <= target}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
