"""Users of the dashboard (the caller hashes passwords; see storage.passwords)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.errors import NotFound, StorageError
from storage.models import UserRow, tbl
from storage.records import Role, UserRecord
from storage.repositories._common import upsert_insert


class UserExists(StorageError):
    """A user with this username exists already."""


def _user(row: Any) -> UserRecord:
    return UserRecord(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        password_hash=row.password_hash,
        role=Role(row.role),
        units=tuple(row.units or ()),
        active=row.active,
        created_at=row.created_at,
    )


class UserRepository:
    """Dashboard users and roles."""

    def __init__(self, session: Session) -> None:
        """Bind the repository to a session; the caller commits."""
        self.session = session

    def add(
        self,
        username: str,
        display_name: str,
        password_hash: str,
        role: Role | str,
        units: Sequence[str] = (),
        *,
        now: datetime,
    ) -> UserRecord:
        """Create a user; raises UserExists if the username is taken."""
        role = role if isinstance(role, Role) else Role.parse(role)
        stmt = (
            upsert_insert(self.session, UserRow)
            .values(
                username=username,
                display_name=display_name,
                password_hash=password_hash,
                role=role.value,
                units=list(units),
                active=True,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=[UserRow.username])
            .returning(UserRow.id)
        )
        if self.session.execute(stmt).scalar_one_or_none() is None:
            raise UserExists(f"用户已存在 / user exists: {username}")
        user = self.get_by_username(username)
        assert user is not None
        return user

    def get_by_username(self, username: str) -> UserRecord | None:
        """A user by username."""
        row = self.session.execute(select(tbl(UserRow)).where(UserRow.username == username)).first()
        return _user(row) if row is not None else None

    def list(self) -> list[UserRecord]:
        """All users by username."""
        return [_user(r) for r in self.session.execute(select(tbl(UserRow)).order_by(UserRow.username))]

    def set_active(self, username: str, active: bool) -> None:
        """Enable or disable a user."""
        self._update(username, active=active)

    def set_password_hash(self, username: str, password_hash: str) -> None:
        """Replace a user's password hash."""
        self._update(username, password_hash=password_hash)

    def set_role(self, username: str, role: Role | str, units: Sequence[str] | None = None) -> None:
        """Change a user's role (and units, if given)."""
        values: dict[str, Any] = {"role": (role if isinstance(role, Role) else Role.parse(role)).value}
        if units is not None:
            values["units"] = list(units)
        self._update(username, **values)

    def _update(self, username: str, **values: Any) -> None:
        result = self.session.execute(update(UserRow).where(UserRow.username == username).values(**values))
        if result.rowcount == 0:  # type: ignore[attr-defined]
            raise NotFound(f"用户不存在 / no such user: {username}")
