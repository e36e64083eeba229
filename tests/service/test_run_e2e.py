"""The real `yuqing run` in a subprocess against loopback feed and webhook servers.

1. A new feed entry about a serious accident in the sample unit's jurisdiction becomes a case with
   the right clocks; the 50 % warning reaches the webhook at the right (scaled) time; a response
   recorded through the CLI meets the clock; SIGTERM stops the process cleanly.
2. SIGKILL in the middle of ingesting 10,000 items, then a restart: every item stored once, one case
   per event and unit, no clock restarted, no notice sent twice.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from service.replay import ReplayFeed, ReplayItem, ReplayServer
from storage.db import make_engine
from tests.responder.servers import WebhookServer

ROOT = Path(__file__).resolve().parents[2]
ACCIDENT = (
    "今天上午8时40分许，示例市示例区长安路与和平街交叉口，一辆大客车与一辆重型货车相撞，事故已造成12人死亡、"
    "18人受伤，其中5人重伤。示例区人民政府已启动应急预案，伤员已送往医院救治，事故原因正在调查中。"
)


def write_config(tmp_path: Path, feed_url: str, hook_port: int, *, poll_s: int = 1) -> Path:
    path = tmp_path / "yuqing.toml"
    path.write_text(
        f"""
[settings]
var_dir = "var"
[settings.notify]
urls = ["json://127.0.0.1:{hook_port}/hook"]
[settings.scheduler]
sweep_interval_s = 1
classify_interval_s = 1
lease_ttl_s = 6
[settings.crawl]
download_delay_s = 0

[[unit]]
id = "shili-gov"
name = "示例市示例区人民政府"
jurisdiction = "示例市示例区"
aliases = ["示例区人民政府"]

[[source]]
id = "news"
name = "示例新闻网"
url = "{feed_url}"
poll_interval_s = {poll_s}
""",
        encoding="utf-8",
    )
    return path


def yuqing(config: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "service.cli", "--config", str(config), *args],
        capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def start_run(config: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    handle = log.open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "service.cli", "--config", str(config), "run", "--no-dashboard"],
        stdout=handle, stderr=subprocess.STDOUT, env=env, cwd=ROOT,
    )


def wait_for(predicate: Callable[[], bool], timeout: float, what: str, proc: subprocess.Popen[bytes] | None = None,
             log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if proc is not None and proc.poll() is not None:
            break
        time.sleep(0.2)
    tail = log.read_text(encoding="utf-8", errors="replace")[-6000:] if log else ""
    pytest.fail(f"timed out waiting for {what}\n{tail}")


def scalar(db: Path, sql: str) -> int:
    engine = make_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as connection:
            return int(connection.execute(text(sql)).scalar_one())
    finally:
        engine.dispose()


@pytest.fixture
def hook() -> Iterator[WebhookServer]:
    with WebhookServer(200) as server:
        yield server


@pytest.mark.slow
def test_run_end_to_end_with_scaled_clock(tmp_path: Path, hook: WebhookServer) -> None:
    feed = ReplayFeed([])
    server = ReplayServer(feed).start()
    config = write_config(tmp_path, server.feed_url, hook.port)
    db = tmp_path / "var" / "yuqing.db"
    scale = 120.0  # one hour passes in 30 seconds
    origin = time.time()
    env = {**os.environ, "YUQING_TIME_SCALE": str(scale), "YUQING_TIME_ORIGIN": str(origin)}
    env.pop("YUQING_DATABASE_URL", None)
    env.pop("YUQING_CONFIG", None)
    log = tmp_path / "run.log"
    yuqing(config, "init", env=env)
    proc = start_run(config, env, log)
    try:
        wait_for(lambda: scalar(db, "select count(*) from service_state where key = 'last_sweep'") > 0, 60,
                 "the first sweep", proc, log)
        feed.add_now(ReplayItem("acc", "示例区长安路发生一起重大交通事故 已致12人死亡", ACCIDENT, 0))
        wait_for(lambda: scalar(db, "select count(*) from cases") > 0, 30, "a case", proc, log)
        [case] = [json.loads(line) for line in yuqing(config, "case", "list", "--json", env=env).splitlines()]
        assert case["unit"] == "shili-gov" and case["grade"] == "重大"
        clocks = {c["kind"]: c for c in case["clocks"]}
        facts = clocks["发布事实信息"]
        assert set(clocks) == {"发布事实信息", "召开新闻发布会"}
        started = datetime.fromisoformat(facts["started_at"])
        assert datetime.fromisoformat(facts["due_at"]) - started == timedelta(hours=1)
        assert datetime.fromisoformat(clocks["召开新闻发布会"]["due_at"]) - started == timedelta(hours=24)

        # The 50 % warning (30 scaled minutes after the start) arrives at the webhook, not before.
        wait_for(lambda: bool(hook.inbox.messages), 40, "the warning at the webhook", proc, log)
        arrived = datetime.fromtimestamp(origin + (time.time() - origin) * scale, UTC)
        assert arrived >= started + timedelta(minutes=30)
        assert arrived < started + timedelta(minutes=60)
        first = hook.inbox.messages[0]["json"]
        assert "预警" in first["title"] and "发布事实信息" in first["title"] + first["message"]

        # A response recorded through the CLI (same scaled clock) meets the clock on time.
        out = yuqing(config, "case", "respond", str(case["id"]), "--method", "发布权威信息", "--channel", "政务微博",
                     "--link", "https://weibo.example/1", "--actor", "值班员甲", env=env)
        assert "已按时回应" in out
        shown = json.loads(yuqing(config, "case", "show", str(case["id"]), "--json", env=env))
        met = {c["kind"]: c["state"] for c in shown["clocks"]}
        assert met["发布事实信息"] == "met"
        status = yuqing(config, "status", env=env)
        assert "运行中" in status
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
        server.stop()
    assert code == 0
    assert "已停止" in log.read_text(encoding="utf-8")


def burst_items(n: int) -> list[ReplayItem]:
    """n distinct items: mostly neutral local news, every 50th a serious accident with a 40-minute lag."""
    places = ["长安路", "和平街", "幸福小区", "滨江公园", "实验中学", "人民医院", "火车站", "高新园区"]
    out = []
    for i in range(n):
        place = places[i % len(places)]
        if i % 50 == 0:
            title = f"示例区{place}第{i}号路口发生交通事故 已致{10 + i % 7}人死亡"
            body = f"编号{i}：示例市示例区{place}附近发生一起交通事故，已造成{10 + i % 7}人死亡，事故原因正在调查。"
            out.append(ReplayItem(f"b{i}", title, body, 0, lag_s=2400))
        else:
            title = f"示例区{place}开展第{i}期便民活动"
            body = f"第{i}期：示例区在{place}开展便民服务活动，参与群众{i % 300 + 20}人次，活动编号{i * 7919 % 100000}。"
            out.append(ReplayItem(f"b{i}", title, body, 0))
    return out


@pytest.mark.slow
def test_crash_mid_ingest_loses_and_duplicates_nothing(tmp_path: Path, hook: WebhookServer) -> None:
    n = 10_000
    feed = ReplayFeed(burst_items(n))
    server = ReplayServer(feed).start()
    config = write_config(tmp_path, server.feed_url, hook.port, poll_s=2)
    db = tmp_path / "var" / "yuqing.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("YUQING_")}
    log = tmp_path / "run.log"
    yuqing(config, "init", env=env)
    proc = start_run(config, env, log)
    try:
        # Kill while items are still arriving or waiting for classification.
        wait_for(lambda: scalar(db, "select count(*) from items") >= 500, 180, "ingestion to start", proc, log)
        wait_for(lambda: scalar(db, "select count(*) from items where classified_at is not null") >= 50, 180,
                 "classification to start", proc, log)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        before_items = scalar(db, "select count(*) from items")
        unclassified = scalar(db, "select count(*) from items where classified_at is null")
        assert before_items < n or unclassified > 0, "the kill came too late to test anything"
        engine = make_engine(f"sqlite:///{db}")
        with engine.connect() as connection:
            clocks_before = {
                (row.case_id, row.kind, row.trg): (row.started_at, row.due_at)
                for row in connection.execute(text("select case_id, kind, trigger as trg, started_at, due_at from clocks"))
            }
        engine.dispose()

        proc = start_run(config, env, log)
        wait_for(lambda: scalar(db, "select count(*) from items") == n
                 and scalar(db, "select count(*) from items where classified_at is null") == 0,
                 300, "all items stored and classified after restart", proc, log)
        time.sleep(3)  # a few more sweeps
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
        server.stop()

    assert scalar(db, "select count(*) from items") == n
    assert scalar(db, "select count(distinct content_hash) from items") == n
    assert scalar(db, "select count(*) from (select event_id, unit_id from cases group by event_id, unit_id "
                      "having count(*) > 1) d") == 0
    # Every accident event has its case (similar short accident reports may share an event).
    accident_events = scalar(db, "select count(distinct event_id) from items where title like '%交通事故%'")
    assert accident_events > 0
    assert scalar(db, "select count(distinct event_id) from cases") == accident_events
    engine = make_engine(f"sqlite:///{db}")
    with engine.connect() as connection:
        for row in connection.execute(text("select case_id, kind, trigger as trg, started_at, due_at from clocks")):
            key = (row.case_id, row.kind, row.trg)
            if key in clocks_before:
                assert clocks_before[key] == (row.started_at, row.due_at), f"clock {key} restarted"
        keys = [r.key for r in connection.execute(text("select key from notices"))]
    engine.dispose()
    assert len(keys) == len(set(keys))
    received = Counter((m["json"] or {}).get("title", "") + (m["json"] or {}).get("message", "")
                       for m in hook.inbox.messages)
    assert hook.inbox.messages, "warnings were due and should have been sent"
    assert max(received.values()) == 1, "a notice was delivered twice"
