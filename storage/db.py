"""Engines, sessions and schema versioning (Alembic, configured in code so it works installed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from storage.errors import ConfigurationError, SchemaMissing, SchemaOutdated, SchemaTooNew

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
SQLITE_CACHE_KIB = 64 * 1024
SQLITE_MMAP_BYTES = 256 * 1024 * 1024

UPGRADE_COMMAND = "yuqing db upgrade"
INIT_COMMAND = "yuqing init"


def normalize_url(url: str) -> str:
    """Rewrite plain PostgreSQL URLs to the psycopg 3 driver; refuse backends storage does not support."""
    url = url.strip()
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy raises ArgumentError with a terse message
        raise ConfigurationError(f"数据库地址无法解析 / cannot parse database URL {url!r}: {exc}") from exc
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigurationError(
            f"不支持的数据库 / unsupported database {parsed.get_backend_name()!r}: use sqlite or postgresql"
        )
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() != "psycopg":
        raise ConfigurationError(
            f"PostgreSQL 须使用 psycopg 驱动 / PostgreSQL needs the psycopg driver, got {parsed.drivername!r}"
        )
    return url


def default_sqlite_url(var_dir: Path) -> str:
    """The embedded default: one SQLite file, var_dir/yuqing.db (absolute path)."""
    return f"sqlite:///{(Path(var_dir) / 'yuqing.db').resolve()}"


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    """Per-connection pragmas: WAL lets the dashboard read while the scheduler writes."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        mode = cursor.execute("PRAGMA journal_mode").fetchone()
        if mode is not None and str(mode[0]).lower() not in ("wal", "memory"):
            cursor.execute("PRAGMA journal_mode = WAL")
        # NORMAL is durable across application crashes in WAL mode; only an OS crash may lose
        # the last transactions, which the idempotent pipeline redoes.
        cursor.execute("PRAGMA synchronous = NORMAL")
        # A larger page cache and memory-mapped reads keep the sweep and the dashboard's bulk
        # queries off the read() syscall path (a few µs per page otherwise).
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        cursor.execute(f"PRAGMA mmap_size = {SQLITE_MMAP_BYTES}")
    finally:
        cursor.close()


def make_engine(url: str, *, sqlite_write_lock_first: bool = False, **kwargs: Any) -> Engine:
    """Create an engine for a SQLite or PostgreSQL URL with the pragmas/options storage relies on.

    sqlite_write_lock_first: start every transaction with BEGIN IMMEDIATE. Writers that read first and
    write later otherwise fail at once with "database is locked" when another process committed in
    between (SQLite cannot upgrade a stale read snapshot, and busy_timeout does not apply); with the
    write lock taken up front they wait their turn instead. The service's engine uses it; readers
    such as the dashboard keep SQLite's default deferred transactions.
    """
    url = normalize_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        connect_args = dict(kwargs.pop("connect_args", {}))
        connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
        if sqlite_write_lock_first:
            connect_args["isolation_level"] = None  # let SQLAlchemy's begin event issue BEGIN itself
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        event.listen(engine, "connect", _sqlite_on_connect)
        if sqlite_write_lock_first:
            event.listen(engine, "begin", _begin_immediate)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _begin_immediate(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory whose objects stay readable after commit (repositories return dataclasses)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def alembic_config() -> Config:
    """Alembic configuration built in code: no alembic.ini needed, works from an installed package."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("version_path_separator", "os")
    return cfg


def head_revision() -> str:
    """The revision the code expects."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships revisions
        raise ConfigurationError("no migrations found in storage/migrations")
    return head


def upgrade(url: str | Engine, revision: str = "head") -> None:
    """Apply migrations up to `revision` (default head), programmatically."""
    engine = url if isinstance(url, Engine) else make_engine(url)
    try:
        cfg = alembic_config()
        with engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, revision)
    finally:
        if not isinstance(url, Engine):
            engine.dispose()


def downgrade(url: str | Engine, revision: str) -> None:
    """Revert migrations down to `revision` ("base" empties the database); for tests and repairs."""
    engine = url if isinstance(url, Engine) else make_engine(url)
    try:
        cfg = alembic_config()
        with engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.downgrade(cfg, revision)
    finally:
        if not isinstance(url, Engine):
            engine.dispose()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def check_schema(engine: Engine) -> str:
    """Return the current revision if it is the code's head; raise SchemaMissing/Outdated/TooNew otherwise."""
    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return head
    if current is None:
        tables = set(inspect(engine).get_table_names()) - {"alembic_version"}
        what = "数据库为空" if not tables else "数据库没有 yuqing 的版本记录"
        raise SchemaMissing(
            f"{what}，请先运行 `{INIT_COMMAND}` / database has no yuqing schema; run `{INIT_COMMAND}`"
        )
    script = ScriptDirectory.from_config(alembic_config())
    try:
        known = script.get_revision(current) is not None
    except CommandError:
        known = False
    if not known:
        raise SchemaTooNew(
            f"数据库结构版本 {current} 比本程序新（程序为 {head}），请升级 yuqing / "
            f"database schema {current} is newer than this program ({head}); upgrade yuqing"
        )
    raise SchemaOutdated(
        f"数据库结构版本 {current} 早于程序要求的 {head}，请运行 `{UPGRADE_COMMAND}` / "
        f"database schema {current} is older than the code ({head}); run `{UPGRADE_COMMAND}`"
    )
