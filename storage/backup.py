"""Online backups and restores of the whole database, on either backend.

SQLite: the sqlite3 online-backup API, a consistent copy while the scheduler keeps writing (never a
plain file copy of a live WAL database). PostgreSQL: `pg_dump --format=custom` and `pg_restore`, found
on PATH or under /usr/lib/postgresql/*/bin, with the password handed over in PGPASSWORD rather than on
the command line. A restore only goes into an empty database, so it can never overwrite live data; the
audit log's UPDATE/DELETE triggers come back with it.
"""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import URL, make_url

from storage.db import make_engine, normalize_url
from storage.errors import BackupError

PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"
SQLITE_MAGIC = b"SQLite format 3\x00"
PG_CUSTOM_MAGIC = b"PGDMP"


@dataclass(frozen=True, slots=True)
class BackupResult:
    """What a backup or restore wrote."""

    path: Path
    backend: str
    size_bytes: int


def backup_suffix(url: str) -> str:
    """The usual file suffix of a backup of this database: .db (SQLite) or .dump (pg_dump custom format)."""
    return ".db" if make_url(normalize_url(url)).get_backend_name() == "sqlite" else ".dump"


def backup(url: str, target: Path) -> BackupResult:
    """Write a consistent copy of the database at `url` to `target` (which must not exist yet)."""
    parsed = make_url(normalize_url(url))
    target = Path(target)
    if target.exists():
        raise BackupError(f"{target}: 文件已存在，不会覆盖 / exists, not overwritten")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        if parsed.get_backend_name() == "sqlite":
            _sqlite_copy(_sqlite_path(parsed), partial)
        else:
            _run_pg("pg_dump", parsed, ["--format=custom", "--no-owner", f"--file={partial}"])
        partial.replace(target)  # only a finished backup carries the name asked for
    finally:
        partial.unlink(missing_ok=True)
    return BackupResult(target, parsed.get_backend_name(), target.stat().st_size)


def restore(source: Path, url: str) -> BackupResult:
    """Load a backup made by `backup` into the empty database at `url`."""
    parsed = make_url(normalize_url(url))
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"{source}: 备份文件不存在 / backup file not found")
    with source.open("rb") as fh:
        head = fh.read(16)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if not head.startswith(SQLITE_MAGIC):
            raise BackupError(f"{source}: 不是 SQLite 备份 / not a SQLite backup")
        path = _sqlite_path(parsed)
        if path.exists() and path.stat().st_size > 0:
            raise BackupError(f"{path}: 目标数据库已存在，恢复只写入新的数据库 / target exists; restore needs a new database")
        path.parent.mkdir(parents=True, exist_ok=True)
        _sqlite_copy(source, path)
        return BackupResult(path, backend, path.stat().st_size)
    if not head.startswith(PG_CUSTOM_MAGIC):
        raise BackupError(f"{source}: 不是 pg_dump 自定义格式备份 / not a pg_dump custom-format backup")
    _require_empty(url)
    _run_pg("pg_restore", parsed, ["--no-owner", "--exit-on-error", "--single-transaction", str(source)])
    return BackupResult(source, backend, source.stat().st_size)


def _sqlite_path(parsed: URL) -> Path:
    database = parsed.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError(f"SQLite 数据库 {database!r} 不是文件，无法备份 / not a file database")
    return Path(database).expanduser()


def _sqlite_copy(source: Path, target: Path) -> None:
    if not source.is_file():
        raise BackupError(f"{source}: 数据库文件不存在 / database file not found")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # pages copied under a read transaction: a consistent snapshot
        dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
    except sqlite3.Error as exc:
        raise BackupError(f"{source}: SQLite 备份失败 / backup failed: {exc}") from exc
    finally:
        dst.close()
        src.close()


def _require_empty(url: str) -> None:
    engine = make_engine(url)
    try:
        tables = inspect(engine).get_table_names()
    except Exception as exc:
        raise BackupError(f"无法连接目标数据库 / cannot connect to the target database: {exc}") from exc
    finally:
        engine.dispose()
    if tables:
        raise BackupError(
            f"目标数据库不是空的（已有 {len(tables)} 张表），恢复只写入新建的空数据库 / "
            "target database is not empty; restore into a newly created database"
        )


def pg_tool(name: str) -> Path:
    """pg_dump or pg_restore: from PATH, else the newest under /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return Path(found)
    candidates = sorted(
        (Path(d) / name for d in glob.glob(PG_BIN_GLOB) if (Path(d) / name).exists()),
        key=lambda p: _version(p.parent.parent.name),
    )
    if not candidates:
        raise BackupError(f"找不到 {name}：apt-get install -y postgresql-client / {name} not found")
    return candidates[-1]


def _version(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(x) for x in text.split("."))
    except ValueError:
        return (0,)


def _run_pg(tool: str, parsed: URL, args: list[str]) -> None:
    env = dict(os.environ)
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
    conninfo = parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    command = [str(pg_tool(tool)), f"--dbname={conninfo}", *args]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise BackupError(f"{tool} 失败（退出码 {result.returncode}）/ {tool} failed: {' '.join(detail[-3:])}")
