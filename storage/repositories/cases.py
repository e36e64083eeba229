"""Cases, their clocks and responses; the bulk view a deadline sweep reads."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any

from sqlalchemy import exists, select, tuple_, update
from sqlalchemy.orm import Session

from classifier.types import Grade
from responder.types import (
    Case,
    CaseState,
    CaseTimes,
    Channel,
    Clock,
    ClockKind,
    ClockState,
    ClockView,
    LimitUnit,
    Response,
    ResponseMethod,
    StartBasis,
    Trigger,
)
from storage.errors import NaiveDatetimeError, NotFound
from storage.models import CaseRow, ClockRow, ResponseRow, tbl
from storage.repositories._common import chunked, upsert_insert

CLOSED_STATES = (CaseState.CLOSED.value, CaseState.DISMISSED.value)
UNMET_CLOCK_STATES = (ClockState.RUNNING.value, ClockState.BREACHED.value)

# Enum lookups by value are dict hits; Enum(value) calls are several times slower and the sweep
# converts hundreds of thousands of values.
_CASE_STATE = {s.value: s for s in CaseState}
_CLOCK_STATE = {s.value: s for s in ClockState}
_CLOCK_KIND = {k.value: k for k in ClockKind}
_GRADE = {g.value: g for g in Grade}


def _sql_list(values: Iterable[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


_SWEEP_SQL = (
    "SELECT k.case_id, k.id, c.unit_id, c.title, c.state, c.grade, k.kind, k.state, k.started_at, k.due_at, "
    "c.acknowledged_at, (SELECT MAX(n.created_for) FROM notices AS n WHERE n.clock_id = k.id) "
    "FROM clocks AS k JOIN cases AS c ON c.id = k.case_id "
    f"WHERE k.state IN ({_sql_list(UNMET_CLOCK_STATES)}) AND c.state NOT IN ({_sql_list(CLOSED_STATES)})"
)


_view_order = attrgetter("due_at", "clock_id")


def _grade(value: str | None) -> Grade | None:
    return _GRADE[value] if value else None


def clock_from_row(row: Any) -> Clock:
    """Build a domain Clock from a clocks row (ORM object or Core row)."""
    return Clock(
        kind=_CLOCK_KIND[row.kind],
        basis=StartBasis(row.basis),
        started_at=row.started_at,
        due_at=row.due_at,
        limit=row.limit_value,
        unit=LimitUnit(row.limit_unit),
        plan_id=row.plan_id,
        plan_version=row.plan_version,
        trigger=Trigger(row.trigger),
        citation=row.citation,
        met_by=tuple(ResponseMethod(m) for m in (row.met_by or ())),
        repeats=row.repeats,
        state=_CLOCK_STATE[row.state],
        met_at=row.met_at,
        met_by_response_id=row.met_by_response_id,
        superseded_at=row.superseded_at,
        id=row.id,
    )


def response_from_row(row: Any) -> Response:
    """Build a domain Response from a responses row."""
    return Response(
        method=ResponseMethod(row.method),
        channel=Channel(row.channel),
        actor=row.actor,
        responded_at=row.responded_at,
        link=row.link,
        text=row.text,
        recorded_at=row.recorded_at,
        id=row.id,
    )


def case_from_row(row: Any, clocks: Sequence[Clock] = (), responses: Sequence[Response] = ()) -> Case:
    """Build a domain Case from a cases row and its clocks and responses."""
    return Case(
        event_id=row.event_id,
        unit_id=row.unit_id,
        state=_CASE_STATE[row.state],
        grade=_grade(row.grade),
        trigger=Trigger(row.trigger) if row.trigger else None,
        heavy_casualties=row.heavy_casualties,
        plan_id=row.plan_id,
        plan_version=row.plan_version,
        times=CaseTimes(
            occurred_at=row.occurred_at, first_online_at=row.first_online_at, discovered_at=row.discovered_at
        ),
        opened_at=row.opened_at,
        title=row.title,
        category=row.category,
        clocks=tuple(clocks),
        responses=tuple(responses),
        acknowledged_at=row.acknowledged_at,
        closed_at=row.closed_at,
        dismiss_reason=row.dismiss_reason,
        id=row.id,
    )


def _clock_values(clock: Clock) -> dict[str, Any]:
    return {
        "kind": clock.kind.value,
        "basis": clock.basis.value,
        "trigger": clock.trigger.value,
        "started_at": clock.started_at,
        "due_at": clock.due_at,
        "limit_value": float(clock.limit),
        "limit_unit": clock.unit.value,
        "plan_id": clock.plan_id,
        "plan_version": clock.plan_version,
        "citation": clock.citation,
        "met_by": [m.value for m in clock.met_by],
        "repeats": clock.repeats,
        "state": clock.state.value,
        "met_at": clock.met_at,
        "met_by_response_id": clock.met_by_response_id,
        "superseded_at": clock.superseded_at,
    }


def _case_values(case: Case) -> dict[str, Any]:
    return {
        "event_id": case.event_id,  # changes only when a duplicate event is folded into another
        "state": case.state.value,
        "grade": case.grade.value if case.grade else None,
        "trigger": case.trigger.value if case.trigger else None,
        "heavy_casualties": case.heavy_casualties,
        "category": str(case.category),
        "title": case.title,
        "plan_id": case.plan_id,
        "plan_version": case.plan_version,
        "occurred_at": case.times.occurred_at,
        "first_online_at": case.times.first_online_at,
        "discovered_at": case.times.discovered_at,
        "opened_at": case.opened_at,
        "acknowledged_at": case.acknowledged_at,
        "closed_at": case.closed_at,
        "dismiss_reason": case.dismiss_reason,
    }


def _latest(case: Case) -> datetime:
    moments = [case.opened_at, case.acknowledged_at, case.closed_at]
    moments += [r.recorded_at or r.responded_at for r in case.responses]
    moments += [c.met_at for c in case.clocks] + [c.superseded_at for c in case.clocks]
    return max(m for m in moments if m is not None)


class CaseRepository:
    """Cases (one event × one unit) with clocks and responses."""

    def __init__(self, session: Session) -> None:
        """Bind the repository to a session; the caller commits."""
        self.session = session

    def open(self, case: Case) -> tuple[Case, bool]:
        """Store a new case with its clocks; if the (event, unit) case exists, return it untouched.

        Returns (stored case with ids, created). A second open never restarts a clock.
        """
        session = self.session
        values = _case_values(case) | {
            "event_id": case.event_id,
            "unit_id": case.unit_id,
            "updated_at": case.opened_at,
        }
        stmt = (
            upsert_insert(session, CaseRow)
            .values(values)
            .on_conflict_do_nothing(index_elements=[CaseRow.event_id, CaseRow.unit_id])
            .returning(CaseRow.id)
        )
        case_id = session.execute(stmt).scalar_one_or_none()
        if case_id is None:
            existing = session.execute(
                select(CaseRow.id).where(CaseRow.event_id == case.event_id, CaseRow.unit_id == case.unit_id)
            ).scalar_one()
            return self.get(existing), False
        for response in case.responses:
            self._insert_response(case_id, response, None)
        if case.clocks:
            session.execute(
                tbl(ClockRow).insert(), [_clock_values(c) | {"case_id": case_id} for c in case.clocks]
            )
        return self.get(case_id), True

    def open_many(
        self, cases: Sequence[Case], *, load: bool = True
    ) -> builtins.list[tuple[Case | None, bool]]:
        """open() for a batch in a few statements (imports, benchmarks); results in input order.

        With load=False the stored cases are not read back (the first element is None), which is
        what a bulk import of 100,000 cases wants.
        """
        if not cases:
            return []
        session = self.session
        table = tbl(CaseRow)
        values = [
            _case_values(c) | {"event_id": c.event_id, "unit_id": c.unit_id, "updated_at": c.opened_at}
            for c in cases
        ]
        stmt = (
            upsert_insert(session, table)
            .on_conflict_do_nothing(index_elements=[table.c.event_id, table.c.unit_id])
            .returning(table.c.id, table.c.event_id, table.c.unit_id)
        )
        created: dict[tuple[int, str], int] = {}
        for chunk in chunked(values, 500):
            for row in session.execute(stmt, chunk):
                created[(row.event_id, row.unit_id)] = row.id
        clocks: builtins.list[dict[str, Any]] = []
        ids: builtins.list[int | None] = []
        fresh: builtins.list[bool] = []
        seen: set[tuple[int, str]] = set()
        for c in cases:
            key = (c.event_id, c.unit_id)
            case_id = created.get(key) if key not in seen else None
            seen.add(key)
            fresh.append(case_id is not None)
            ids.append(case_id)
            if case_id is not None:
                clocks.extend(_clock_values(k) | {"case_id": case_id} for k in c.clocks)
                for response in c.responses:
                    self._insert_response(case_id, response, None)
        for clock_rows in chunked(clocks, 1000):
            session.execute(tbl(ClockRow).insert(), clock_rows)
        missing = [(c.event_id, c.unit_id) for c, i in zip(cases, ids, strict=True) if i is None]
        if missing:
            existing: dict[tuple[int, str], int] = {}
            for keys in chunked(sorted(set(missing)), 500):
                for row in session.execute(
                    select(table.c.id, table.c.event_id, table.c.unit_id).where(
                        tuple_(table.c.event_id, table.c.unit_id).in_(keys)
                    )
                ):
                    existing[(row.event_id, row.unit_id)] = row.id
            ids = [
                i if i is not None else existing[(c.event_id, c.unit_id)]
                for c, i in zip(cases, ids, strict=True)
            ]
        if not load:
            return [(None, f) for f in fresh]
        loaded = {c.id: c for c in self.load([i for i in ids if i is not None])}
        return [(loaded[i] if i is not None else None, f) for i, f in zip(ids, fresh, strict=True)]

    def save(self, case: Case, *, now: datetime | None = None) -> Case:
        """Write a changed case: update its row, update clocks with ids, insert clocks and responses without."""
        if case.id is None:
            raise ValueError("save() needs a stored case (with id); use open() for new cases")
        session = self.session
        updated = session.execute(
            update(CaseRow)
            .where(CaseRow.id == case.id)
            .values(_case_values(case) | {"updated_at": now or _latest(case)})
        )
        if updated.rowcount == 0:  # type: ignore[attr-defined]
            raise NotFound(f"case {case.id} not found")
        for response in case.responses:
            if response.id is None:
                self._insert_response(case.id, response, now)
        new_clocks = [_clock_values(c) | {"case_id": case.id} for c in case.clocks if c.id is None]
        for clock in case.clocks:
            if clock.id is not None:
                session.execute(
                    update(ClockRow)
                    .where(ClockRow.id == clock.id, ClockRow.case_id == case.id)
                    .values(_clock_values(clock))
                )
        if new_clocks:
            session.execute(tbl(ClockRow).insert(), new_clocks)
        return self.get(case.id)

    def add_response(self, case_id: int, response: Response, *, now: datetime | None = None) -> Response:
        """Record a response on a case and return it with its id."""
        if self.session.get(CaseRow, case_id) is None:
            raise NotFound(f"case {case_id} not found")
        new_id = self._insert_response(case_id, response, now)
        row = self.session.get(ResponseRow, new_id)
        assert row is not None
        return response_from_row(row)

    def _insert_response(self, case_id: int, response: Response, now: datetime | None) -> int:
        stmt = (
            tbl(ResponseRow)
            .insert()
            .values(
                case_id=case_id,
                method=response.method.value,
                channel=response.channel.value,
                link=response.link,
                text=response.text,
                actor=response.actor,
                responded_at=response.responded_at,
                recorded_at=response.recorded_at or now or response.responded_at,
            )
            .returning(tbl(ResponseRow).c.id)
        )
        return int(self.session.execute(stmt).scalar_one())

    def get(self, case_id: int) -> Case:
        """One case with its clocks and responses."""
        cases = self.load([case_id])
        if not cases:
            raise NotFound(f"case {case_id} not found")
        return cases[0]

    def find(self, event_id: int, unit_id: str) -> Case | None:
        """The case of an event for a unit, if opened."""
        case_id = self.session.execute(
            select(CaseRow.id).where(CaseRow.event_id == event_id, CaseRow.unit_id == unit_id)
        ).scalar_one_or_none()
        return self.get(case_id) if case_id is not None else None

    def for_event(self, event_id: int) -> list[Case]:
        """Every case opened for an event."""
        ids = self.session.scalars(
            select(CaseRow.id).where(CaseRow.event_id == event_id).order_by(CaseRow.id)
        )
        return self.load(builtins.list(ids))

    def list(
        self,
        *,
        unit_ids: Sequence[str] | None = None,
        states: Sequence[CaseState | str] | None = None,
        overdue_only: bool = False,
        now: datetime | None = None,
        since: datetime | None = None,
        limit: int | None = None,
    ) -> list[Case]:
        """Cases filtered by units, states, opened since, and (with `now`) having an unmet clock past due."""
        stmt = select(CaseRow.id)
        if unit_ids is not None:
            stmt = stmt.where(CaseRow.unit_id.in_(list(unit_ids)))
        if states is not None:
            stmt = stmt.where(CaseRow.state.in_([str(s) for s in states]))
        if since is not None:
            stmt = stmt.where(CaseRow.opened_at >= since)
        if overdue_only:
            if now is None:
                raise ValueError("overdue_only needs now")
            stmt = stmt.where(CaseRow.state.not_in(CLOSED_STATES)).where(
                exists().where(
                    ClockRow.case_id == CaseRow.id,
                    ClockRow.state.in_(UNMET_CLOCK_STATES),
                    ClockRow.due_at < now,
                )
            )
        stmt = stmt.order_by(CaseRow.opened_at.desc(), CaseRow.id.desc())
        if limit is not None:
            stmt = stmt.limit(limit)
        return self.load(builtins.list(self.session.scalars(stmt)))

    def load(self, case_ids: Sequence[int]) -> builtins.list[Case]:
        """Load cases with clocks and responses in three queries per chunk, keeping the given order."""
        if not case_ids:
            return []
        session = self.session
        rows: dict[int, Any] = {}
        clocks: dict[int, list[Clock]] = {}
        responses: dict[int, list[Response]] = {}
        for chunk in chunked(case_ids, 1000):
            for row in session.execute(select(tbl(CaseRow)).where(CaseRow.id.in_(chunk))):
                rows[row.id] = row
            for row in session.execute(
                select(tbl(ClockRow)).where(ClockRow.case_id.in_(chunk)).order_by(ClockRow.id)
            ):
                clocks.setdefault(row.case_id, []).append(clock_from_row(row))
            for row in session.execute(
                select(tbl(ResponseRow))
                .where(ResponseRow.case_id.in_(chunk))
                .order_by(ResponseRow.responded_at, ResponseRow.id)
            ):
                responses.setdefault(row.case_id, []).append(response_from_row(row))
        return [
            case_from_row(rows[i], clocks.get(i, ()), responses.get(i, ())) for i in case_ids if i in rows
        ]

    def sweep_views(
        self, now: datetime | None = None, *, due_before: datetime | None = None
    ) -> builtins.list[ClockView]:
        """Every unmet (running or breached) clock of every open case, in one query, earliest due first.

        `now` is accepted for symmetry with the sweep. `due_before` (optional) skips running clocks
        due later than that moment: a sweep that warns at most N hours ahead can pass now + N h.
        """
        sqlite = self.session.get_bind().dialect.name == "sqlite"
        sql = _SWEEP_SQL
        params: tuple[Any, ...] = ()
        if due_before is not None:
            if due_before.tzinfo is None:
                raise NaiveDatetimeError(f"naive datetime refused: {due_before!r}")
            bound = due_before.astimezone(UTC)
            sql += " AND (k.state = 'breached' OR k.due_at <= {mark})".format(mark="?" if sqlite else "%s")
            params = (
                bound.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds") if sqlite else bound,
            )
        # The raw DB-API cursor: at 100,000 rows the generic result and type layers cost as much as
        # the query itself. The SQL has no user input (states are the code's own constants).
        cursor = self.session.connection().connection.cursor()
        try:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        finally:
            cursor.close()
        case_state, clock_state, clock_kind, grade = _CASE_STATE, _CLOCK_STATE, _CLOCK_KIND, _GRADE
        if sqlite:
            fromiso = datetime.fromisoformat
            parsed: dict[str, datetime] = {}  # clocks of one case share their start: parse once

            def ts(value: Any) -> Any:
                if value is None:
                    return None
                hit = parsed.get(value)
                if hit is None:
                    # "+00:00" makes fromisoformat return an aware datetime; far cheaper than .replace().
                    hit = parsed[value] = fromiso(value + "+00:00")
                return hit
        else:

            def ts(value: Any) -> Any:
                return value.astimezone(UTC) if value is not None else None

        views = [
            ClockView(
                case_id=row[0],
                clock_id=row[1],
                unit_id=row[2],
                case_title=row[3],
                case_state=case_state[row[4]],
                grade=grade[row[5]] if row[5] else None,
                kind=clock_kind[row[6]],
                state=clock_state[row[7]],
                started_at=ts(row[8]),
                due_at=ts(row[9]),
                acknowledged_at=ts(row[10]),
                last_notice_for=ts(row[11]),
            )
            for row in rows
        ]
        # Sorting here is cheaper than ORDER BY over two index ranges (SQLite builds a temp B-tree).
        views.sort(key=_view_order)
        return views

    def mark_breached(self, clock_ids: Iterable[int]) -> int:
        """Mark running clocks breached (bulk, for the sweep); returns how many changed."""
        total = 0
        for chunk in chunked(builtins.list(clock_ids), 1000):
            result = self.session.execute(
                update(ClockRow)
                .where(ClockRow.id.in_(chunk), ClockRow.state == ClockState.RUNNING.value)
                .values(state=ClockState.BREACHED.value)
            )
            total += int(result.rowcount)  # type: ignore[attr-defined]
        return total
