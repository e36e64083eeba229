"""Units: the profiles from the config, kept in the database for queries and history."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from classifier.types import UnitKind, UnitProfile
from storage.errors import NotFound
from storage.models import UnitRow
from storage.repositories._common import upsert_insert


def _profile(row: UnitRow) -> UnitProfile:
    data: dict[str, Any] = dict(row.profile or {})
    known = {f.name for f in dataclasses.fields(UnitProfile)}
    kwargs: dict[str, Any] = {k: v for k, v in data.items() if k in known}
    for name, value in kwargs.items():
        if isinstance(value, list):  # JSON has no tuples; every sequence field of the profile is a tuple
            kwargs[name] = tuple(tuple(v) if isinstance(v, list) else v for v in value)
    kwargs.update(
        id=row.id, name=row.name, jurisdiction=row.jurisdiction, kind=UnitKind(row.kind), plan=row.plan_id
    )
    return UnitProfile(**kwargs)


class UnitRepository:
    """Units as configured."""

    def __init__(self, session: Session) -> None:
        """Bind the repository to a session; the caller commits."""
        self.session = session

    def sync_from_config(self, profiles: Sequence[UnitProfile], *, now: datetime) -> None:
        """Upsert the configured units; units gone from the config are marked removed, never deleted."""
        session = self.session
        for profile in profiles:
            data = dataclasses.asdict(profile)
            data = {
                k: (list(v) if isinstance(v, tuple) else str(v) if isinstance(v, str) else v)
                for k, v in data.items()
            }
            values = {
                "id": profile.id,
                "name": profile.name,
                "kind": str(profile.kind),
                "jurisdiction": profile.jurisdiction,
                "plan_id": profile.plan,
                "profile": data,
                "removed_at": None,
                "updated_at": now,
            }
            stmt = upsert_insert(session, UnitRow).values(values)
            stmt = stmt.on_conflict_do_update(
                index_elements=[UnitRow.id],
                set_={k: getattr(stmt.excluded, k) for k in values if k != "id"},
            )
            session.execute(stmt)
        gone = update(UnitRow).where(UnitRow.removed_at.is_(None))
        ids = [p.id for p in profiles]
        if ids:
            gone = gone.where(UnitRow.id.not_in(ids))
        session.execute(gone.values(removed_at=now, updated_at=now))

    def get(self, unit_id: str) -> UnitProfile:
        """One unit's profile."""
        row = self.session.get(UnitRow, unit_id)
        if row is None:
            raise NotFound(f"unit {unit_id!r} not found")
        return _profile(row)

    def list(self, *, include_removed: bool = False) -> list[UnitProfile]:
        """Units by id (without those removed from the config unless asked)."""
        stmt = select(UnitRow).order_by(UnitRow.id)
        if not include_removed:
            stmt = stmt.where(UnitRow.removed_at.is_(None))
        return [_profile(r) for r in self.session.scalars(stmt)]
