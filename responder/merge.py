"""Folding a duplicate event into the event it repeats (a reprint the near-duplicate check missed).

Pure: given the cases of both events, work out which cases move to the surviving event and which are
dismissed as duplicates of a case there, with the audit entries. Storage then moves the items, so later
reprints of either join the surviving event and no further duplicate case opens.

A duplicate is always folded into the case that was opened first: its clocks started from the earliest
moment anyone knew of the incident, and accountability runs from then.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from responder.cases import case_change, dismiss
from responder.errors import InvalidTransition
from responder.times import format_local
from responder.types import AuditEntry, Case, CaseState, EventMerge

DUPLICATE = "重复"
MERGEABLE_STATES = (CaseState.NEW, CaseState.ACKNOWLEDGED)


def plan_event_merge(
    from_event: int,
    into_event: int,
    from_cases: Sequence[Case],
    into_cases: Sequence[Case],
    now: datetime,
    *,
    actor: str,
) -> EventMerge:
    """Fold `from_event` into `into_event`; raises InvalidTransition (in Chinese) when it may not be done."""
    if from_event == into_event:
        raise InvalidTransition("两个处置单属于同一事件，无需合并")
    into_by_unit = {c.unit_id: c for c in into_cases}
    moved: list[Case] = []
    dismissed: list[Case] = []
    entries: list[AuditEntry] = []
    survivors: list[int] = []
    for case in sorted(from_cases, key=lambda c: c.id or 0):
        survivor = into_by_unit.get(case.unit_id)
        if survivor is None:
            new = replace(case, event_id=into_event)
            moved.append(new)
            entries.append(case_change(case, new, now, actor, "case_moved", {"merged_from_event": from_event}))
            continue
        if survivor.state is CaseState.DISMISSED:
            raise InvalidTransition(f"处置单 #{survivor.id} 已撤销，不能作为合并目标")
        if survivor.opened_at > case.opened_at:
            raise InvalidTransition(
                f"处置单 #{case.id}（{format_local(case.opened_at)} 开启）早于 #{survivor.id}"
                f"（{format_local(survivor.opened_at)} 开启）：请把较晚开启的处置单并入较早开启的处置单，"
                "时限从最早知悉时起算"
            )
        if case.state not in MERGEABLE_STATES:
            raise InvalidTransition(
                f"处置单 #{case.id} 已是“{case.state.value}”，不能作为重复并入；"
                f"只有“待确认”或“处置中”的处置单可以并入"
            )
        new, more = dismiss(case, f"{DUPLICATE}：已并入处置单 #{survivor.id}", now, actor=actor)
        dismissed.append(new)
        entries += more
        survivors.append(survivor.id or 0)
    entries.append(
        AuditEntry(
            at=now, actor=actor, action="event_merged", entity="event", entity_id=str(from_event),
            before={"event_id": from_event}, after={"merged_into_event": into_event},
            case_id=survivors[0] if survivors else None,
        )
    )
    return EventMerge(from_event, into_event, tuple(moved), tuple(dismissed), tuple(entries))
