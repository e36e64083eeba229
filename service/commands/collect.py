"""`yuqing fetch` (preview), `yuqing crawl`, `yuqing sources`, `yuqing import`."""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crawlers.types import SourceKind, SourceSpec
from service.cli import CommandError, config_from_args
from service.context import AppContext


def register(subparsers: Any) -> None:
    """Add this module's subcommands."""
    fetch = subparsers.add_parser(
        "fetch", help="预览一个地址能采到什么（不入库）/ preview what a URL yields, storing nothing"
    )
    fetch.add_argument("url")
    fetch.add_argument("--kind", choices=["feed", "page", "list", "rsshub"], default="feed",
                       help="feed=RSS/Atom，page=单篇文章，list=列表页→文章页，rsshub=RSSHub 实例+--route")
    fetch.add_argument("--route", default="", help="rsshub 路由，如 /weibo/user/1234")
    fetch.add_argument("--source", help="使用配置中该信息源的选择器与字符集设置 / use a configured source's settings")
    fetch.add_argument("--json", action="store_true", help="每行一个 JSON 对象 / JSON lines")
    fetch.set_defaults(handler=cmd_fetch)

    crawl = subparsers.add_parser("crawl", help="采集并入库 / fetch sources and store new items")
    crawl.add_argument("--source", action="append", help="只采集这些信息源（可多次）/ only these sources")
    crawl.add_argument("--once", action="store_true", help="每个信息源只采一次后退出 / one pass, then exit")
    crawl.set_defaults(handler=cmd_crawl)

    sources = subparsers.add_parser("sources", help="信息源及其健康状况 / sources with health")
    sources.add_argument("--json", action="store_true")
    sources.set_defaults(handler=cmd_sources)

    imp = subparsers.add_parser(
        "import", help="导入 JSONL/CSV（其他监测系统、12345 热线导出）/ import exported items"
    )
    imp.add_argument("file", type=Path)
    imp.add_argument("--source", help="配置中 kind=import 的信息源编号；省略时用文件名建立导入源")
    imp.add_argument("--replies", action="store_true",
                     help="文件是留言及其答复（留言时间/答复时间）：作为处置单导入，用于时效统计")
    imp.add_argument("--unit", help="--replies 时处置单所属单位（默认第一个单位）")
    imp.set_defaults(handler=cmd_import)


def _now() -> datetime:
    return datetime.now(UTC)


def cmd_fetch(args: argparse.Namespace) -> int:
    """Fetch a URL the way a source would and print the normalised items; nothing is stored."""
    from crawlers.serial import item_to_dict
    from service.jobs import fetch_source

    spec = SourceSpec(id="preview", name="preview", kind=SourceKind(args.kind), url=args.url,
                      rsshub_route=args.route)
    if args.source:
        config = config_from_args(args)
        configured = {s.id: s for s in config.sources()}
        if args.source not in configured:
            raise CommandError(f"配置中没有信息源 {args.source!r}")
        base = configured[args.source]
        spec = SourceSpec(id=base.id, name=base.name, kind=SourceKind(args.kind), url=args.url,
                          encoding=base.encoding, selectors=base.selectors, rsshub_route=args.route or base.rsshub_route)
    if spec.kind is SourceKind.RSSHUB and not spec.rsshub_route:
        raise CommandError("--kind rsshub 需要 --route（如 /weibo/user/1234）")
    outcome = fetch_source(spec, None, None, _now())
    if not outcome.ok:
        raise CommandError(f"采集失败 / fetch failed: {outcome.error}")
    for n, item in enumerate(outcome.items, start=1):
        if args.json:
            data = item_to_dict(item)
            record = {
                "id": n, "url": item.url, "title": item.title, "text": item.text, "author": item.author,
                "published_at": data["published_at"], "source": spec.id,
                "canonical_url": item.canonical_url, "content_hash": item.content_hash,
                "engagement": data["engagement"], "flags": data["flags"],
            }
            print(json.dumps(record, ensure_ascii=False))
        else:
            published = item.published_at.isoformat() if item.published_at else "（无发布时间）"
            print(f"{n:>3}. {item.title}\n     {item.url}\n     {published}  {item.author}  {len(item.text)} 字")
    flags = f"；标记：{', '.join(outcome.flags)}" if outcome.flags else ""
    print(f"共 {len(outcome.items)} 条（HTTP {outcome.http_status}）{flags}", file=sys.stderr)
    return 0


def cmd_crawl(args: argparse.Namespace) -> int:
    """Poll sources and store new items; --once does one pass, otherwise it keeps polling due sources."""
    from service.jobs import poll_source
    from storage.repositories.sources import SourceRepository

    context = AppContext(config_from_args(args))
    context.check_schema()
    configured = {s.id: s for s in context.config.sources()}
    wanted = args.source or [s.id for s in configured.values() if s.enabled and s.kind is not SourceKind.IMPORT]
    unknown = [s for s in wanted if s not in configured]
    if unknown:
        raise CommandError(f"配置中没有信息源：{'、'.join(unknown)}")
    if not wanted:
        raise CommandError("没有可采集的信息源（配置中没有启用的 [[source]]）")
    from service.sync import sync_config

    with context.session() as session:
        sync_config(session, context.config)
    while True:
        if args.once:
            due = wanted
        else:
            with context.session() as session:
                due = [s for s in SourceRepository(session).due(_now()) if s in wanted]
        for index, source_id in enumerate(due, start=1):
            report = poll_source(context, source_id)
            status = "304 未更新" if report.not_modified else ("成功" if report.ok else f"失败：{report.error}")
            print(f"[{index}/{len(due)}] {source_id}: {status}，新 {report.items_new}，已见 {report.items_seen}",
                  flush=True)
        if args.once:
            return 0
        time.sleep(1.0)


def cmd_sources(args: argparse.Namespace) -> int:
    """List sources with their health (last success, failures, next poll)."""
    from responder.times import format_local
    from storage.repositories.sources import SourceRepository

    context = AppContext(config_from_args(args))
    context.check_schema()
    with context.session() as session:
        rows = SourceRepository(session).list_health()
    for row in rows:
        if args.json:
            print(json.dumps({
                "id": row.id, "name": row.name, "kind": row.kind, "url": row.url, "enabled": row.enabled,
                "removed": row.removed, "health": row.health.value, "consecutive_failures": row.consecutive_failures,
                "last_success_at": row.last_success_at.isoformat() if row.last_success_at else None,
                "last_error": row.last_error,
                "next_poll_at": row.next_poll_at.isoformat() if row.next_poll_at else None,
            }, ensure_ascii=False))
            continue
        health = {"ok": "正常", "failing": "异常", "dead": "失效"}.get(row.health.value, row.health.value)
        state = "已移除" if row.removed else ("停用" if not row.enabled else health)
        last = format_local(row.last_success_at) if row.last_success_at else "从未成功"
        nxt = format_local(row.next_poll_at) if row.next_poll_at else "尽快"
        print(f"{row.id:<20} {state:<4} 最近成功 {last}  连续失败 {row.consecutive_failures}  下次 {nxt}  {row.name}")
        if row.last_error and row.consecutive_failures:
            print(f"{'':<20} 最近错误：{row.last_error}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """Import a JSONL/CSV export as items (or, with --replies, messages and replies as cases)."""
    context = AppContext(config_from_args(args))
    context.check_schema()
    if not args.file.exists():
        raise CommandError(f"{args.file}: 文件不存在")
    if args.replies:
        from service.replies import import_replies

        units = context.config.units()
        unit = args.unit or (units[0].id if units else None)
        if unit is None or unit not in {u.id for u in units}:
            raise CommandError("--replies 需要配置中的一个单位（--unit）")
        summary = import_replies(context, args.file, unit, progress=_progress)
        print(f"导入留言 {summary.items} 条，新建处置单 {summary.cases}，登记答复 {summary.responses}，"
              f"跳过 {summary.rejected} 行（{summary.reasons or '无'}）")
        return 0
    from crawlers.imports import read_import
    from service.jobs import store_outcome
    from service.sync import ensure_import_source

    source_id = args.source or ensure_import_source(context, args.file)
    result = read_import(args.file, source_id, _now())
    from crawlers.types import FetchOutcome

    now = _now()
    outcome = FetchOutcome(source_id=source_id, started_at=now, finished_at=_now(), ok=True, items=result.items,
                           flags=tuple(f"rejected:{r}:{n}" for r, n in result.rejected_by_reason.items()))
    report = store_outcome(context, outcome, now)
    for rejection in result.rejected[:20]:
        print(f"{args.file}:{rejection.line}: 跳过：{rejection.reason}", file=sys.stderr)
    if len(result.rejected) > 20:
        print(f"…… 另有 {len(result.rejected) - 20} 行被跳过", file=sys.stderr)
    print(f"读取 {len(result.items)} 条：新 {report.items_new}，重复 {report.items_seen}，跳过 {len(result.rejected)} 行")
    return 0


def _progress(done: int, total: int) -> None:
    if done == total or done % 500 == 0:
        print(f"  {done}/{total}", file=sys.stderr, flush=True)
