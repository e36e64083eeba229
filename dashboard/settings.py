"""Run-time settings handed over by the service through the environment (read when asked, never at import)."""

from __future__ import annotations

import os
from pathlib import Path

from dashboard.errors import ConfigError

DATABASE_URL_ENV = "YUQING_DATABASE_URL"
PLAN_PATHS_ENV = "YUQING_PLAN_PATHS"


def database_url() -> str:
    """Return the database URL the service set in YUQING_DATABASE_URL."""
    url = os.environ.get(DATABASE_URL_ENV, "").strip()
    if not url:
        raise ConfigError(
            f"未设置数据库地址：请设置环境变量 {DATABASE_URL_ENV}（或用 `yuqing run` 启动）/ "
            f"{DATABASE_URL_ENV} is not set"
        )
    return url


def plan_paths() -> tuple[Path, ...]:
    """Return the extra plan files listed in YUQING_PLAN_PATHS (os.pathsep-separated), possibly none."""
    raw = os.environ.get(PLAN_PATHS_ENV, "")
    return tuple(Path(part) for part in raw.split(os.pathsep) if part.strip())
