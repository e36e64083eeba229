"""Notices: claimed once by key (so two sweeps send each warning once), then sent or retried."""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session

from responder.types import Notice, NoticeKind
from storage.models import NoticeRow, tbl
from storage.records import NoticeRecord, NoticeStatus
from storage.repositories._common import chunked, upsert_insert


def _record(row: Any) -> NoticeRecord:
    return NoticeRecord(
        id=row.id,
        notice=Notice(
            key=row.key,
            kind=NoticeKind(row.kind),
            case_id=row.case_id,
            clock_id=row.clock_id,
            unit_id=row.unit_id,
            title=row.title,
            body=row.body,
            due_at=row.due_at,
            created_for=row.created_for,
        ),
        status=NoticeStatus(row.status),
        attempts=row.attempts,
        last_error=row.last_error,
        created_at=row.created_at,
        sent_at=row.sent_at,
    )


class NoticeRepository:
    """Escalation notices and their delivery state."""

    def __init__(self, session: Session) -> None:
        """Bind the repository to a session; commit right after claim() so other sweeps see the claim."""
        self.session = session

    def claim(self, notice: Notice, now: datetime) -> bool:
        """Insert the notice unless its key exists; True only for the one caller whose insert won."""
        stmt = (
            upsert_insert(self.session, NoticeRow)
            .values(
                key=notice.key,
                kind=notice.kind.value,
                case_id=notice.case_id,
                clock_id=notice.clock_id,
                unit_id=notice.unit_id,
                title=notice.title,
                body=notice.body,
                due_at=notice.due_at,
                created_for=notice.created_for,
                created_at=now,
                status=NoticeStatus.PENDING.value,
                attempts=0,
            )
            .on_conflict_do_nothing(index_elements=[NoticeRow.key])
            .returning(NoticeRow.id)
        )
        return self.session.execute(stmt).scalar_one_or_none() is not None

    def existing_keys(self, keys: Iterable[str]) -> set[str]:
        """Which of these keys were already claimed (chunked IN queries)."""
        found: set[str] = set()
        for chunk in chunked(sorted(set(keys)), 1000):
            found.update(self.session.scalars(select(NoticeRow.key).where(NoticeRow.key.in_(chunk))))
        return found

    def mark_sent(self, key: str, now: datetime) -> None:
        """Record a successful delivery."""
        self.session.execute(
            update(NoticeRow)
            .where(NoticeRow.key == key)
            .values(
                status=NoticeStatus.SENT.value, sent_at=now, attempts=NoticeRow.attempts + 1, last_error=None
            )
        )

    def mark_failed(self, key: str, error: str, now: datetime) -> None:
        """Record a failed delivery attempt (retried later by failed_for_retry)."""
        _ = now  # attempts are counted; the time of the failure lives in the audit log
        self.session.execute(
            update(NoticeRow)
            .where(NoticeRow.key == key)
            .values(
                status=NoticeStatus.FAILED.value, attempts=NoticeRow.attempts + 1, last_error=error[:2000]
            )
        )

    def failed_for_retry(
        self, max_attempts: int, *, pending_before: datetime | None = None
    ) -> list[NoticeRecord]:
        """Failed notices with attempts left, and (if given) pending ones claimed before a crash."""
        cond: ColumnElement[bool] = (NoticeRow.status == NoticeStatus.FAILED.value) & (
            NoticeRow.attempts < max_attempts
        )
        if pending_before is not None:
            cond = or_(
                cond,
                (NoticeRow.status == NoticeStatus.PENDING.value) & (NoticeRow.created_at < pending_before),
            )
        rows = self.session.execute(select(tbl(NoticeRow)).where(cond).order_by(NoticeRow.id))
        return [_record(r) for r in rows]

    def get(self, key: str) -> NoticeRecord | None:
        """A notice by key."""
        row = self.session.execute(select(tbl(NoticeRow)).where(NoticeRow.key == key)).first()
        return _record(row) if row is not None else None

    def list(
        self, *, case_id: int | None = None, status: NoticeStatus | None = None, limit: int = 200
    ) -> list[NoticeRecord]:
        """Notices, newest first, optionally of one case or status."""
        stmt = select(tbl(NoticeRow)).order_by(NoticeRow.id.desc()).limit(limit)
        if case_id is not None:
            stmt = stmt.where(NoticeRow.case_id == case_id)
        if status is not None:
            stmt = stmt.where(NoticeRow.status == status.value)
        return [_record(r) for r in self.session.execute(stmt)]

    def undelivered(
        self, *, since: datetime, pending_before: datetime, unit_ids: Iterable[str] = (), limit: int = 200
    ) -> builtins.list[NoticeRecord]:
        """Notices created since `since` that have not reached anyone, newest first: failed sends, and
        claims still pending from before `pending_before` (the process stopped mid-send, so whether the
        message went out is unknown; it is not resent, a warning never goes out twice).

        With unit_ids, only those units' notices and system notices (no unit, e.g. source health).
        """
        cond: ColumnElement[bool] = or_(
            NoticeRow.status == NoticeStatus.FAILED.value,
            (NoticeRow.status == NoticeStatus.PENDING.value) & (NoticeRow.created_at < pending_before),
        )
        stmt = select(tbl(NoticeRow)).where(cond, NoticeRow.created_at >= since)
        units = list(unit_ids)
        if units:
            stmt = stmt.where(or_(NoticeRow.unit_id.in_(units), NoticeRow.unit_id == ""))
        rows = self.session.execute(stmt.order_by(NoticeRow.id.desc()).limit(limit))
        return [_record(r) for r in rows]
