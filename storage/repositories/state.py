"""Service state (heartbeats, last sweep) and leases for single-leader scheduling."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from storage.models import LeaseRow, ServiceStateRow
from storage.records import StateRecord
from storage.repositories._common import upsert_insert


class StateRepository:
    """Small named JSON values with the time they were written."""

    def __init__(self, session: Session) -> None:
        """Bind the repository to a session; the caller commits."""
        self.session = session

    def get(self, key: str) -> dict[str, Any] | None:
        """The value stored under a key."""
        record = self.get_record(key)
        return record.value if record is not None else None

    def get_record(self, key: str) -> StateRecord | None:
        """The value and its time."""
        row = self.session.get(ServiceStateRow, key)
        if row is None:
            return None
        return StateRecord(key=row.key, value=dict(row.value or {}), updated_at=row.updated_at)

    def set(self, key: str, value: dict[str, Any], now: datetime) -> None:
        """Store (insert or replace) a value."""
        stmt = upsert_insert(self.session, ServiceStateRow).values(key=key, value=value, updated_at=now)
        stmt = stmt.on_conflict_do_update(
            index_elements=[ServiceStateRow.key],
            set_={"value": stmt.excluded.value, "updated_at": stmt.excluded.updated_at},
        )
        self.session.execute(stmt)
        self.session.expire_all()  # the identity map may hold the old row

    def all(self) -> list[StateRecord]:
        """Every stored value, by key."""
        rows = self.session.scalars(select(ServiceStateRow).order_by(ServiceStateRow.key))
        return [StateRecord(key=r.key, value=dict(r.value or {}), updated_at=r.updated_at) for r in rows]


class LeaseRepository:
    """Named leases: at most one holder at a time, taken over only after expiry."""

    def __init__(self, session: Session) -> None:
        """Bind the repository to a session; commit right after acquire() so others see it."""
        self.session = session

    def acquire(self, name: str, holder: str, ttl: timedelta | float, now: datetime) -> bool:
        """Take or renew the lease in one atomic upsert; True if `holder` holds it until now + ttl."""
        ttl = ttl if isinstance(ttl, timedelta) else timedelta(seconds=ttl)
        stmt = upsert_insert(self.session, LeaseRow).values(name=name, holder=holder, expires_at=now + ttl)
        stmt = stmt.on_conflict_do_update(
            index_elements=[LeaseRow.name],
            set_={"holder": stmt.excluded.holder, "expires_at": stmt.excluded.expires_at},
            where=or_(LeaseRow.holder == stmt.excluded.holder, LeaseRow.expires_at <= now),
        ).returning(LeaseRow.holder)
        won = self.session.execute(stmt).scalar_one_or_none()
        self.session.expire_all()
        return won == holder

    def release(self, name: str, holder: str) -> bool:
        """Give the lease up if `holder` has it."""
        result = self.session.execute(
            delete(LeaseRow).where(LeaseRow.name == name, LeaseRow.holder == holder)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def holder(self, name: str, now: datetime) -> str | None:
        """Who holds the lease now (None if free or expired)."""
        row = self.session.execute(
            select(LeaseRow.holder, LeaseRow.expires_at).where(LeaseRow.name == name)
        ).first()
        if row is None or row.expires_at <= now:
            return None
        return str(row.holder)
