"""Shared database fixtures: SQLite files and a private PostgreSQL cluster the tests start themselves.

The PostgreSQL cluster is started lazily (only when a test asks for it), once per test session, on
127.0.0.1 with a free port, in a temporary directory, and stopped at the end. Every test gets a
fresh, migrated database: SQLite by copying a file migrated once, PostgreSQL by CREATE DATABASE
from a template database migrated once.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from storage.db import make_engine, session_factory, upgrade

PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"
PG_USER = "postgres"
TEMPLATE_DB = "yuqing_template"


def _find_pg_bin() -> Path:
    """The newest PostgreSQL bin directory that has initdb and pg_ctl."""
    candidates = []
    for entry in glob.glob(PG_BIN_GLOB):
        path = Path(entry)
        if (path / "initdb").exists() and (path / "pg_ctl").exists():
            candidates.append(path)
    on_path = shutil.which("initdb")
    if not candidates and on_path and shutil.which("pg_ctl"):
        candidates.append(Path(on_path).parent)
    if not candidates:
        pytest.fail(
            "PostgreSQL 服务器程序缺失 / PostgreSQL server binaries not found (initdb, pg_ctl under "
            f"{PG_BIN_GLOB}). Install them with: apt-get install -y postgresql",
            pytrace=False,
        )

    def version(p: Path) -> tuple[int, ...]:
        try:
            return tuple(int(x) for x in p.parent.name.split("."))
        except ValueError:
            return (0,)

    return max(candidates, key=version)


def _free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PgCluster:
    """A running private PostgreSQL cluster."""

    bin_dir: Path
    base_dir: Path
    port: int
    as_postgres: bool
    _counter: itertools.count[int]

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    def url(self, database: str) -> str:
        """SQLAlchemy URL of a database in this cluster."""
        return f"postgresql+psycopg://{PG_USER}@127.0.0.1:{self.port}/{database}"

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run a PostgreSQL program as the cluster's owner."""
        cmd = [str(self.bin_dir / args[0]), *args[1:]]
        if self.as_postgres:
            cmd = ["runuser", "-u", PG_USER, "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=120)

    def admin(self, sql: str) -> None:
        """Run one statement on the maintenance database (autocommit)."""
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=PG_USER, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def new_database(self, template: str | None = None, prefix: str = "t") -> str:
        """Create a fresh database (optionally from a template) and return its name."""
        name = f"{prefix}_{os.getpid()}_{next(self._counter)}"
        tmpl = f" TEMPLATE {template}" if template else " TEMPLATE template0"
        self.admin(f'CREATE DATABASE "{name}"{tmpl}')
        return name

    def drop_database(self, name: str) -> None:
        """Drop a database, closing whatever connections a test left open."""
        with contextlib.suppress(Exception):
            self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _start_cluster() -> PgCluster:
    bin_dir = _find_pg_bin()
    # Directly under /tmp (not pytest's tmp dir): the postgres user must be able to reach it, and
    # the socket path must stay short.
    base = Path(tempfile.mkdtemp(prefix="yuqing-pg-"))
    as_postgres = os.geteuid() == 0
    if as_postgres:
        shutil.chown(base, user=PG_USER, group=None)
    cluster = PgCluster(bin_dir, base, _free_port(), as_postgres, itertools.count(1))
    result = cluster.run(
        "initdb",
        "-D",
        str(cluster.data_dir),
        "-U",
        PG_USER,
        "--auth=trust",
        "-E",
        "UTF8",
        "--locale=C",
        "--no-sync",
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"initdb failed: {result.stderr.strip() or result.stdout.strip()}", pytrace=False)
    options = (
        f"-c listen_addresses=127.0.0.1 -c port={cluster.port} -c unix_socket_directories={base} "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 "
        "-c timezone=UTC"
    )
    result = cluster.run(
        "pg_ctl",
        "-D",
        str(cluster.data_dir),
        "-l",
        str(base / "server.log"),
        "-o",
        options,
        "-w",
        "-t",
        "60",
        "start",
        check=False,
    )
    if result.returncode != 0:
        log = (base / "server.log").read_text(errors="replace") if (base / "server.log").exists() else ""
        pytest.fail(f"pg_ctl start failed: {result.stderr.strip()} {log[-2000:]}", pytrace=False)
    return cluster


def _stop_cluster(cluster: PgCluster) -> None:
    cluster.run("pg_ctl", "-D", str(cluster.data_dir), "-m", "immediate", "-w", "stop", check=False)
    shutil.rmtree(cluster.base_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """A private PostgreSQL cluster on 127.0.0.1, started once per session, stopped at the end."""
    cluster = _start_cluster()
    try:
        yield cluster
    finally:
        _stop_cluster(cluster)


@pytest.fixture(scope="session")
def pg_template(pg_cluster: PgCluster) -> str:
    """Name of a database migrated to head once, used as the template of every test database."""
    cluster = pg_cluster
    cluster.admin(f'CREATE DATABASE "{TEMPLATE_DB}" TEMPLATE template0')
    upgrade(cluster.url(TEMPLATE_DB))  # disposes its engine: no connection may stay on a template
    return TEMPLATE_DB


@pytest.fixture
def pg_url(pg_cluster: PgCluster, pg_template: str) -> Iterator[str]:
    """URL of a fresh PostgreSQL database at the head revision."""
    name = pg_cluster.new_database(template=pg_template)
    yield pg_cluster.url(name)
    pg_cluster.drop_database(name)


@pytest.fixture
def empty_pg_url(pg_cluster: PgCluster) -> Iterator[str]:
    """URL of a fresh, empty PostgreSQL database (never migrated)."""
    name = pg_cluster.new_database(prefix="e")
    yield pg_cluster.url(name)
    pg_cluster.drop_database(name)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once; tests get copies."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        upgrade(engine)
        with engine.connect() as conn:
            # Fold the WAL into the main file so that copying the one file copies everything.
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()
    return path


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    """URL of a fresh SQLite file at the head revision."""
    path = tmp_path / "yuqing.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def empty_sqlite_url(tmp_path: Path) -> str:
    """URL of a SQLite file that does not exist yet."""
    return f"sqlite:///{tmp_path / 'empty.db'}"


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest) -> str:
    """A fresh migrated database URL, once on SQLite and once on PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "pg_url"
    return str(request.getfixturevalue(name))


@pytest.fixture(params=["sqlite", "postgres"])
def empty_db_url(request: pytest.FixtureRequest) -> str:
    """A fresh empty database URL, once on SQLite and once on PostgreSQL."""
    name = "empty_sqlite_url" if request.param == "sqlite" else "empty_pg_url"
    return str(request.getfixturevalue(name))


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on the test's database (both backends), disposed afterwards."""
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on the test's database; rolled back and closed afterwards."""
    factory = session_factory(engine)
    with factory() as sess:
        yield sess
        sess.rollback()
