"""End to end in headless Chromium against a real `streamlit run dashboard/app.py` on 127.0.0.1.

Sign in, watch a case inserted while the page is open appear on the duty board, record a response on
its case page, see its clock met; screenshots go to test-artifacts/ (Chinese must render as glyphs).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import docx
import pytest
from sqlalchemy import select

from classifier.types import Grade
from responder.types import Trigger
from storage.db import make_engine, session_factory
from storage.models import ClockRow
from tests.dashboard.seed import PASSWORD, Seeded, add_case

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(seeded: Seeded, tmp_path: Path) -> Iterator[str]:
    """A real Streamlit server on the seeded database; stopped (by its pid) afterwards."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} missing: apt-get install -y chromium fonts-noto-cjk", pytrace=False)
    port = _free_port()
    env = {**os.environ, "YUQING_DATABASE_URL": seeded.url, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    log = (tmp_path / "streamlit.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "dashboard/app.py", "--server.address", "127.0.0.1",
         "--server.port", str(port), "--server.headless", "true", "--server.fileWatcherType", "none",
         "--browser.gatherUsageStats", "false", "--client.toolbarMode", "minimal"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(f"streamlit did not start: {(tmp_path / 'streamlit.log').read_text()[-2000:]}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


def _chinese_renders_as_glyphs(page) -> bool:  # type: ignore[no-untyped-def]
    """Draw a Chinese character and a private-use code point (always tofu/blank): they must differ."""
    return bool(
        page.evaluate(
            """() => {
                const draw = (ch) => {
                    const c = document.createElement('canvas'); c.width = 64; c.height = 64;
                    const g = c.getContext('2d'); g.font = '48px sans-serif'; g.fillStyle = '#000';
                    g.fillText(ch, 4, 52); return c.toDataURL();
                };
                return draw('值') !== draw('\\uE000') && draw('值') !== draw('班');
            }"""
        )
    )


def _sign_in(page, username: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_label("用户名 / Username").fill(username)
    page.get_by_label("密码 / Password").fill(PASSWORD)
    page.get_by_role("button", name="登录 / Sign in").click()


def test_sign_in_new_case_appears_response_meets_clock(server: str, seeded: Seeded) -> None:
    from playwright.sync_api import expect, sync_playwright

    if shutil.which("fc-list"):
        fonts = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, check=False).stdout
        assert fonts.strip(), "no Chinese font installed: apt-get install -y fonts-noto-cjk"
    ARTIFACTS.mkdir(exist_ok=True)
    dialogs: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(server, wait_until="domcontentloaded")
            _sign_in(page, "duty")
            expect(page.get_by_role("heading", name="值班台")).to_be_visible(timeout=30_000)
            metric = page.get_by_test_id("stMetric").filter(has_text="在办处置单")
            expect(metric).to_contain_text("3", timeout=20_000)
            assert _chinese_renders_as_glyphs(page)
            page.screenshot(path=str(ARTIFACTS / "01_duty_board.png"), full_page=True)

            # A new case arrives while the page is open (as the scheduler would write it).
            engine = make_engine(seeded.url)
            try:
                with session_factory(engine)() as session, session.begin():
                    new = add_case(
                        session, unit_id="shifan_qu", title="示例区化工厂爆炸事故", grade=Grade.MAJOR,
                        trigger=Trigger.MAJOR, opened=datetime.now(UTC) - timedelta(minutes=2),
                        occurred_before=timedelta(minutes=5),
                    )
            finally:
                engine.dispose()
            expect(metric).to_contain_text("4", timeout=30_000)  # the board refreshed by itself
            # The grid draws on a canvas; its accessible twin in the DOM carries the cell text.
            expect(page.get_by_role("gridcell", name="示例区化工厂爆炸事故", include_hidden=True).first).to_be_attached(timeout=15_000)
            page.screenshot(path=str(ARTIFACTS / "02_new_case_arrived.png"), full_page=True)

            page.goto(f"{server}/case?id={new.id}", wait_until="domcontentloaded")
            expect(page.get_by_label("用户名 / Username")).to_be_visible(timeout=30_000)
            # Opened directly, the page still runs through app.py's navigation (no file-named page list).
            assert page.get_by_role("link", name="case", exact=True).count() == 0
            _sign_in(page, "duty")  # a new browser session signs in on the page it opened
            expect(page.get_by_role("heading", name="示例区化工厂爆炸事故")).to_be_visible(timeout=30_000)
            page.get_by_role("tab", name="处置操作").click()
            page.get_by_label("链接").fill("https://www.example.gov.cn/tongbao/1")
            page.get_by_label("回应内容").fill("关于示例区化工厂爆炸事故的情况通报")
            page.get_by_role("button", name="提交回应").click()
            expect(page.get_by_text("满足时限：发布事实信息")).to_be_visible(timeout=30_000)
            state = page.get_by_test_id("stMetric").filter(has_text="状态")
            expect(state).to_contain_text("已回应", timeout=10_000)
            page.get_by_role("tab", name="时限").click()
            page.screenshot(path=str(ARTIFACTS / "03_response_recorded.png"), full_page=True)

            # The hostile title shows as text: no link to the hostile site, no script run.
            page.goto(f"{server}/case?id={seeded.case_ids['hostile']}", wait_until="domcontentloaded")
            _sign_in(page, "duty")
            expect(page.get_by_role("heading").filter(has_text="<script>")).to_be_visible(timeout=30_000)
            expect(page.get_by_test_id("stMetric").filter(has_text="状态")).to_contain_text("待确认", timeout=10_000)
            links = page.locator('a[href*="evil.example"]')
            assert links.count() == 0, [links.nth(i).evaluate("e => e.parentElement.outerHTML") for i in range(links.count())]
            assert page.locator("script:text('xss')").count() == 0
            page.screenshot(path=str(ARTIFACTS / "04_hostile_title_inert.png"), full_page=True)

            # The assessment report of that case downloads as a Word file that opens.
            page.get_by_role("link", name="评估报告").click()
            expect(page.get_by_role("heading", name="评估报告")).to_be_visible(timeout=30_000)
            with page.expect_download(timeout=30_000) as download:
                page.get_by_role("button", name="下载 Word（.docx）").click()
            report = docx.Document(str(download.value.path()))
            report_text = "\n".join(p.text for p in report.paragraphs)
            assert "四、评估意见" in report_text and "<script>alert('xss')</script>" in report_text
            page.screenshot(path=str(ARTIFACTS / "05_report_page.png"), full_page=True)
        finally:
            browser.close()
    assert dialogs == []
    engine = make_engine(seeded.url)
    try:
        with session_factory(engine)() as session:
            facts = session.execute(
                select(ClockRow).where(ClockRow.case_id == new.id, ClockRow.kind == "发布事实信息")
            ).scalar_one()
            assert facts.met_at is not None and facts.state == "met"
    finally:
        engine.dispose()
