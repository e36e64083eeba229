"""`yuqing user add|list|passwd|disable`: dashboard accounts (argon2-hashed passwords)."""

from __future__ import annotations

import argparse
import getpass
import os
import secrets
from datetime import UTC, datetime
from typing import Any

from service.cli import CommandError, config_from_args
from service.context import AppContext

ROLES = {"duty": "值班员", "leader": "领导", "admin": "管理员"}
_ROLE_ALIASES = {**{v: k for k, v in ROLES.items()}, **{k: k for k in ROLES}}


def register(subparsers: Any) -> None:
    """Add this module's subcommands."""
    user = subparsers.add_parser("user", help="看板账号 / dashboard users")
    sub = user.add_subparsers(dest="user_command", metavar="ACTION")
    add = sub.add_parser("add", help="新建账号 / add a user")
    add.add_argument("username")
    add.add_argument("--role", required=True, help="值班员|领导|管理员 (duty|leader|admin)")
    add.add_argument("--name", default="", help="显示名 / display name")
    add.add_argument("--units", default="", help="负责的单位编号，逗号分隔；空 = 全部 / unit ids")
    add.add_argument(
        "--password-env",
        default="",
        help="从该环境变量读取密码；省略时交互输入，或用 --generate / read password from this env var",
    )
    add.add_argument("--generate", action="store_true", help="生成随机密码并打印 / generate and print")
    add.set_defaults(handler=cmd_user_add)
    listing = sub.add_parser("list", help="列出账号 / list users")
    listing.set_defaults(handler=cmd_user_list)
    user.set_defaults(handler=lambda args: (user.print_help(), 2)[1])


def role_code(text: str) -> str:
    """Normalise 值班员/领导/管理员 or duty/leader/admin to the stored code."""
    try:
        return _ROLE_ALIASES[text.strip()]
    except KeyError:
        raise CommandError(f"未知角色 {text!r}：应为 值班员、领导 或 管理员 (duty, leader, admin)") from None


def cmd_user_add(args: argparse.Namespace) -> int:
    """Create a dashboard user."""
    from responder.types import AuditEntry
    from storage.passwords import hash_password
    from storage.repositories.audit import AuditRepository
    from storage.repositories.users import UserRepository

    role = role_code(args.role)
    if args.generate:
        password = secrets.token_urlsafe(9)
    elif args.password_env:
        password = os.environ.get(args.password_env, "")
        if not password:
            raise CommandError(f"环境变量 {args.password_env} 为空")
    else:
        password = getpass.getpass("密码 / password: ")
        if password != getpass.getpass("再输一次 / again: "):
            raise CommandError("两次输入的密码不一致 / passwords differ")
    if len(password) < 8:
        raise CommandError("密码至少 8 位 / password must have at least 8 characters")
    context = AppContext(config_from_args(args))
    context.check_schema()
    units = [u for u in args.units.split(",") if u.strip()]
    with context.session() as session:
        repo = UserRepository(session)
        if repo.get_by_username(args.username) is not None:
            raise CommandError(f"账号 {args.username!r} 已存在 / user exists")
        now = datetime.now(UTC)
        repo.add(args.username, args.name or args.username, hash_password(password), role, units, now=now)
        AuditRepository(session).append([
            AuditEntry(at=now, actor=f"cli:{getpass.getuser()}", action="user_added", entity="user",
                       entity_id=args.username, after={"role": role, "units": units})
        ])
    print(f"已创建账号 {args.username}（{ROLES[role]}）")
    if args.generate:
        print(f"密码 / password: {password}")
    return 0


def cmd_user_list(args: argparse.Namespace) -> int:
    """List dashboard users."""
    from storage.repositories.users import UserRepository

    context = AppContext(config_from_args(args))
    context.check_schema()
    with context.session() as session:
        for user in UserRepository(session).list():
            units = ",".join(user.units) or "全部"
            state = "" if user.active else "（已停用）"
            print(f"{user.username}\t{ROLES.get(user.role, user.role)}\t{units}{state}")
    return 0
