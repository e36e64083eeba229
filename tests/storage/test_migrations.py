"""Migrations from empty to head on both backends, and the schema check."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from storage.db import (
    check_schema,
    current_revision,
    default_sqlite_url,
    downgrade,
    head_revision,
    make_engine,
    normalize_url,
    upgrade,
)
from storage.errors import ConfigurationError, SchemaMissing, SchemaOutdated, SchemaTooNew
from storage.models import Base


def test_empty_to_head_creates_every_table_and_matches_models(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    try:
        assert current_revision(engine) is None
        upgrade(empty_db_url)
        assert current_revision(engine) == head_revision()
        assert check_schema(engine) == head_revision()
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == []
    finally:
        engine.dispose()


def test_empty_database_is_missing_and_names_init(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    try:
        with pytest.raises(SchemaMissing, match="yuqing init"):
            check_schema(engine)
    finally:
        engine.dispose()


def test_older_schema_is_refused_with_the_upgrade_command(db_url: str) -> None:
    downgrade(db_url, "0001")
    engine = make_engine(db_url)
    try:
        with pytest.raises(SchemaOutdated) as info:
            check_schema(engine)
        message = str(info.value)
        assert "yuqing db upgrade" in message
        assert "请运行" in message and "\n" not in message
        upgrade(db_url)
        assert check_schema(engine) == head_revision()
    finally:
        engine.dispose()


def test_unknown_newer_revision_is_refused(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
        with pytest.raises(SchemaTooNew):
            check_schema(engine)
    finally:
        engine.dispose()


def test_downgrade_to_base_and_up_again(db_url: str) -> None:
    downgrade(db_url, "base")
    engine = make_engine(db_url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(db_url)
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_urls_are_normalised() -> None:
    assert normalize_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("sqlite:///x.db") == "sqlite:///x.db"
    with pytest.raises(ConfigurationError):
        normalize_url("mysql://u@h/db")
    with pytest.raises(ConfigurationError):
        normalize_url("postgresql+psycopg2://u@h/db")


def test_sqlite_pragmas(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    finally:
        engine.dispose()


def test_default_sqlite_url_creates_var_dir_and_upgrades(tmp_path: Path) -> None:
    var = tmp_path / "nested" / "var"
    url = default_sqlite_url(var)
    assert url == f"sqlite:///{(var / 'yuqing.db').resolve()}"
    engine = make_engine(url)
    try:
        with pytest.raises(SchemaMissing, match="yuqing init"):
            check_schema(engine)
        upgrade(url)
        assert check_schema(engine) == head_revision()
        assert (var / "yuqing.db").exists()
    finally:
        engine.dispose()
