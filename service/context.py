"""The composition root's shared objects: config, database engine, plans, built on demand."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from service.settings import Config

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session

    from responder.types import Plan


class SetupError(Exception):
    """The configuration and the plans or database do not fit together."""


@dataclass
class AppContext:
    """Everything a command or job needs, created lazily so `--help` and config checks stay cheap."""

    config: Config
    _engine: Engine | None = field(default=None, init=False, repr=False)

    @property
    def engine(self) -> Engine:
        """The database engine (created on first use)."""
        if self._engine is None:
            from storage.db import make_engine

            self.config.var_dir.mkdir(parents=True, exist_ok=True)
            self._engine = make_engine(self.config.database_url, sqlite_write_lock_first=True)
        return self._engine

    def check_schema(self) -> None:
        """Refuse to work on a schema older than the code (the error names the fixing command)."""
        from storage.db import check_schema

        check_schema(self.engine)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error."""
        from sqlalchemy.orm import Session

        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    def calendar_warning(self, today: date) -> str | None:
        """A warning when the working-day calendar lacks holiday data for a year starting soon, else None."""
        from responder.deadlines import uncovered_years

        _ = self.plans  # configures the calendar with the config's holiday files
        years = uncovered_years(today)
        if not years:
            return None
        named = "、".join(f"{y} 年" for y in years)
        return (
            f"工作日日历未收录 {named}的节假日安排：政策解读等按工作日计算的时限将暂按周一至周五计算，并在时限上注明。"
            "国务院办公厅发布当年节假日安排后，请升级 chinesecalendar，或在 settings.holiday_files 中补充。"
        )

    @cached_property
    def plans(self) -> dict[str, Plan]:
        """Bundled plans plus the config's plan files, validated; unit plan references checked."""
        from responder.deadlines import configure_default_calendar
        from responder.plans import default_plan_paths, load_plans

        # Working-day clocks use the statutory calendar plus any holiday files the config names.
        configure_default_calendar(self.config.holiday_paths)

        paths: list[Path] = [*default_plan_paths(), *self.config.plan_paths]
        plans = load_plans(paths)
        where = str(self.config.path or "配置")
        for index, unit in enumerate(self.config.units()):
            if unit.plan not in plans:
                known = "、".join(sorted(plans))
                raise SetupError(f"{where}: unit[{index}].plan: 未知预案 {unit.plan!r}（已有：{known}）")
        return plans

    def dispose(self) -> None:
        """Close pooled connections."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
