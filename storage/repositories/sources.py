"""Sources: config sync, fetch history, health with back-off, conditional-GET state."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from crawlers.types import FetchOutcome, SourceSpec
from storage.errors import NotFound
from storage.models import FetchRow, SourceRow
from storage.records import ConditionalState, FetchRecord, HealthPolicy, SourceHealth, SourceHealthState
from storage.repositories._common import tuple_or_empty, upsert_insert


def _health(row: SourceRow) -> SourceHealth:
    interval = row.config.get("poll_interval_s") if isinstance(row.config, dict) else None
    return SourceHealth(
        id=row.id,
        name=row.name,
        kind=row.kind,
        url=row.url,
        enabled=row.enabled,
        removed=row.removed_at is not None,
        health=SourceHealthState(row.health),
        consecutive_failures=row.consecutive_failures,
        last_success_at=row.last_success_at,
        last_failure_at=row.last_failure_at,
        last_error=row.last_error,
        next_poll_at=row.next_poll_at,
        health_alerted_at=row.health_alerted_at,
        etag=row.etag,
        last_modified=row.last_modified,
        poll_interval_s=int(interval) if isinstance(interval, int | float) else None,
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, str):
        return str(value)  # StrEnum members become plain strings
    return value


class SourceRepository:
    """Configured sources and what their fetches did."""

    def __init__(self, session: Session) -> None:
        """Bind the repository to a session; the caller commits."""
        self.session = session

    def sync_from_config(self, specs: Sequence[SourceSpec], *, now: datetime) -> None:
        """Upsert the configured sources; sources gone from the config are disabled and marked, never deleted."""
        session = self.session
        ids = [spec.id for spec in specs]
        for spec in specs:
            config = _jsonable(dataclasses.asdict(spec))
            values = {
                "id": spec.id,
                "name": spec.name,
                "kind": str(spec.kind),
                "url": spec.url,
                "config": config,
                "enabled": spec.enabled,
                "removed_at": None,
                "consecutive_failures": 0,
                "health": SourceHealthState.OK.value,
                "updated_at": now,
            }
            stmt = upsert_insert(session, SourceRow).values(values)
            stmt = stmt.on_conflict_do_update(
                index_elements=[SourceRow.id],
                set_={
                    "name": stmt.excluded.name,
                    "kind": stmt.excluded.kind,
                    "url": stmt.excluded.url,
                    "config": stmt.excluded.config,
                    "enabled": stmt.excluded.enabled,
                    "removed_at": None,
                    "updated_at": stmt.excluded.updated_at,
                },
            )
            session.execute(stmt)
        gone = update(SourceRow).where(SourceRow.removed_at.is_(None))
        if ids:
            gone = gone.where(SourceRow.id.not_in(ids))
        session.execute(gone.values(enabled=False, removed_at=now, updated_at=now))

    def ensure(self, spec: SourceSpec, *, now: datetime) -> None:
        """Create a source that is not in the config (an ad-hoc import) unless it exists; never changes one."""
        values = {
            "id": spec.id,
            "name": spec.name,
            "kind": str(spec.kind),
            "url": spec.url,
            "config": _jsonable(dataclasses.asdict(spec)),
            "enabled": spec.enabled,
            "consecutive_failures": 0,
            "health": SourceHealthState.OK.value,
            "updated_at": now,
        }
        stmt = upsert_insert(self.session, SourceRow).values(values)
        self.session.execute(stmt.on_conflict_do_nothing(index_elements=[SourceRow.id]))

    def record_fetch(
        self,
        outcome: FetchOutcome,
        items_new: int,
        items_seen: int,
        *,
        policy: HealthPolicy | None = None,
        poll_interval_s: float | None = None,
    ) -> SourceHealth:
        """Record one fetch and update the source's health, conditional-GET state and next poll time."""
        policy = policy or HealthPolicy()
        session = self.session
        row = session.get(SourceRow, outcome.source_id, with_for_update=self._lock())
        if row is None:
            raise NotFound(f"source {outcome.source_id!r} is not configured")
        session.add(
            FetchRow(
                source_id=outcome.source_id,
                started_at=outcome.started_at,
                finished_at=outcome.finished_at,
                ok=outcome.ok,
                http_status=outcome.http_status,
                not_modified=outcome.not_modified,
                items_new=items_new,
                items_seen=items_seen,
                error=outcome.error,
                flags=list(outcome.flags),
            )
        )
        interval = poll_interval_s
        if interval is None:
            configured = row.config.get("poll_interval_s") if isinstance(row.config, dict) else None
            interval = float(configured) if isinstance(configured, int | float) else 600.0
        if outcome.ok:
            row.consecutive_failures = 0
            row.last_success_at = outcome.finished_at
            row.last_error = None
            row.health = SourceHealthState.OK.value
            row.health_alerted_at = None  # a later failure streak alerts again
            if outcome.etag is not None:
                row.etag = outcome.etag
            if outcome.last_modified is not None:
                row.last_modified = outcome.last_modified
        else:
            row.consecutive_failures += 1
            row.last_failure_at = outcome.finished_at
            row.last_error = outcome.error or "unknown error"
            row.health = policy.health_for(row.consecutive_failures).value
        row.next_poll_at = outcome.finished_at + policy.next_delay(interval, row.consecutive_failures)
        row.updated_at = outcome.finished_at
        session.flush()
        return _health(row)

    def _lock(self) -> bool:
        # Row locks matter on PostgreSQL; SQLite serialises writers anyway.
        return self.session.get_bind().dialect.name == "postgresql"

    def mark_health_alerted(self, source_id: str, now: datetime) -> None:
        """Remember that a health alert went out for the current failure streak."""
        self.session.execute(update(SourceRow).where(SourceRow.id == source_id).values(health_alerted_at=now))

    def conditional_state(self, source_id: str) -> ConditionalState:
        """ETag and Last-Modified to send with the next GET of a source."""
        row = self.session.execute(
            select(SourceRow.etag, SourceRow.last_modified).where(SourceRow.id == source_id)
        ).first()
        if row is None:
            return ConditionalState()
        return ConditionalState(etag=row.etag, last_modified=row.last_modified)

    def set_conditional_state(self, source_id: str, state: ConditionalState) -> None:
        """Store ETag and Last-Modified after a fetch."""
        self.session.execute(
            update(SourceRow)
            .where(SourceRow.id == source_id)
            .values(etag=state.etag, last_modified=state.last_modified)
        )

    def get_health(self, source_id: str) -> SourceHealth:
        """One source with its health."""
        row = self.session.get(SourceRow, source_id)
        if row is None:
            raise NotFound(f"source {source_id!r} not found")
        return _health(row)

    def list_health(self, *, include_removed: bool = True) -> list[SourceHealth]:
        """All sources with their health, by id."""
        stmt = select(SourceRow).order_by(SourceRow.id)
        if not include_removed:
            stmt = stmt.where(SourceRow.removed_at.is_(None))
        return [_health(r) for r in self.session.scalars(stmt)]

    def due(self, now: datetime) -> list[str]:
        """Ids of enabled sources whose next poll time has come (or that were never polled)."""
        stmt = (
            select(SourceRow.id)
            .where(SourceRow.enabled.is_(True), SourceRow.removed_at.is_(None))
            .where(or_(SourceRow.next_poll_at.is_(None), SourceRow.next_poll_at <= now))
            .order_by(SourceRow.id)
        )
        return list(self.session.scalars(stmt))

    def recent_fetches(self, source_id: str, limit: int = 20) -> list[FetchRecord]:
        """The latest fetches of a source, newest first."""
        rows = self.session.scalars(
            select(FetchRow)
            .where(FetchRow.source_id == source_id)
            .order_by(FetchRow.started_at.desc(), FetchRow.id.desc())
            .limit(limit)
        )
        return [
            FetchRecord(
                id=r.id,
                source_id=r.source_id,
                started_at=r.started_at,
                finished_at=r.finished_at,
                ok=r.ok,
                http_status=r.http_status,
                not_modified=r.not_modified,
                items_new=r.items_new,
                items_seen=r.items_seen,
                error=r.error,
                flags=tuple_or_empty(r.flags),
            )
            for r in rows
        ]
