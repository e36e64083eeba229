"""Changes made from the dashboard: each checks the role, applies a responder transition, and writes the
case, its audit entries (under the signed-in user) and any training label through storage's repositories,
all inside the caller's one transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from classifier.types import Grade
from dashboard.auth import Permission, Role, SignedInUser, check_permission
from dashboard.errors import AccessDenied, ActionError
from responder import cases as transitions
from responder.errors import ResponderError
from responder.merge import plan_event_merge
from responder.types import AuditEntry, Case, Channel, Plan, Response, ResponseMethod, Trigger
from storage.errors import NotFound, StorageError
from storage.merges import apply_event_merge
from storage.models import EventRow, ItemRow, UnitRow
from storage.passwords import hash_password
from storage.records import LabelKind, LabelRecord
from storage.repositories.audit import AuditRepository
from storage.repositories.cases import CaseRepository
from storage.repositories.labels import LabelRepository
from storage.repositories.users import UserRepository

FALSE_POSITIVE = "误报"
NO_RESPONSE_NEEDED = "无需回应"


@dataclass(frozen=True, slots=True)
class ActionResult:
    """What an action changed: the case after it, the audit entries written, the label stored (if any)."""

    case: Case | None
    audit: tuple[AuditEntry, ...]
    label: LabelRecord | None = None
    message: str = ""


def _load(session: Session, case_id: int, user: SignedInUser) -> Case:
    try:
        case = CaseRepository(session).get(case_id)
    except NotFound:
        raise ActionError(f"处置单 #{case_id} 不存在") from None
    # A user bound to units acts only on their units' cases, whatever the page offered.
    if user.units and case.unit_id not in user.units:
        raise AccessDenied("该处置单不属于您负责的单位 / this case belongs to another unit")
    return case


def _persist(session: Session, case: Case, entries: Sequence[AuditEntry], now: datetime) -> tuple[Case, tuple[AuditEntry, ...]]:
    saved = CaseRepository(session).save(case, now=now)
    written = AuditRepository(session).append(
        [e if e.case_id is not None else _with_case(e, saved.id) for e in entries]
    )
    return saved, tuple(written)


def _with_case(entry: AuditEntry, case_id: int | None) -> AuditEntry:
    return AuditEntry(
        at=entry.at, actor=entry.actor, action=entry.action, entity=entry.entity, entity_id=entry.entity_id,
        before=entry.before, after=entry.after, case_id=case_id,
    )


def _transition(func: Any, *args: Any, **kwargs: Any) -> tuple[Case, list[AuditEntry]]:
    """Run a responder transition, turning its refusal into a message for the user."""
    try:
        result: tuple[Case, list[AuditEntry]] = func(*args, **kwargs)
    except ResponderError as exc:
        raise ActionError(str(exc)) from None
    return result


def _subject_item(session: Session, case: Case) -> int | None:
    """The item a training label is about: the event's representative item, else its first item."""
    event = session.get(EventRow, case.event_id)
    if event is not None and event.representative_item_id is not None:
        return event.representative_item_id
    return session.execute(
        select(ItemRow.id).where(ItemRow.event_id == case.event_id).order_by(ItemRow.first_seen_at, ItemRow.id).limit(1)
    ).scalar_one_or_none()


def _label(session: Session, case: Case, kind: LabelKind, value: str, user: SignedInUser, now: datetime,
           audit: list[AuditEntry]) -> LabelRecord:
    label = LabelRepository(session).add(
        LabelRecord(kind=kind, value=value, actor=user.username, at=now, item_id=_subject_item(session, case),
                    case_id=case.id)
    )
    audit.extend(
        AuditRepository(session).append(
            [AuditEntry(at=now, actor=user.username, action="label_recorded", entity="label",
                        entity_id=str(label.id), after={"kind": kind.value, "value": value}, case_id=case.id)]
        )
    )
    return label


def acknowledge(session: Session, user: SignedInUser, case_id: int, now: datetime) -> ActionResult:
    """待确认 → 处置中."""
    check_permission(user, Permission.ACT)
    case = _load(session, case_id, user)
    new, entries = _transition(transitions.acknowledge, case, now, actor=user.username)
    saved, written = _persist(session, new, entries, now)
    return ActionResult(saved, written, message="已确认，开始处置。")


def respond(
    session: Session,
    user: SignedInUser,
    case_id: int,
    *,
    method: ResponseMethod,
    channel: Channel,
    responded_at: datetime,
    now: datetime,
    link: str = "",
    text: str = "",
    actor: str = "",
) -> ActionResult:
    """Record a response (method, channel, link, text); it meets every open clock its method satisfies."""
    check_permission(user, Permission.ACT)
    if not link.strip() and not text.strip():
        raise ActionError("请填写回应链接或回应内容（至少一项）。")
    if responded_at > now:
        raise ActionError("回应时间不能晚于当前时间。")
    case = _load(session, case_id, user)
    if case.state in transitions.FINAL_CASE_STATES:
        raise ActionError(f"处置单已是“{case.state.value}”，不能再登记回应。")
    stored = CaseRepository(session).add_response(
        case_id,
        Response(method=method, channel=channel, actor=actor.strip() or user.display_name or user.username,
                 responded_at=responded_at, link=link.strip(), text=text.strip(), recorded_at=now),
        now=now,
    )
    new, entries = _transition(transitions.record_response, case, stored, now, actor=user.username)
    saved, written = _persist(session, new, entries, now)
    met = [c.kind.value for c in saved.clocks if c.met_by_response_id == stored.id]
    message = f"已登记回应，满足时限：{'、'.join(met)}" if met else "已登记回应（后续发布，未对应新的时限）。"
    return ActionResult(saved, written, message=message)


def dismiss(
    session: Session, user: SignedInUser, case_id: int, *, kind: str, reason: str, now: datetime
) -> ActionResult:
    """→ 误报/无需回应 with a reason; a 误报 is also stored as a training label."""
    check_permission(user, Permission.ACT)
    if kind not in (FALSE_POSITIVE, NO_RESPONSE_NEEDED):
        raise ActionError("请选择撤销类型：误报 或 无需回应。")
    if not reason.strip():
        raise ActionError("撤销必须填写理由。")
    case = _load(session, case_id, user)
    new, entries = _transition(transitions.dismiss, case, f"{kind}：{reason.strip()}", now, actor=user.username)
    saved, written = _persist(session, new, entries, now)
    audit = list(written)
    label = _label(session, saved, LabelKind.DISMISS, kind, user, now, audit) if kind == FALSE_POSITIVE else None
    return ActionResult(saved, tuple(audit), label, message=f"已撤销（{kind}）。")


def merge_duplicate(session: Session, user: SignedInUser, case_id: int, *, into_case_id: int, now: datetime) -> ActionResult:
    """This case's event repeats the event of an earlier case: fold it in (responder.merge).

    The items move to the earlier case's event, so later reprints join it; this case (and any other
    unit's case that has a counterpart there) is dismissed as 重复, other units' cases move along.
    """
    check_permission(user, Permission.ACT)
    case = _load(session, case_id, user)
    target = _load(session, into_case_id, user)
    if target.unit_id != case.unit_id:
        raise ActionError(f"处置单 #{into_case_id} 属于另一个单位，只能并入本单位的处置单。")
    repo = CaseRepository(session)
    try:
        merge = plan_event_merge(
            case.event_id, target.event_id, repo.for_event(case.event_id), repo.for_event(target.event_id), now,
            actor=user.username,
        )
    except ResponderError as exc:
        raise ActionError(str(exc)) from None
    items = apply_event_merge(session, merge, now)
    saved = repo.get(case_id)
    others = len(merge.moved) + len(merge.dismissed) - 1
    also = f"，另有 {others} 个其他单位的处置单随之调整" if others > 0 else ""
    return ActionResult(saved, merge.entries, message=f"已作为重复并入处置单 #{into_case_id}（{items} 条条目并入其事件{also}）。")


def close(session: Session, user: SignedInUser, case_id: int, now: datetime) -> ActionResult:
    """→ 已办结 (refused while a clock is still open)."""
    check_permission(user, Permission.ACT)
    case = _load(session, case_id, user)
    new, entries = _transition(transitions.close, case, now, actor=user.username)
    saved, written = _persist(session, new, entries, now)
    return ActionResult(saved, written, message="已办结。")


def trigger_for(grade: Grade | None) -> Trigger:
    """The plan trigger of a grade; no grade means 其他政务舆情 (negative, needs an answer)."""
    return Trigger(grade.value) if grade is not None else Trigger.OTHER_OPINION


def regrade(
    session: Session,
    user: SignedInUser,
    case_id: int,
    *,
    grade: Grade | None,
    heavy_casualties: bool,
    reason: str,
    plans: Mapping[str, Plan],
    now: datetime,
) -> ActionResult:
    """Change the grade: new clocks start, clocks that no longer apply are superseded; stored as a label."""
    check_permission(user, Permission.ACT)
    if not reason.strip():
        raise ActionError("调整等级必须填写理由（例如：死亡人数更新为12人）。")
    case = _load(session, case_id, user)
    plan = plans.get(case.plan_id)
    if plan is None:
        raise ActionError(f"找不到处置单所用预案“{case.plan_id}”，无法重新计算时限。")
    new, entries = _transition(
        transitions.regrade, case, grade, trigger_for(grade), heavy_casualties, plan, now, actor=user.username
    )
    if not entries:
        raise ActionError("等级与条件未改变。")
    entries = [
        _annotated(e, {"reason": reason.strip()}) if e.action == "case_regraded" else e for e in entries
    ]
    saved, written = _persist(session, new, entries, now)
    audit = list(written)
    label = None
    if grade != case.grade:
        label = _label(session, saved, LabelKind.GRADE, grade.value if grade else "未定级", user, now, audit)
    return ActionResult(saved, tuple(audit), label, message="已调整等级并重新计算时限。")


def _annotated(entry: AuditEntry, extra: dict[str, Any]) -> AuditEntry:
    return AuditEntry(
        at=entry.at, actor=entry.actor, action=entry.action, entity=entry.entity, entity_id=entry.entity_id,
        before=entry.before, after={**(entry.after or {}), **extra}, case_id=entry.case_id,
    )


def assign(
    session: Session,
    user: SignedInUser,
    case_id: int,
    *,
    unit_id: str,
    reason: str,
    plans: Mapping[str, Plan],
    now: datetime,
) -> ActionResult:
    """转办: the event goes to another unit (a case there, under its plan); this case is dismissed; stored as a label."""
    check_permission(user, Permission.ACT)
    case = _load(session, case_id, user)
    if unit_id == case.unit_id:
        raise ActionError("目标单位与当前单位相同。")
    target = session.get(UnitRow, unit_id)
    if target is None or target.removed_at is not None:
        raise ActionError(f"单位“{unit_id}”不存在或已停用。")
    plan = plans.get(target.plan_id)
    if plan is None:
        raise ActionError(f"找不到单位“{target.name}”所用预案“{target.plan_id}”。")
    note = f"转办至{target.name}" + (f"：{reason.strip()}" if reason.strip() else "")
    dismissed, entries = _transition(transitions.dismiss, case, note, now, actor=user.username)
    repo = CaseRepository(session)
    existing = repo.find(case.event_id, unit_id)
    opened, open_entries = _transition(
        transitions.open_case, case.event_id, unit_id, case.title, case.category, case.grade, case.trigger,
        case.heavy_casualties, case.times, plan, now, actor=user.username, existing=existing,
    )
    if existing is None:
        stored, _ = repo.open(opened)
    else:
        stored = repo.save(opened, now=now) if open_entries else existing
    saved, written = _persist(session, dismissed, entries, now)
    audit = list(written)
    audit.extend(AuditRepository(session).append([_with_case(e, stored.id) for e in open_entries]))
    audit.extend(
        AuditRepository(session).append(
            [AuditEntry(at=now, actor=user.username, action="case_assigned", entity="case",
                        entity_id=str(case.id), before={"unit_id": case.unit_id},
                        after={"unit_id": unit_id, "new_case_id": stored.id, "reason": reason.strip()},
                        case_id=case.id)]
        )
    )
    label = _label(session, saved, LabelKind.UNIT, unit_id, user, now, audit)
    return ActionResult(stored, tuple(audit), label, message=f"已转办至{target.name}（处置单 #{stored.id}）。")


def annotate(
    session: Session,
    user: SignedInUser,
    *,
    subject: str,
    opinions: Mapping[str, str],
    now: datetime,
    case_id: int | None = None,
) -> ActionResult:
    """Save 评估意见 for a report (any role with ANNOTATE: 值班员, 领导) as an append-only audit entry."""
    check_permission(user, Permission.ANNOTATE)
    cleaned = {k: v.strip() for k, v in opinions.items() if v and v.strip()}
    if not cleaned:
        raise ActionError("评估意见为空。")
    written = AuditRepository(session).append(
        [AuditEntry(at=now, actor=user.username, action="review_annotated", entity="report", entity_id=subject,
                    after={"opinions": cleaned}, case_id=case_id)]
    )
    return ActionResult(None, tuple(written), message="评估意见已保存。")


def latest_opinions(session: Session, subject: str) -> dict[str, str]:
    """The most recent 评估意见 saved for a report subject ('' blanks when none)."""
    for entry in AuditRepository(session).list(entity="report", entity_id=subject, limit=1):
        opinions = (entry.after or {}).get("opinions")
        if isinstance(opinions, dict):
            return {str(k): str(v) for k, v in opinions.items()}
    return {}


def add_user(
    session: Session,
    admin: SignedInUser,
    *,
    username: str,
    display_name: str,
    role: Role,
    password: str,
    units: Sequence[str] = (),
    now: datetime,
) -> ActionResult:
    """管理员 adds a user (password hashed with argon2; the hash never reaches the audit log)."""
    check_permission(admin, Permission.ADMIN)
    name = username.strip()
    if not name or len(password) < 8:
        raise ActionError("用户名不能为空，密码至少 8 位。")
    try:
        UserRepository(session).add(name, display_name.strip() or name, hash_password(password), role.alias,
                                    list(units), now=now)
    except StorageError as exc:
        raise ActionError(str(exc)) from None
    written = AuditRepository(session).append(
        [AuditEntry(at=now, actor=admin.username, action="user_added", entity="user", entity_id=name,
                    after={"role": role.alias, "units": list(units), "display_name": display_name.strip()})]
    )
    return ActionResult(None, tuple(written), message=f"已添加用户 {name}。")


def set_user_active(session: Session, admin: SignedInUser, *, username: str, active: bool,
                    now: datetime) -> ActionResult:
    """管理员 deactivates (or re-activates) a user; users are never deleted."""
    check_permission(admin, Permission.ADMIN)
    if username == admin.username and not active:
        raise ActionError("不能停用自己的账号。")
    try:
        UserRepository(session).set_active(username, active)
    except StorageError as exc:
        raise ActionError(str(exc)) from None
    written = AuditRepository(session).append(
        [AuditEntry(at=now, actor=admin.username, action="user_activated" if active else "user_deactivated",
                    entity="user", entity_id=username, before={"active": not active}, after={"active": active})]
    )
    return ActionResult(None, tuple(written), message=f"已{'启用' if active else '停用'}用户 {username}。")
