"""From an assessment to cases: which trigger applies, open or re-grade idempotently, audit it."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime

from sqlalchemy.orm import Session

from classifier.types import Assessment, Category, Grade
from responder.cases import open_case
from responder.types import AuditEntry, Case, CaseTimes, Plan, Trigger
from service.logs import ids
from storage.records import EventRecord
from storage.repositories.audit import AuditRepository
from storage.repositories.cases import CaseRepository

log = logging.getLogger("yuqing.cases")

# How pressing a trigger is, for deciding whether an update raises a case automatically.
_RANK = {
    Trigger.EXTRAORDINARY: 6,
    Trigger.MAJOR: 5,
    Trigger.LARGE: 4,
    Trigger.GENERAL: 3,
    Trigger.OTHER_OPINION: 2,
    Trigger.POLICY: 1,
}


def trigger_for(assessment: Assessment) -> Trigger | None:
    """The plan trigger an assessment calls for, or None for neutral news that needs no answer.

    An emergency with a grade triggers by grade; a published policy triggers the interpretation
    clock; any other item that is negative and needs an answer is 其他政务舆情 (RULES.md).
    """
    severity = assessment.severity
    if severity.grade is not None:
        return Trigger(severity.grade.value)
    if assessment.category is Category.POLICY:
        return Trigger.POLICY
    if severity.needs_response:
        return Trigger.OTHER_OPINION
    return None


def is_raise(case: Case, trigger: Trigger, heavy_casualties: bool) -> bool:
    """True when a new assessment is more pressing than the case's current state.

    Automatic re-grading only goes up: a later reprint without figures must not lower a grade;
    lowering is a duty officer's decision (yuqing case regrade / the dashboard).
    """
    current = _RANK.get(case.trigger, 0) if case.trigger is not None else 0
    if _RANK[trigger] > current:
        return True
    return _RANK[trigger] == current and heavy_casualties and not case.heavy_casualties


def apply_assessment(
    session: Session,
    event: EventRecord,
    assessment: Assessment,
    plan_for_unit: Callable[[str], Plan],
    now: datetime,
    *,
    item_id: int | None = None,
) -> list[Case]:
    """Open (or raise) one case per relevant unit; returns the cases created or changed."""
    trigger = trigger_for(assessment)
    if trigger is None or not assessment.units:
        return []
    grade: Grade | None = assessment.severity.grade
    heavy = assessment.severity.heavy_casualties
    times = CaseTimes(
        occurred_at=event.occurred_at,
        first_online_at=event.first_online_at,
        discovered_at=event.first_seen_at,
    )
    cases = CaseRepository(session)
    audit = AuditRepository(session)
    changed: list[Case] = []
    for relevance in assessment.units:
        plan = plan_for_unit(relevance.unit)
        existing = cases.find(event.id, relevance.unit)
        if existing is not None and not is_raise(existing, trigger, heavy):
            continue
        case, entries = open_case(
            event.id,
            relevance.unit,
            event.title,
            assessment.category.value,
            grade,
            trigger,
            heavy,
            times,
            plan,
            now,
            existing=existing,
        )
        if existing is None:
            stored, created = cases.open(case)
            if not created:
                continue  # another worker opened it first: its clocks stand
            log.info("处置单已开启 %s → %s（%s）", event.title, relevance.unit, trigger.value,
                     extra=ids(item_id=item_id, case_id=stored.id))
        else:
            if not entries:
                continue
            stored = cases.save(case, now=now)
            log.info("处置单已升级 → %s", trigger.value, extra=ids(item_id=item_id, case_id=stored.id))
        audit.append(attach_case_id(entries, stored))
        changed.append(stored)
    return changed


def attach_case_id(entries: list[AuditEntry], case: Case) -> list[AuditEntry]:
    """Give audit entries written before the case had an id the stored case's id."""
    return [replace(entry, case_id=case.id) if entry.case_id is None else entry for entry in entries]


def plan_lookup(plans: Mapping[str, Plan], unit_plans: Mapping[str, str], default: str) -> Callable[[str], Plan]:
    """A function from unit id to the plan that unit adopted (the default plan for unknown units)."""

    def plan_for(unit_id: str) -> Plan:
        return plans[unit_plans.get(unit_id, default)]

    return plan_for
