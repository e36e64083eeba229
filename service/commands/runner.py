"""`yuqing run` (scheduler + dashboard), `yuqing status`, `yuqing replay` (sample feed server)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from service.cli import CommandError, config_from_args
from service.context import AppContext

log = logging.getLogger("yuqing.run")
DASHBOARD_APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"
DEMO_USERS = (("zhiban", "值班员", "duty"), ("lingdao", "领导", "leader"), ("admin", "管理员", "admin"))


def register(subparsers: Any) -> None:
    """Add this module's subcommands."""
    run = subparsers.add_parser("run", help="启动调度与看板 / run the scheduler and the dashboard")
    run.add_argument("--demo", action="store_true",
                     help="演示：在 127.0.0.1 回放示例信息源、使用全新演示数据库并创建演示账号（打印出来）")
    run.add_argument("--no-dashboard", action="store_true", help="只运行调度（看板另行部署）/ scheduler only")
    run.add_argument("--dashboard-only", action="store_true", help="只运行看板 / dashboard only")
    run.set_defaults(handler=cmd_run)

    status = subparsers.add_parser("status", help="运行状态 / is the scheduler alive, last sweep, failing sources")
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=cmd_status)

    replay = subparsers.add_parser("replay", help="在 127.0.0.1 回放示例条目 / serve sample items as a feed")
    replay.add_argument("--items", type=Path, default=Path("demo/items.toml"))
    replay.add_argument("--port", type=int, default=8765)
    replay.add_argument("--speed", type=float, default=1.0, help="回放速度倍数")
    replay.set_defaults(handler=cmd_replay)


# ---------------------------------------------------------------- run


def cmd_run(args: argparse.Namespace) -> int:
    """Run the whole system until SIGINT/SIGTERM; SIGHUP reloads the config."""
    from service.logs import setup_logging
    from service.scheduler import Runner

    config = config_from_args(args)
    context = AppContext(config)
    _ = context.plans
    setup_logging(config.log_file)
    replay = None
    credentials: list[tuple[str, str, str]] = []
    if args.demo:
        replay = _start_demo_replay(config)
        _fresh_demo_database(context)
    else:
        context.check_schema()
    from service.sync import sync_config

    with context.session() as session:
        sync_config(session, config)
    if args.demo:
        credentials = _demo_users(context)

    dashboard: subprocess.Popen[bytes] | None = None
    settings = config.file.settings.dashboard
    if not args.no_dashboard:
        dashboard = start_dashboard(context, settings.address, settings.port)
    _banner(context, credentials, dashboard is not None)
    warning = context.calendar_warning(datetime.now(ZoneInfo(config.file.settings.timezone)).date())
    if warning:
        log.warning(warning)

    runner = Runner(context) if not args.dashboard_only else None

    def stop(signum: int, _frame: Any) -> None:
        log.info("收到信号 %s，正在停止…… / stopping", signal.Signals(signum).name)
        if runner is not None:
            runner.stop()
        else:
            raise SystemExit(0)

    def reload(_signum: int, _frame: Any) -> None:
        if runner is None:
            return
        try:
            fresh = AppContext(config_from_args(args))
            _ = fresh.plans
            runner.reload(fresh)
        except Exception as exc:  # a broken edit must not stop a running system
            log.error("重新载入配置失败，继续使用原配置：%s", exc)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, reload)
    try:
        if runner is not None:
            runner.run_until_stopped()
        elif dashboard is not None:
            dashboard.wait()
    finally:
        if dashboard is not None and dashboard.poll() is None:
            dashboard.terminate()
            try:
                dashboard.wait(timeout=10)
            except subprocess.TimeoutExpired:
                dashboard.kill()
        if replay is not None:
            replay.stop()
        context.dispose()
        log.info("已停止 / stopped")
    return 0


def start_dashboard(context: AppContext, address: str, port: int) -> subprocess.Popen[bytes]:
    """Launch `streamlit run dashboard/app.py` with the database URL and plan files in its environment."""
    env = dict(os.environ)
    env["YUQING_DATABASE_URL"] = context.config.database_url
    env["YUQING_PLAN_PATHS"] = os.pathsep.join(str(p) for p in context.config.plan_paths)
    env["YUQING_REFRESH_S"] = str(context.config.file.settings.dashboard.refresh_s)
    command = [
        sys.executable, "-m", "streamlit", "run", str(DASHBOARD_APP),
        "--server.address", address, "--server.port", str(port), "--server.headless", "true",
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none", "--client.toolbarMode", "minimal",
    ]
    log.info("启动看板 http://%s:%d", address, port)
    return subprocess.Popen(command, env=env)


def _start_demo_replay(config: Any) -> Any:
    from service.replay import ReplayFeed, ReplayServer, load_items

    items_file = config.base_dir / "items.toml"
    if not items_file.exists():
        raise CommandError(f"{items_file}: 演示条目文件不存在")
    feed_sources = [s for s in config.sources() if s.url.startswith("http://127.0.0.1")]
    port = urlsplit(feed_sources[0].url).port if feed_sources else 8765
    try:
        server = ReplayServer(ReplayFeed(load_items(items_file)), port=port or 8765).start()
    except OSError as exc:
        raise CommandError(f"无法在 127.0.0.1:{port} 启动演示回放服务：{exc.strerror}（端口被占用？）") from None
    log.info("示例信息源回放：%s（示例数据）", server.feed_url)
    return server


def _fresh_demo_database(context: AppContext) -> None:
    """The demo starts from an empty database; an earlier demo database is kept aside, never deleted."""
    from storage.db import upgrade

    url = context.config.database_url
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        if path.exists():
            stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
            for suffix in ("", "-wal", "-shm"):
                old = Path(f"{path}{suffix}")
                if old.exists():
                    old.rename(f"{path}.demo-{stamp}{suffix}")
            log.info("上一次的演示数据库已另存为 %s.demo-%s", path.name, stamp)
    upgrade(url)


def _demo_users(context: AppContext) -> list[tuple[str, str, str]]:
    from responder.types import AuditEntry
    from storage.passwords import hash_password
    from storage.repositories.audit import AuditRepository
    from storage.repositories.users import UserRepository

    created = []
    now = datetime.now(UTC)
    with context.session() as session:
        users = UserRepository(session)
        for username, label, role in DEMO_USERS:
            if users.get_by_username(username) is not None:
                continue
            password = secrets.token_urlsafe(8)
            users.add(username, f"演示{label}", hash_password(password), role, (), now=now)
            created.append((username, password, label))
        AuditRepository(session).append([
            AuditEntry(at=now, actor="demo", action="user_added", entity="user", entity_id=u, after={"role": r})
            for u, _p, r in created
        ])
    return created


def _banner(context: AppContext, credentials: list[tuple[str, str, str]], dashboard: bool) -> None:
    settings = context.config.file.settings.dashboard
    lines = ["", "=" * 64, "  舆情回应监测 yuqing 已启动"]
    if dashboard:
        lines.append(f"  看板 dashboard: http://{settings.address}:{settings.port}")
    for username, password, label in credentials:
        lines.append(f"  {label:<4} 账号 {username:<8} 密码 {password}")
    if credentials:
        lines.append("  （演示数据：示例市/示例区为虚构；条目会在几分钟内陆续出现）")
    lines += ["  Ctrl-C 停止 / stop", "=" * 64, ""]
    print("\n".join(lines), flush=True)


# ---------------------------------------------------------------- status


def cmd_status(args: argparse.Namespace) -> int:
    """Whether the scheduler is alive, the last sweep, failing sources and the classification queue."""
    from responder.times import SHANGHAI, format_local
    from service.scheduler import HEARTBEAT_KEY, LEASE_NAME
    from storage.records import PENDING_UNKNOWN_AFTER
    from storage.repositories.items import ItemRepository
    from storage.repositories.notices import NoticeRepository
    from storage.repositories.sources import SourceRepository
    from storage.repositories.state import LeaseRepository, StateRepository

    context = AppContext(config_from_args(args))
    context.check_schema()
    now = datetime.now(UTC)  # leases and heartbeats are in real time
    ttl = context.config.file.settings.scheduler.lease_ttl_s
    with context.session() as session:
        state = StateRepository(session)
        heartbeat = state.get(HEARTBEAT_KEY)
        sweep = state.get("last_sweep")
        holder = LeaseRepository(session).holder(LEASE_NAME, now)
        failing = [s for s in SourceRepository(session).list_health(include_removed=False) if s.consecutive_failures]
        queue = ItemRepository(session).count_unclassified()
        undelivered = NoticeRepository(session).undelivered(
            since=now - timedelta(hours=24), pending_before=now - PENDING_UNKNOWN_AFTER
        )
    beat_at = datetime.fromisoformat(heartbeat["at"]) if heartbeat else None
    alive = holder is not None and beat_at is not None and now - beat_at < timedelta(seconds=ttl * 2)
    calendar = context.calendar_warning(now.astimezone(SHANGHAI).date())
    data = {
        "scheduler_alive": alive,
        "holder": holder,
        "heartbeat_at": heartbeat["at"] if heartbeat else None,
        "last_sweep": sweep,
        "failing_sources": [{"id": s.id, "failures": s.consecutive_failures, "error": s.last_error} for s in failing],
        "unclassified": queue,
        "calendar_warning": calendar,
        "undelivered_notices_24h": [
            {"key": r.notice.key, "case_id": r.notice.case_id, "status": r.status.value, "attempts": r.attempts,
             "error": r.last_error}
            for r in undelivered
        ],
    }
    if args.json:
        print(json.dumps(data, ensure_ascii=False))
        return 0 if alive else 3
    print(f"调度 scheduler: {'运行中' if alive else '未运行'}" + (f"（{holder}）" if holder else ""))
    if beat_at:
        print(f"  最近心跳 {format_local(beat_at)}")
    if sweep:
        print(f"最近巡检 last sweep: {format_local(datetime.fromisoformat(sweep['at']))}，"
              f"{sweep.get('clocks', 0)} 个时限，提醒 {sweep.get('notices', 0)}")
    else:
        print("最近巡检 last sweep: 尚无")
    print(f"待研判 unclassified: {queue}")
    if failing:
        print("采集异常的信息源 failing sources:")
        for s in failing:
            print(f"  {s.id}: 连续失败 {s.consecutive_failures} 次 — {s.last_error}")
    else:
        print("信息源 sources: 全部正常")
    if calendar:
        print(f"注意 calendar: {calendar}")
    if undelivered:
        print(f"最近24小时未送达的提醒 undelivered notices: {len(undelivered)}（请电话通知相关单位）")
        for r in undelivered[:10]:
            delivery = "发送失败" if r.status.value == "failed" else "状态未知（发送途中停止）"
            print(f"  {r.notice.title} — {delivery}" + (f"：{r.last_error}" if r.last_error else ""))
    return 0 if alive else 3


# ---------------------------------------------------------------- replay


def cmd_replay(args: argparse.Namespace) -> int:
    """Serve sample items as an RSS feed on 127.0.0.1, released over time."""
    from service.replay import ReplayFeed, ReplayServer, load_items

    server = ReplayServer(ReplayFeed(load_items(args.items), speed=args.speed), port=args.port).start()
    print(f"回放中 serving {server.feed_url}（Ctrl-C 停止）", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()
    return 0
