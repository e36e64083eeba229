"""The `yuqing` command line: global options, subcommand registry, one-line errors."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from importlib import import_module

from service.settings import Config, ConfigError, load_config, resolve_config_path

# Each module registers its subcommands; kept as names so that `yuqing --help` imports nothing heavy.
COMMAND_MODULES = (
    "service.commands.basic",
    "service.commands.cases",
    "service.commands.collect",
    "service.commands.classify",
    "service.commands.users",
    "service.commands.runner",
)

_OWN_PACKAGES = {"service", "storage", "responder", "crawlers", "classifier"}

Handler = Callable[[argparse.Namespace], int]


class CommandError(Exception):
    """A command failed for a reason the user can fix; printed as one line."""


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="yuqing",
        description="舆情回应监测 — public-opinion response monitoring. 每个子命令都有 --help。",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config", "-c", help="配置文件 yuqing.toml 的路径（默认 $YUQING_CONFIG 或 ./yuqing.toml）")
    parser.add_argument("--debug", action="store_true", help="出错时显示完整的调用栈 / show tracebacks")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", title="子命令 / commands")
    for name in COMMAND_MODULES:
        try:
            module = import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue  # a command module not written yet
            raise
        module.register(subparsers)
    _accept_global_options_everywhere(subparsers)
    return parser


def _accept_global_options_everywhere(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Let `--config`/`--debug` also follow the subcommand (`yuqing classify --config x.toml`)."""
    for sub in set(subparsers.choices.values()):
        sub.add_argument("--config", "-c", default=argparse.SUPPRESS, help="配置文件路径 / config file")
        sub.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="显示调用栈")
        for action in sub._actions:
            if isinstance(action, argparse._SubParsersAction):
                _accept_global_options_everywhere(action)


def config_from_args(args: argparse.Namespace) -> Config:
    """Load the config named by --config / $YUQING_CONFIG / ./yuqing.toml (defaults if none)."""
    return load_config(resolve_config_path(args.config, os.environ))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return handler(args)
    except KeyboardInterrupt:
        print("已中断 (interrupted)", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        if args.debug:
            raise
        print(f"错误: {_one_line(exc)}", file=sys.stderr)
        if type(exc).__module__.split(".")[0] not in _OWN_PACKAGES:
            print("（加 --debug 查看调用栈 / add --debug for the traceback）", file=sys.stderr)
        return 1


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    if isinstance(exc, ConfigError):
        return text  # config errors may list several keys, one per line
    return " ".join(text.split())


if __name__ == "__main__":
    sys.exit(main())
