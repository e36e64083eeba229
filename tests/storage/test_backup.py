"""Online backup and restore on both backends: a restored copy has every row, the schema version and the
audit log's append-only triggers; nothing is overwritten and failures leave no half-written file."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from responder.types import AuditEntry
from storage.backup import backup, backup_suffix, restore
from storage.db import check_schema, make_engine, session_factory
from storage.errors import BackupError
from storage.repositories.audit import AuditRepository
from storage.repositories.cases import CaseRepository
from storage.repositories.items import ItemRepository
from tests.storage.factories import T0, case, item, seed_config


def _seed(url: str) -> int:
    """Items, a case with clocks and audit entries; returns the case id."""
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            seed_config(session)
            added = [ItemRepository(session).add(item(n), now=T0) for n in range(1, 6)]
            stored, _ = CaseRepository(session).open(case(event_id=added[0].event_id or 0))
            AuditRepository(session).append([
                AuditEntry(at=T0, actor="值班员甲", action="case_opened", entity="case", entity_id=str(stored.id),
                           case_id=stored.id),
            ])
            session.commit()
            return stored.id or 0
    finally:
        engine.dispose()


def _counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return {
                table: int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
                for table in ("items", "events", "cases", "clocks", "audit_log", "units", "sources")
            }
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> tuple[str, str]:
    """(a migrated database URL, a new empty database URL) on one backend."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url")), str(request.getfixturevalue("empty_sqlite_url"))
    return str(request.getfixturevalue("pg_url")), str(request.getfixturevalue("empty_pg_url"))


def test_backup_restores_every_row_schema_and_audit_triggers(backend: tuple[str, str], tmp_path: Path) -> None:
    source, target = backend
    case_id = _seed(source)
    # A write transaction left open during the backup: the copy is the committed state, taken online.
    writer = make_engine(source)
    try:
        with writer.connect() as connection:
            transaction = connection.begin()
            connection.execute(text("UPDATE units SET name = '未提交的名称'"))
            result = backup(source, tmp_path / f"copy{backup_suffix(source)}")
            transaction.rollback()
    finally:
        writer.dispose()
    assert result.path.is_file() and result.size_bytes > 0
    assert not list(tmp_path.glob("*.partial"))

    restore(result.path, target)
    assert _counts(target) == _counts(source)
    engine = make_engine(target)
    try:
        check_schema(engine)  # at head: the restored copy is usable as it is
        with session_factory(engine)() as session:
            restored = CaseRepository(session).get(case_id)
            assert restored.clocks and restored.event_id
            names = session.execute(text("SELECT name FROM units")).scalars().all()
            assert "未提交的名称" not in names
            with pytest.raises(DBAPIError, match="append-only"):
                session.execute(text("UPDATE audit_log SET actor = 'mallory'"))
            session.rollback()
            with pytest.raises(DBAPIError, match="append-only"):
                session.execute(text("DELETE FROM audit_log"))
    finally:
        engine.dispose()


def test_backup_never_overwrites_and_restore_only_into_an_empty_database(
    backend: tuple[str, str], tmp_path: Path
) -> None:
    source, target = backend
    _seed(source)
    existing = tmp_path / "exists.bak"
    existing.write_bytes(b"keep me")
    with pytest.raises(BackupError, match="已存在"):
        backup(source, existing)
    assert existing.read_bytes() == b"keep me"

    copy = backup(source, tmp_path / f"copy{backup_suffix(source)}").path
    before = _counts(source)
    with pytest.raises(BackupError, match="恢复只写入"):
        restore(copy, source)  # the live database is never a restore target
    assert _counts(source) == before
    with pytest.raises(BackupError, match="不是"):
        restore(existing, target)  # not a backup at all
    with pytest.raises(BackupError, match="不存在"):
        restore(tmp_path / "missing.dump", target)


@pytest.mark.postgres
def test_a_failed_pg_dump_says_why_and_leaves_no_file(pg_url: str, tmp_path: Path) -> None:
    wrong = pg_url.rsplit("/", 1)[0] + "/no_such_database"
    target = tmp_path / "x.dump"
    with pytest.raises(BackupError, match="pg_dump") as failure:
        backup(wrong, target)
    assert "no_such_database" in str(failure.value)
    assert not target.exists() and not list(tmp_path.iterdir())


def test_a_sqlite_backup_does_not_go_into_postgres(sqlite_url: str, empty_pg_url: str, tmp_path: Path) -> None:
    copy = backup(sqlite_url, tmp_path / "copy.db").path
    with pytest.raises(BackupError, match="pg_dump"):
        restore(copy, empty_pg_url)
