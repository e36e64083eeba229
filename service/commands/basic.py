"""`yuqing init`, `yuqing db upgrade|backup|restore`, `yuqing config check`, `yuqing version`."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from service.cli import config_from_args
from service.context import AppContext


def register(subparsers: Any) -> None:
    """Add this module's subcommands."""
    init = subparsers.add_parser("init", help="创建数据库并载入配置 / create the database and load the config")
    init.set_defaults(handler=cmd_init)

    db = subparsers.add_parser("db", help="数据库维护 / database maintenance")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION")
    upgrade = db_sub.add_parser("upgrade", help="应用数据库迁移到最新版本 / apply migrations")
    upgrade.set_defaults(handler=cmd_db_upgrade)
    backup = db_sub.add_parser("backup", help="在线备份整个数据库到文件 / write an online backup to a file")
    backup.add_argument("file", type=Path, nargs="?",
                        help="备份文件（默认 var/backups/yuqing-<时间>.db 或 .dump）/ backup file")
    backup.set_defaults(handler=cmd_db_backup)
    restore = db_sub.add_parser("restore", help="把备份恢复到一个新建的空数据库 / restore into a new empty database")
    restore.add_argument("file", type=Path, help="yuqing db backup 写出的文件 / a file from yuqing db backup")
    restore.set_defaults(handler=cmd_db_restore)
    db.set_defaults(handler=lambda args: _usage(db))

    config = subparsers.add_parser("config", help="配置文件 / configuration")
    config_sub = config.add_subparsers(dest="config_command", metavar="ACTION")
    check = config_sub.add_parser("check", help="校验配置文件与预案，不触碰数据库 / validate without touching the DB")
    check.set_defaults(handler=cmd_config_check)
    config.set_defaults(handler=lambda args: _usage(config))

    version = subparsers.add_parser("version", help="显示版本 / show the version")
    version.set_defaults(handler=cmd_version)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def cmd_version(args: argparse.Namespace) -> int:
    """Print the installed version."""
    print(f"yuqing {metadata.version('yuqing')}")
    return 0


def cmd_config_check(args: argparse.Namespace) -> int:
    """Validate the config file and the plans it refers to; print a summary."""
    config = config_from_args(args)
    context = AppContext(config)
    plans = context.plans
    where = config.path or "（无配置文件，使用默认值）"
    print(f"配置有效 / config OK: {where}")
    print(f"  单位 units: {len(config.file.unit)}  信息源 sources: {len(config.file.source)}  预案 plans: {len(plans)}")
    print(f"  数据库 database: {_redacted(config.database_url)}")
    warning = context.calendar_warning(datetime.now(ZoneInfo(config.file.settings.timezone)).date())
    if warning:
        print(f"  注意 / warning: {warning}")
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    """Apply migrations up to the code's head revision."""
    from storage.db import head_revision, upgrade

    config = config_from_args(args)
    config.var_dir.mkdir(parents=True, exist_ok=True)
    upgrade(config.database_url)
    print(f"数据库已是最新结构 / schema at head: {head_revision()} ({_redacted(config.database_url)})")
    return 0


def cmd_db_backup(args: argparse.Namespace) -> int:
    """Write a consistent backup of the configured database (safe while `yuqing run` is running)."""
    from storage.backup import backup, backup_suffix

    config = config_from_args(args)
    target = args.file
    if target is None:
        stamp = datetime.now(ZoneInfo(config.file.settings.timezone)).strftime("%Y%m%d-%H%M%S")
        target = config.var_dir / "backups" / f"yuqing-{stamp}{backup_suffix(config.database_url)}"
    result = backup(config.database_url, target)
    print(f"已备份 / backed up: {_redacted(config.database_url)} → {result.path} ({result.size_bytes:,} 字节)")
    return 0


def cmd_db_restore(args: argparse.Namespace) -> int:
    """Restore a backup into the configured database, which must be new and empty."""
    from storage.backup import restore
    from storage.db import check_schema, make_engine

    config = config_from_args(args)
    restore(args.file, config.database_url)
    engine = make_engine(config.database_url)
    try:
        revision = check_schema(engine)
    finally:
        engine.dispose()
    print(f"已恢复 / restored: {args.file} → {_redacted(config.database_url)}（结构版本 {revision}）")
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    """Create or upgrade the database, then load units and sources from the config."""
    from storage.db import upgrade

    config = config_from_args(args)
    context = AppContext(config)
    _ = context.plans  # validate plans before touching the database
    config.var_dir.mkdir(parents=True, exist_ok=True)
    upgrade(config.database_url)
    from service.sync import sync_config

    with context.session() as session:
        summary = sync_config(session, config)
    context.dispose()
    print(f"已初始化 / initialised: {_redacted(config.database_url)}")
    print(f"  单位 units: {summary.units}  信息源 sources: {summary.sources}")
    return 0


def _redacted(url: str) -> str:
    """A database URL with any password masked."""
    import re

    return re.sub(r"(://[^/@:]+:)[^/@]+@", r"\1***@", url)
