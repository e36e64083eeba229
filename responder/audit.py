"""Audit entries as data: JSON-able snapshots of cases, clocks and responses, and `replay` from the log.

Every transition in responder.cases emits entries whose `after` carries enough to rebuild the case:
- entity "case": `after` holds the case fields that changed (all of them for "case_opened");
- entity "clock": `after` is the full clock, `entity_id` its identity "<trigger>|<kind>";
- entity "response": `after` is the full response (plus "follow_up" and "met_clocks", ignored by replay).
Entries of other entities (notices, sources) are skipped by `replay`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

from classifier.types import Grade
from responder.errors import InvalidInput
from responder.types import (
    AuditEntry,
    Case,
    CaseState,
    CaseTimes,
    Channel,
    Clock,
    ClockKind,
    ClockState,
    LimitUnit,
    Response,
    ResponseMethod,
    StartBasis,
    Trigger,
)

CASE_FIELDS = (
    "event_id",
    "unit_id",
    "state",
    "grade",
    "trigger",
    "heavy_casualties",
    "plan_id",
    "plan_version",
    "times",
    "opened_at",
    "title",
    "category",
    "acknowledged_at",
    "closed_at",
    "dismiss_reason",
)


def _dt(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse_dt(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


def times_to_dict(times: CaseTimes) -> dict[str, Any]:
    """JSON-able form of CaseTimes."""
    return {
        "occurred_at": _dt(times.occurred_at),
        "first_online_at": _dt(times.first_online_at),
        "discovered_at": _dt(times.discovered_at),
    }


def times_from_dict(data: dict[str, Any]) -> CaseTimes:
    """Inverse of times_to_dict."""
    discovered = _parse_dt(data["discovered_at"])
    if discovered is None:
        raise InvalidInput("times.discovered_at is required")
    return CaseTimes(
        occurred_at=_parse_dt(data.get("occurred_at")),
        first_online_at=_parse_dt(data.get("first_online_at")),
        discovered_at=discovered,
    )


def _case_value(name: str, value: Any) -> Any:
    if isinstance(value, CaseTimes):
        return times_to_dict(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Grade | Trigger | CaseState):
        return value.value
    return value


def case_fields(case: Case, names: Iterable[str] = CASE_FIELDS) -> dict[str, Any]:
    """JSON-able snapshot of the named case fields (all scalar fields by default; no clocks/responses)."""
    return {name: _case_value(name, getattr(case, name)) for name in names}


def _case_from_value(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name == "times":
        return times_from_dict(value)
    if name in ("opened_at", "acknowledged_at", "closed_at"):
        return _parse_dt(value)
    if name == "state":
        return CaseState(value)
    if name == "grade":
        return Grade(value)
    if name == "trigger":
        return Trigger(value)
    return value


def clock_key(clock: Clock) -> str:
    """A clock's identity within its case: '<trigger>|<kind>' (unique per case, as storage's constraint)."""
    return f"{clock.trigger.value}|{clock.kind.value}"


def clock_to_dict(clock: Clock) -> dict[str, Any]:
    """JSON-able form of a Clock."""
    return {
        "kind": clock.kind.value,
        "basis": clock.basis.value,
        "started_at": clock.started_at.isoformat(),
        "due_at": clock.due_at.isoformat(),
        "limit": clock.limit,
        "unit": clock.unit.value,
        "plan_id": clock.plan_id,
        "plan_version": clock.plan_version,
        "trigger": clock.trigger.value,
        "citation": clock.citation,
        "met_by": [m.value for m in clock.met_by],
        "repeats": clock.repeats,
        "state": clock.state.value,
        "met_at": _dt(clock.met_at),
        "met_by_response_id": clock.met_by_response_id,
        "superseded_at": _dt(clock.superseded_at),
        "id": clock.id,
    }


def clock_from_dict(data: dict[str, Any]) -> Clock:
    """Inverse of clock_to_dict (extra keys are ignored)."""
    started = _parse_dt(data["started_at"])
    due = _parse_dt(data["due_at"])
    assert started is not None and due is not None
    return Clock(
        kind=ClockKind(data["kind"]),
        basis=StartBasis(data["basis"]),
        started_at=started,
        due_at=due,
        limit=float(data["limit"]),
        unit=LimitUnit(data["unit"]),
        plan_id=data["plan_id"],
        plan_version=data["plan_version"],
        trigger=Trigger(data["trigger"]),
        citation=data["citation"],
        met_by=tuple(ResponseMethod(m) for m in data["met_by"]),
        repeats=bool(data["repeats"]),
        state=ClockState(data["state"]),
        met_at=_parse_dt(data.get("met_at")),
        met_by_response_id=data.get("met_by_response_id"),
        superseded_at=_parse_dt(data.get("superseded_at")),
        id=data.get("id"),
    )


def response_to_dict(response: Response) -> dict[str, Any]:
    """JSON-able form of a Response."""
    return {
        "method": response.method.value,
        "channel": response.channel.value,
        "actor": response.actor,
        "responded_at": response.responded_at.isoformat(),
        "link": response.link,
        "text": response.text,
        "recorded_at": _dt(response.recorded_at),
        "id": response.id,
    }


def response_from_dict(data: dict[str, Any]) -> Response:
    """Inverse of response_to_dict (extra keys are ignored)."""
    responded = _parse_dt(data["responded_at"])
    assert responded is not None
    return Response(
        method=ResponseMethod(data["method"]),
        channel=Channel(data["channel"]),
        actor=data["actor"],
        responded_at=responded,
        link=data.get("link", ""),
        text=data.get("text", ""),
        recorded_at=_parse_dt(data.get("recorded_at")),
        id=data.get("id"),
    )


def strip_ids(case: Case) -> Case:
    """The case without storage-assigned ids of the case and its clocks (what `replay` can know)."""
    return replace(case, id=None, clocks=tuple(replace(c, id=None) for c in case.clocks))


def replay(entries: Iterable[AuditEntry]) -> Case:
    """Rebuild a case from its audit entries alone (in log order); ids of case and clocks are None."""
    fields: dict[str, Any] | None = None
    clocks: dict[str, Clock] = {}
    responses: list[Response] = []
    seen_responses: set[Any] = set()
    for entry in entries:
        if entry.entity == "case":
            if entry.action == "case_opened":
                fields = {}
            if fields is None:
                raise InvalidInput(f"audit log does not start with case_opened (got {entry.action})")
            for name, value in (entry.after or {}).items():
                if name in CASE_FIELDS:
                    fields[name] = _case_from_value(name, value)
        elif entry.entity == "clock" and entry.after is not None:
            # Dicts keep insertion order, so clocks come back in the order they were started.
            clocks[entry.entity_id] = replace(clock_from_dict(entry.after), id=None)
        elif entry.entity == "response" and entry.after is not None:
            response = response_from_dict(entry.after)
            if response.id not in seen_responses:
                seen_responses.add(response.id)
                responses.append(response)
    if fields is None:
        raise InvalidInput("no case_opened entry in the audit log")
    return Case(**fields, clocks=tuple(clocks.values()), responses=tuple(responses))
