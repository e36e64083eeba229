"""The documented PostgreSQL deployment (docs/deployment.md), as separate processes on a real server.

Configuration comes from the environment as the systemd units give it (YUQING_CONFIG,
YUQING_DATABASE_URL); `yuqing init` migrates the empty database; two `yuqing run --no-dashboard`
schedulers (one leads, one stands by) and one `yuqing run --dashboard-only` share it. A feed entry about
a serious accident becomes a case; a duty officer signs in to the dashboard process in headless
Chromium, sees the case and records a response, and the scheduler side (CLI) sees the clock met. When
the leader stops, the standby takes over. `yuqing db backup` runs while everything is up, and the
backup restores into a new database with the response and the audit trail intact. SIGTERM stops every
process with exit code 0.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from service.replay import ReplayFeed, ReplayItem, ReplayServer
from storage.db import make_engine
from tests.conftest import PgCluster
from tests.dashboard.test_browser import CHROMIUM, CHROMIUM_ARGS, _free_port
from tests.responder.servers import WebhookServer
from tests.service.test_run_e2e import ACCIDENT

pytestmark = [pytest.mark.postgres, pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "值班 correct horse 2026"


def write_config(tmp_path: Path, feed_url: str, hook_port: int, dashboard_port: int) -> Path:
    path = tmp_path / "etc" / "yuqing.toml"
    path.parent.mkdir()
    path.write_text(
        f"""
[settings]
var_dir = "{tmp_path / 'var'}"
[settings.notify]
urls = ["json://127.0.0.1:{hook_port}/hook"]
[settings.scheduler]
sweep_interval_s = 1
classify_interval_s = 1
lease_ttl_s = 5
[settings.crawl]
download_delay_s = 0
[settings.dashboard]
address = "127.0.0.1"
port = {dashboard_port}
refresh_s = 5

[[unit]]
id = "shili-gov"
name = "示例市示例区人民政府"
jurisdiction = "示例市示例区"

[[source]]
id = "news"
name = "示例新闻网"
url = "{feed_url}"
poll_interval_s = 1
""",
        encoding="utf-8",
    )
    return path


class Deployment:
    """The environment of the systemd units, and the processes started in it."""

    def __init__(self, config: Path, database_url: str, logs: Path) -> None:
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("YUQING_")}
        self.env.update(YUQING_CONFIG=str(config), YUQING_DATABASE_URL=database_url, DUTY_PASSWORD=PASSWORD)
        self.logs = logs
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def yuqing(self, *args: str, database_url: str | None = None, ok: bool = True) -> subprocess.CompletedProcess[str]:
        env = dict(self.env)
        if database_url is not None:
            env["YUQING_DATABASE_URL"] = database_url
        result = subprocess.run([sys.executable, "-m", "service.cli", *args], capture_output=True, text=True,
                                timeout=120, env=env, cwd=ROOT)
        if ok:
            assert result.returncode == 0, f"yuqing {' '.join(args)}: {result.stderr}"
        return result

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        handle = (self.logs / f"{name}.log").open("ab")
        proc = subprocess.Popen([sys.executable, "-m", "service.cli", *args], stdout=handle,
                                stderr=subprocess.STDOUT, env=self.env, cwd=ROOT)
        self.processes[name] = proc
        return proc

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(encoding="utf-8", errors="replace")

    def stop(self, name: str) -> int:
        proc = self.processes[name]
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait(timeout=10)

    def status(self) -> dict[str, object]:
        result = self.yuqing("status", "--json", ok=False)
        return dict(json.loads(result.stdout)) if result.stdout.strip() else {}


def wait_for(predicate: Callable[[], bool], timeout: float, what: str, logs: Callable[[], str] = lambda: "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    pytest.fail(f"timed out waiting for {what}\n{logs()[-6000:]}")


def scalar(url: str, sql: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text(sql)).scalar_one())
    finally:
        engine.dispose()


def dashboard_up(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@pytest.fixture
def hook() -> Iterator[WebhookServer]:
    with WebhookServer(200) as server:
        yield server


def test_separate_scheduler_and_dashboard_processes_on_postgres(
    pg_cluster: PgCluster, empty_pg_url: str, tmp_path: Path, hook: WebhookServer
) -> None:
    from playwright.sync_api import expect, sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} missing: apt-get install -y chromium fonts-noto-cjk", pytrace=False)
    feed = ReplayFeed([])
    server = ReplayServer(feed).start()
    port = _free_port()
    dashboard_url = f"http://127.0.0.1:{port}"
    config = write_config(tmp_path, server.feed_url, hook.port, port)
    logs = tmp_path / "logs"
    logs.mkdir()
    deploy = Deployment(config, empty_pg_url, logs)
    everything = lambda: "\n".join(f"== {n}\n{deploy.log(n)[-2000:]}" for n in deploy.processes)  # noqa: E731
    try:
        # Before `yuqing init` every command refuses the empty database with the command to run.
        refused = deploy.yuqing("status", ok=False)
        assert refused.returncode != 0 and "yuqing init" in refused.stderr
        assert "已初始化" in deploy.yuqing("init").stdout
        deploy.yuqing("user", "add", "zhiban", "--role", "值班员", "--name", "值班员甲", "--password-env", "DUTY_PASSWORD")

        deploy.start("scheduler-a", "run", "--no-dashboard")
        wait_for(lambda: "取得调度租约" in deploy.log("scheduler-a"), 60, "scheduler a to lead", everything)
        deploy.start("scheduler-b", "run", "--no-dashboard")
        deploy.start("dashboard", "run", "--dashboard-only")
        wait_for(lambda: "待命" in deploy.log("scheduler-b"), 60, "scheduler b to stand by", everything)
        wait_for(lambda: dashboard_up(dashboard_url), 90, "the dashboard process", everything)
        status = deploy.status()
        assert status["scheduler_alive"] is True
        assert f":{deploy.processes['scheduler-a'].pid}:" in str(status["holder"])
        assert "取得调度租约" not in deploy.log("scheduler-b")

        feed.add_now(ReplayItem("acc", "示例区长安路发生一起重大交通事故 已致12人死亡", ACCIDENT, 0))
        wait_for(lambda: scalar(empty_pg_url, "select count(*) from cases") > 0, 60, "a case", everything)
        [case] = [json.loads(line) for line in deploy.yuqing("case", "list", "--json").stdout.splitlines()]
        assert case["grade"] == "重大" and {c["kind"] for c in case["clocks"]} == {"发布事实信息", "召开新闻发布会"}

        # The duty officer works in the dashboard process.
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                page = browser.new_page(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
                page.goto(f"{dashboard_url}/case?id={case['id']}", wait_until="domcontentloaded")
                page.get_by_label("用户名 / Username").fill("zhiban")
                page.get_by_label("密码 / Password").fill(PASSWORD)
                page.get_by_role("button", name="登录 / Sign in").click()
                expect(page.get_by_role("heading").filter(has_text="交通事故").first).to_be_visible(timeout=30_000)
                page.get_by_role("tab", name="处置操作").click()
                page.get_by_label("链接").fill("https://www.example.gov.cn/tongbao/2")
                page.get_by_label("回应内容").fill("关于示例区长安路交通事故的情况通报")
                page.get_by_role("button", name="提交回应").click()
                expect(page.get_by_text("满足时限：发布事实信息")).to_be_visible(timeout=30_000)
            finally:
                browser.close()

        shown = json.loads(deploy.yuqing("case", "show", str(case["id"]), "--json").stdout)
        assert {c["kind"]: c["state"] for c in shown["clocks"]}["发布事实信息"] == "met"
        assert [r["actor"] for r in shown["responses"]] == ["值班员甲"]  # recorded by the signed-in officer

        # Failover: the leader stops, the standby takes the lease and carries on.
        assert deploy.stop("scheduler-a") == 0
        wait_for(lambda: "取得调度租约" in deploy.log("scheduler-b"), 30, "scheduler b to take over", everything)
        wait_for(lambda: f":{deploy.processes['scheduler-b'].pid}:" in str(deploy.status().get("holder")),
                 30, "status to name scheduler b", everything)

        # An online backup while the scheduler and the dashboard run, restored into a new database.
        backup_file = tmp_path / "backups" / "yuqing.dump"
        assert "已备份" in deploy.yuqing("db", "backup", str(backup_file)).stdout
        restored_url = pg_cluster.url(pg_cluster.new_database(prefix="restored"))
        assert "已恢复" in deploy.yuqing("db", "restore", str(backup_file), database_url=restored_url).stdout
        again = deploy.yuqing("db", "restore", str(backup_file), database_url=restored_url, ok=False)
        assert again.returncode == 1 and "不是空的" in again.stderr
        restored = json.loads(deploy.yuqing("case", "show", str(case["id"]), "--json", database_url=restored_url).stdout)
        assert restored["clocks"] == shown["clocks"] and restored["responses"] == shown["responses"]
        recorded = "select count(*) from audit_log where action = 'response_recorded' and actor = 'zhiban'"
        assert scalar(restored_url, recorded) == scalar(empty_pg_url, recorded) == 1
    finally:
        codes = {name: deploy.stop(name) for name in list(deploy.processes)}
        server.stop()
    assert codes == dict.fromkeys(codes, 0), everything()
    assert "已停止" in deploy.log("scheduler-b") and "已停止" in deploy.log("dashboard")
