"""`yuqing case open|ack|respond|dismiss|merge|close|regrade|reopen|show|list` and `yuqing sweep`."""

from __future__ import annotations

import argparse
import getpass
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from classifier.types import Grade
from responder.types import (
    AuditEntry,
    Case,
    CaseState,
    CaseTimes,
    Channel,
    ClockState,
    Response,
    ResponseMethod,
    Trigger,
)
from service.casework import attach_case_id
from service.cli import CommandError, config_from_args
from service.context import AppContext

Transition = Callable[[Case, datetime, str], tuple[Case, list[AuditEntry]]]


def register(subparsers: Any) -> None:
    """Add this module's subcommands."""
    case = subparsers.add_parser("case", help="处置单 / cases: open, acknowledge, respond, dismiss, close …")
    sub = case.add_subparsers(dest="case_command", metavar="ACTION")
    case.set_defaults(handler=lambda args: (case.print_help(), 2)[1])

    def with_actor(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--actor", default=f"cli:{getpass.getuser()}", help="操作人 / who does it")
        return p

    opener = with_actor(sub.add_parser("open", help="为事件和单位手工开单 / open a case by hand"))
    opener.add_argument("--event", type=int, required=True, help="事件编号 / event id")
    opener.add_argument("--unit", required=True, help="单位编号 / unit id")
    opener.add_argument("--grade", choices=[g.value for g in Grade], help="等级；省略则为其他政务舆情")
    opener.add_argument("--trigger", choices=[t.value for t in Trigger], help="触发条件（默认按等级）")
    opener.add_argument("--heavy", action="store_true", help="造成重大人员伤亡或社会影响较大（需召开新闻发布会）")
    opener.set_defaults(handler=cmd_open)

    ack = with_actor(sub.add_parser("ack", help="确认（待确认 → 处置中）/ acknowledge"))
    ack.add_argument("case_id", type=int)
    ack.set_defaults(handler=cmd_ack)

    respond = with_actor(sub.add_parser("respond", help="登记回应 / record a response"))
    respond.add_argument("case_id", type=int)
    respond.add_argument("--method", required=True, choices=[m.value for m in ResponseMethod], help="回应方式")
    respond.add_argument("--channel", required=True, choices=[c.value for c in Channel], help="发布渠道")
    respond.add_argument("--link", default="", help="链接 / URL of the release")
    respond.add_argument("--text", default="", help="内容摘要 / text")
    respond.add_argument("--at", help="回应时间（ISO 8601，默认现在；无时区按北京时间）/ when it was published")
    respond.set_defaults(handler=cmd_respond)

    dismiss = with_actor(sub.add_parser("dismiss", help="误报/无需回应（须写理由）/ dismiss with a reason"))
    dismiss.add_argument("case_id", type=int)
    dismiss.add_argument("--reason", required=True)
    dismiss.add_argument("--false-positive", action="store_true", help="属误报：作为训练标签反馈给研判模型")
    dismiss.set_defaults(handler=cmd_dismiss)

    merge = with_actor(sub.add_parser(
        "merge", help="重复：把本处置单的事件并入较早处置单的事件 / fold a duplicate into an earlier case"))
    merge.add_argument("case_id", type=int, help="重复的（较晚开启的）处置单 / the duplicate")
    merge.add_argument("--into", type=int, required=True, help="较早开启的同一事件的处置单 / the earlier case")
    merge.set_defaults(handler=cmd_merge)

    close = with_actor(sub.add_parser("close", help="办结 / close"))
    close.add_argument("case_id", type=int)
    close.set_defaults(handler=cmd_close)

    regrade = with_actor(sub.add_parser("regrade", help="调整等级，重算时限 / re-grade"))
    regrade.add_argument("case_id", type=int)
    regrade.add_argument("--grade", choices=[g.value for g in Grade], help="新等级；省略表示非突发事件")
    regrade.add_argument("--trigger", choices=[t.value for t in Trigger], help="触发条件（默认按等级）")
    heavy = regrade.add_mutually_exclusive_group()
    heavy.add_argument("--heavy", dest="heavy", action="store_true", default=None)
    heavy.add_argument("--no-heavy", dest="heavy", action="store_false")
    regrade.set_defaults(handler=cmd_regrade)

    show = sub.add_parser("show", help="查看处置单（时限、回应、审计记录）/ show a case")
    show.add_argument("case_id", type=int)
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=cmd_show)

    listing = sub.add_parser("list", help="列出处置单 / list cases")
    listing.add_argument("--unit", action="append", help="单位编号（可多次）")
    listing.add_argument("--state", action="append", choices=[s.value for s in CaseState], help="状态（可多次）")
    listing.add_argument("--open", action="store_true", help="只看未办结的")
    listing.add_argument("--overdue", action="store_true", help="只看有超时未回应时限的")
    listing.add_argument("--limit", type=int, default=200)
    listing.add_argument("--json", action="store_true", help="每行一个 JSON 对象 / JSON lines")
    listing.set_defaults(handler=cmd_list)

    sweep = subparsers.add_parser("sweep", help="执行一次时限巡检与预警 / run one escalation sweep")
    sweep.set_defaults(handler=cmd_sweep)


def _now() -> datetime:
    from service.clock import now

    return now()


def _context(args: argparse.Namespace) -> AppContext:
    context = AppContext(config_from_args(args))
    context.check_schema()
    return context


def _plan_for(context: AppContext, unit_id: str) -> Any:
    units = {u.id: u for u in context.config.units()}
    if unit_id not in units:
        raise CommandError(f"未知单位 {unit_id!r}（配置中的单位：{'、'.join(units) or '无'}）")
    return context.plans[units[unit_id].plan]


def _trigger(grade: str | None, trigger: str | None) -> Trigger:
    if trigger:
        return Trigger(trigger)
    return Trigger(grade) if grade else Trigger.OTHER_OPINION


def _transition(args: argparse.Namespace, change: Callable[[Case, datetime], tuple[Case, list[AuditEntry]]]) -> Case:
    """Load a case, apply a pure responder transition, store the case and its audit entries."""
    from storage.errors import NotFound
    from storage.repositories.audit import AuditRepository
    from storage.repositories.cases import CaseRepository

    context = _context(args)
    now = _now()
    with context.session() as session:
        cases = CaseRepository(session)
        try:
            case = cases.get(args.case_id)
        except NotFound:
            raise CommandError(f"处置单 {args.case_id} 不存在 / no such case") from None
        new, entries = change(case, now)
        stored = cases.save(new, now=now)
        AuditRepository(session).append(attach_case_id(entries, stored))
    return stored


def cmd_open(args: argparse.Namespace) -> int:
    """Open a case for an event and a unit by hand (idempotent: an existing case is shown, not reopened)."""
    from responder.cases import open_case
    from storage.errors import NotFound
    from storage.repositories.audit import AuditRepository
    from storage.repositories.cases import CaseRepository
    from storage.repositories.items import ItemRepository

    context = _context(args)
    plan = _plan_for(context, args.unit)
    now = _now()
    with context.session() as session:
        try:
            event = ItemRepository(session).get_event(args.event)
        except NotFound:
            raise CommandError(f"事件 {args.event} 不存在 / no such event") from None
        cases = CaseRepository(session)
        existing = cases.find(event.id, args.unit)
        if existing is not None:
            print(f"处置单已存在 / case exists: #{existing.id}（{existing.state.value}），未改动")
            return 0
        grade = Grade(args.grade) if args.grade else None
        times = CaseTimes(event.occurred_at, event.first_online_at, event.first_seen_at)
        case, entries = open_case(
            event.id, args.unit, event.title, event.category or "", grade, _trigger(args.grade, args.trigger),
            args.heavy, times, plan, now, actor=args.actor,
        )
        stored, _created = cases.open(case)
        AuditRepository(session).append(attach_case_id(entries, stored))
    _print_case(stored)
    return 0


def cmd_ack(args: argparse.Namespace) -> int:
    """Acknowledge a case."""
    from responder.cases import acknowledge

    _print_case(_transition(args, lambda case, now: acknowledge(case, now, actor=args.actor)))
    return 0


def _parse_time(text: str | None, now: datetime) -> datetime:
    if not text:
        return now
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(f"无法识别的时间 {text!r}：请用 ISO 8601，如 2026-11-22T14:05") from None
    if moment.tzinfo is None:
        from zoneinfo import ZoneInfo

        moment = moment.replace(tzinfo=ZoneInfo("Asia/Shanghai"))
    return moment.astimezone(UTC)


def cmd_respond(args: argparse.Namespace) -> int:
    """Record a response; it meets every open clock its method satisfies (late if after due)."""
    from responder.cases import record_response
    from storage.errors import NotFound
    from storage.repositories.audit import AuditRepository
    from storage.repositories.cases import CaseRepository

    if not (args.link or args.text):
        raise CommandError("请至少给出 --link 或 --text（回应的链接或内容）")
    context = _context(args)
    now = _now()
    responded_at = _parse_time(args.at, now)
    if responded_at > now:
        raise CommandError("回应时间不能晚于现在 / response time is in the future")
    with context.session() as session:
        cases = CaseRepository(session)
        try:
            case = cases.get(args.case_id)
        except NotFound:
            raise CommandError(f"处置单 {args.case_id} 不存在 / no such case") from None
        if case.state in (CaseState.CLOSED, CaseState.DISMISSED):
            raise CommandError(f"处置单已是“{case.state.value}”，不能再登记回应")
        response = Response(
            method=ResponseMethod(args.method), channel=Channel(args.channel), actor=args.actor,
            responded_at=responded_at, link=args.link, text=args.text, recorded_at=now,
        )
        stored_response = cases.add_response(case.id or 0, response, now=now)
        new, entries = record_response(case, stored_response, now, actor=args.actor)
        stored = cases.save(new, now=now)
        AuditRepository(session).append(attach_case_id(entries, stored))
    _print_case(stored)
    return 0


def cmd_dismiss(args: argparse.Namespace) -> int:
    """Dismiss a case with a reason (误报/无需回应); a false positive becomes a training label."""
    from responder.cases import dismiss

    stored = _transition(args, lambda case, now: dismiss(case, args.reason, now, actor=args.actor))
    if args.false_positive:
        _label(args, stored, "dismiss", f"误报：{args.reason}")
    _print_case(stored)
    return 0


def cmd_merge(args: argparse.Namespace) -> int:
    """Fold a duplicate case's event into an earlier case's event (responder.merge)."""
    from responder.merge import plan_event_merge
    from storage.errors import NotFound
    from storage.merges import apply_event_merge
    from storage.repositories.cases import CaseRepository

    context = _context(args)
    now = _now()
    with context.session() as session:
        cases = CaseRepository(session)
        try:
            case, target = cases.get(args.case_id), cases.get(args.into)
        except NotFound as exc:
            raise CommandError(f"处置单不存在 / no such case: {exc}") from None
        if case.unit_id != target.unit_id:
            raise CommandError(f"处置单 {args.into} 属于另一个单位（{target.unit_id}），只能并入本单位的处置单")
        merge = plan_event_merge(case.event_id, target.event_id, cases.for_event(case.event_id),
                                 cases.for_event(target.event_id), now, actor=args.actor)
        items = apply_event_merge(session, merge, now)
        stored = cases.get(args.case_id)
    print(f"已作为重复并入处置单 {args.into}：{items} 条条目并入事件 {merge.into_event}；"
          f"撤销 {len(merge.dismissed)} 个、随之移动 {len(merge.moved)} 个处置单")
    _print_case(stored)
    return 0


def cmd_close(args: argparse.Namespace) -> int:
    """Close a case (refused while a clock is still unmet)."""
    from responder.cases import close

    _print_case(_transition(args, lambda case, now: close(case, now, actor=args.actor)))
    return 0


def cmd_regrade(args: argparse.Namespace) -> int:
    """Re-grade a case: new clocks start, clocks that no longer apply are superseded (kept)."""
    from responder.cases import regrade

    grade = Grade(args.grade) if args.grade else None
    trigger = _trigger(args.grade, args.trigger)
    context = _context(args)

    def change(case: Case, now: datetime) -> tuple[Case, list[AuditEntry]]:
        heavy = case.heavy_casualties if args.heavy is None else args.heavy
        plan = _plan_for(context, case.unit_id)
        return regrade(case, grade, trigger, heavy, plan, now, actor=args.actor)

    stored = _transition(args, change)
    _label(args, stored, "grade", args.grade or "无")
    _print_case(stored)
    return 0


def _label(args: argparse.Namespace, case: Case, kind: str, value: str) -> None:
    """Keep a staff decision that corrects the classifier as a training label."""
    from storage.records import LabelKind, LabelRecord
    from storage.repositories.labels import LabelRepository

    context = _context(args)
    with context.session() as session:
        LabelRepository(session).add(
            LabelRecord(kind=LabelKind(kind), value=value, actor=args.actor, at=_now(), case_id=case.id)
        )


def cmd_show(args: argparse.Namespace) -> int:
    """Show one case with its clocks, responses and audit timeline."""
    from storage.errors import NotFound
    from storage.repositories.audit import AuditRepository
    from storage.repositories.cases import CaseRepository

    context = _context(args)
    with context.session() as session:
        try:
            case = CaseRepository(session).get(args.case_id)
        except NotFound:
            raise CommandError(f"处置单 {args.case_id} 不存在 / no such case") from None
        audit = AuditRepository(session).for_case(args.case_id)
    if args.json:
        print(json.dumps(case_to_dict(case) | {"audit": [_audit_dict(a) for a in audit]}, ensure_ascii=False))
        return 0
    _print_case(case, detailed=True)
    print("审计记录 / audit:")
    from responder.times import format_local

    for entry in audit:
        print(f"  {format_local(entry.at)}  {entry.actor:<16} {entry.action:<22} {entry.entity} {entry.entity_id}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    """List cases with filters; --json prints one object per line for scripts."""
    from storage.repositories.cases import CaseRepository

    context = _context(args)
    states = args.state
    if args.open and not states:
        states = [CaseState.NEW.value, CaseState.ACKNOWLEDGED.value, CaseState.RESPONDED.value]
    now = _now()
    with context.session() as session:
        cases = CaseRepository(session).list(
            unit_ids=args.unit, states=states, overdue_only=args.overdue, now=now, limit=args.limit
        )
    for case in cases:
        if args.json:
            print(json.dumps(case_to_dict(case), ensure_ascii=False))
        else:
            _print_case(case)
    if not args.json:
        print(f"共 {len(cases)} 件 / {len(cases)} cases")
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run one escalation sweep now."""
    from service.jobs import sweep_deadlines

    context = _context(args)
    report = sweep_deadlines(context)
    print(
        f"巡检 {report.clocks} 个未完成时限，新超时 {report.breached}，"
        f"应发提醒 {report.notices}（成功 {report.sent}，失败 {report.failed}，重试 {report.retried}），"
        f"用时 {report.seconds:.2f} 秒"
    )
    return 0


def case_to_dict(case: Case) -> dict[str, Any]:
    """A JSON-ready view of a case."""

    def t(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": case.id,
        "event_id": case.event_id,
        "unit": case.unit_id,
        "title": case.title,
        "state": case.state.value,
        "grade": case.grade.value if case.grade else None,
        "trigger": case.trigger.value if case.trigger else None,
        "heavy_casualties": case.heavy_casualties,
        "plan": {"id": case.plan_id, "version": case.plan_version},
        "times": {
            "occurred_at": t(case.times.occurred_at),
            "first_online_at": t(case.times.first_online_at),
            "discovered_at": t(case.times.discovered_at),
        },
        "opened_at": t(case.opened_at),
        "acknowledged_at": t(case.acknowledged_at),
        "closed_at": t(case.closed_at),
        "dismiss_reason": case.dismiss_reason,
        "clocks": [
            {
                "id": c.id, "kind": c.kind.value, "trigger": c.trigger.value, "basis": c.basis.value,
                "started_at": t(c.started_at), "due_at": t(c.due_at), "limit": c.limit, "unit": c.unit.value,
                "state": c.state.value, "met_at": t(c.met_at), "superseded_at": t(c.superseded_at),
                "citation": c.citation,
            }
            for c in case.clocks
        ],
        "responses": [
            {
                "id": r.id, "method": r.method.value, "channel": r.channel.value, "link": r.link, "text": r.text,
                "actor": r.actor, "responded_at": t(r.responded_at),
            }
            for r in case.responses
        ],
    }


def _audit_dict(entry: AuditEntry) -> dict[str, Any]:
    return {
        "at": entry.at.isoformat(), "actor": entry.actor, "action": entry.action, "entity": entry.entity,
        "entity_id": entry.entity_id, "before": entry.before, "after": entry.after,
    }


_STATE_LABEL = {
    ClockState.RUNNING: "计时中",
    ClockState.MET: "已按时回应",
    ClockState.MET_LATE: "逾期回应",
    ClockState.BREACHED: "已超时",
    ClockState.SUPERSEDED: "已失效",
}


def _print_case(case: Case, *, detailed: bool = False) -> None:
    from responder.times import format_local

    grade = case.grade.value if case.grade else (case.trigger.value if case.trigger else "—")
    print(f"#{case.id} [{case.state.value}] [{grade}] {case.unit_id}  {case.title}")
    for clock in case.clocks:
        limit = f"{clock.limit:g}{'小时' if clock.unit.value == 'hours' else '个工作日'}"
        met = f"，回应于 {format_local(clock.met_at)}" if clock.met_at else ""
        print(f"    {clock.kind.value}（{limit}）截止 {format_local(clock.due_at)}  {_STATE_LABEL[clock.state]}{met}")
        if detailed:
            print(f"      依据：{clock.citation}；起算：{clock.basis.value} {format_local(clock.started_at)}")
    if detailed:
        for response in case.responses:
            print(f"    回应 {format_local(response.responded_at)} {response.method.value} @ {response.channel.value} "
                  f"{response.link} {response.text[:60]}（{response.actor}）")
