"""The README's run command: `yuqing --config demo/yuqing.toml run --demo` (what scripts/run.sh execs).

Run on a copy of the bundled demo (only the ports changed, so the test cannot collide with anything
on 8765/8501): it prints the dashboard address and three demo accounts, replays the sample feed on
127.0.0.1, the sample accident becomes a 重大 case, a printed account signs in to the dashboard in
headless Chromium and sees that case on the duty board, SIGINT stops everything with exit code 0, and
a second run keeps the first demo database aside and starts from an empty one.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.dashboard.test_browser import CHROMIUM, CHROMIUM_ARGS, _free_port
from tests.service.test_deployment_pg import dashboard_up, scalar, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


def demo_copy(tmp_path: Path, replay_port: int, dashboard_port: int) -> Path:
    """demo/ copied next to a var/ of its own, with the two ports replaced."""
    target = tmp_path / "demo"
    shutil.copytree(ROOT / "demo", target)
    config = target / "yuqing.toml"
    text = config.read_text(encoding="utf-8")
    assert "127.0.0.1:8765" in text and "[settings.dashboard]" not in text
    text = text.replace("127.0.0.1:8765", f"127.0.0.1:{replay_port}")
    config.write_text(text + f"\n[settings.dashboard]\nport = {dashboard_port}\n", encoding="utf-8")
    return config


def start_demo(config: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("YUQING_")}
    return subprocess.Popen(
        [sys.executable, "-m", "service.cli", "--config", str(config), "run", "--demo"],
        stdout=log.open("ab"), stderr=subprocess.STDOUT, env=env, cwd=ROOT,
    )


def stop(proc: subprocess.Popen[bytes]) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    try:
        return proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait(timeout=10)


def test_demo_runs_signs_in_and_restarts_from_an_empty_database(tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    port = _free_port()
    config = demo_copy(tmp_path, _free_port(), port)
    db = tmp_path / "var" / "yuqing.db"
    log = tmp_path / "demo.log"
    url = f"http://127.0.0.1:{port}"
    proc = start_demo(config, log)
    output = lambda: log.read_text(encoding="utf-8", errors="replace")  # noqa: E731
    try:
        wait_for(lambda: "Ctrl-C" in output(), 60, "the banner", output)
        accounts = dict(re.findall(r"账号 (\w+)\s+密码 (\S+)", output()))
        assert set(accounts) == {"zhiban", "lingdao", "admin"}
        assert url in output() and "演示数据" in output()
        wait_for(lambda: dashboard_up(url), 90, "the dashboard", output)
        wait_for(lambda: db.exists() and scalar(f"sqlite:///{db}", "select count(*) from cases where grade = '重大'") > 0,
                 90, "the sample accident's case", output)

        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                page = browser.new_page(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
                page.goto(url, wait_until="domcontentloaded")
                page.get_by_label("用户名 / Username").fill("zhiban")
                page.get_by_label("密码 / Password").fill(accounts["zhiban"])
                page.get_by_role("button", name="登录 / Sign in").click()
                expect(page.get_by_role("heading", name="值班台")).to_be_visible(timeout=30_000)
                expect(page.get_by_role("gridcell", name=re.compile("长安路.*交通事故"), include_hidden=True).first
                       ).to_be_attached(timeout=30_000)
            finally:
                browser.close()
    finally:
        code = stop(proc)
    assert code == 0, output()[-3000:]
    assert "已停止" in output()

    # A second run sets the first demo database aside (never deletes it) and starts empty.
    second = start_demo(config, log)
    try:
        wait_for(lambda: output().count("Ctrl-C") >= 2, 60, "the second banner", output)
        [kept] = [p for p in (tmp_path / "var").glob("yuqing.db.demo-*") if not p.name.endswith(("-wal", "-shm"))]
        assert scalar(f"sqlite:///{kept}", "select count(*) from cases") > 0  # the first run's work, kept
        assert scalar(f"sqlite:///{db}", "select count(*) from users") == 3  # a new database, new accounts
    finally:
        assert stop(second) == 0
