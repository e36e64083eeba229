"""Escalation: which warnings and breach notices are due now, as a pure function of (views, now, policy).

Rules (documented in responder/NOTIFY.md):
- before due: a warning at each fraction of the clock's span; when several thresholds were passed while
  no sweep ran, only the latest reached one is returned (an 80 % warning makes the 50 % one moot);
- after due (now > due; a response exactly at due is on time): a breach notice, repeated every
  `repeat_interval` while the case is not acknowledged; once acknowledged no further repeats (the
  breach stays visible on the dashboard). With repeat_until_acknowledged=False repeats go on until the
  clock is met;
- keys are deterministic ("clock:<id>:warn:80", "clock:<id>:breach:<n>"), so storage's unique key makes
  each notice happen once across restarts and concurrent sweeps. A sweep returns at most one notice per
  clock: the latest one due; earlier ones were either sent already or are superseded by it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from classifier.types import Grade
from responder.errors import InvalidInput
from responder.times import SHANGHAI, require_aware
from responder.types import AuditEntry, CaseState, ClockKind, ClockState, ClockView, Notice, NoticeKind

_OPEN = frozenset({ClockState.RUNNING, ClockState.BREACHED})
_DONE_CASES = frozenset({CaseState.CLOSED, CaseState.DISMISSED})
_ONE_US = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class EscalationPolicy:
    """When to warn and how often to repeat a breach notice (values come from the config)."""

    fractions: tuple[float, ...] = (0.5, 0.8)
    repeat_interval: timedelta = timedelta(minutes=30)
    repeat_until_acknowledged: bool = True

    @classmethod
    def from_config(
        cls, fractions: Iterable[float], repeat_minutes: float, repeat_until_acknowledged: bool = True
    ) -> EscalationPolicy:
        """Build from config values (fractions in any order, repeat interval in minutes)."""
        return cls(
            fractions=tuple(sorted(set(fractions))),
            repeat_interval=timedelta(minutes=repeat_minutes),
            repeat_until_acknowledged=repeat_until_acknowledged,
        )

    def __post_init__(self) -> None:
        if any(not (0 < f < 1) for f in self.fractions):
            raise InvalidInput(
                f"escalation fractions must be between 0 and 1 (exclusive), got {self.fractions}"
            )
        if list(self.fractions) != sorted(set(self.fractions)):
            raise InvalidInput(f"escalation fractions must be strictly increasing, got {self.fractions}")
        if self.repeat_interval <= timedelta(0):
            raise InvalidInput(f"repeat_interval must be > 0, got {self.repeat_interval}")


def _pct(fraction: float) -> str:
    return f"{fraction * 100:g}"


def warning_key(clock_id: int, fraction: float) -> str:
    """Unique key of the warning at `fraction` of a clock."""
    return f"clock:{clock_id}:warn:{_pct(fraction)}"


def breach_key(clock_id: int, n: int) -> str:
    """Unique key of the n-th breach notice of a clock (0 = the breach itself, 1.. = repeats)."""
    return f"clock:{clock_id}:breach:{n}"


def evaluate(
    views: Iterable[ClockView], now: datetime, policy: EscalationPolicy | None = None
) -> list[Notice]:
    """The notices due at `now` for unmet clocks: at most one per clock (the latest reached), deterministic.

    A view whose `last_notice_for` is set gets a notice only if it belongs to a later moment.
    """
    policy = policy or EscalationPolicy()
    now = require_aware(now, "now")
    # Hot loop (100,000 views per sweep): enum values, labels and local times are looked up, not recomputed.
    thresholds = [(f, _pct(f)) for f in reversed(policy.fractions)]  # latest threshold first
    interval = policy.repeat_interval
    until_ack = policy.repeat_until_acknowledged
    kind_names = {k: k.value for k in ClockKind}
    grade_tags: dict[Grade | None, str] = {g: f"[{g.value}]" for g in Grade}
    grade_tags[None] = ""
    zero = timedelta(0)
    durations: dict[int, str] = {}  # whole minutes → text; few distinct values per sweep

    def duration(delta: timedelta) -> str:
        minutes = (delta.days * 86400 + delta.seconds) // 60
        text = durations.get(minutes)
        if text is None:
            text = durations[minutes] = _duration(delta)
        return text

    warning, breach = NoticeKind.WARNING, NoticeKind.BREACH
    out: list[Notice] = []
    append = out.append
    for view in views:
        if view.state not in _OPEN or view.case_state in _DONE_CASES:
            continue
        due = view.due_at
        last = view.last_notice_for
        if now > due:
            n = (now - due) // interval
            ack = view.acknowledged_at
            if until_ack and ack is not None:
                # Repeats whose moment came before the acknowledgement were due; none after it.
                n = min(n, (ack - due - _ONE_US) // interval) if ack > due else 0
            moment = due + interval * n
            if last is not None and last >= moment:
                continue
            kind = kind_names[view.kind]
            head = "【超时】" if n == 0 else f"【超时·第 {n + 1} 次提醒】"
            append(
                Notice(
                    key=f"clock:{view.clock_id}:breach:{n}",
                    kind=breach,
                    case_id=view.case_id,
                    clock_id=view.clock_id,
                    unit_id=view.unit_id,
                    title=f"{head}{view.case_title} · {kind}",
                    body=(
                        f"{head}{grade_tags[view.grade]}「{view.case_title}」{kind}已超过时限 {duration(now - due)}"
                        f"（截止 {_local_due(due)}），尚未回应，请立即处置并登记回应。"
                    ),
                    due_at=due,
                    created_for=moment,
                )
            )
            continue
        started = view.started_at
        span = due - started
        if span <= zero:
            continue
        elapsed = now - started
        for f, label in thresholds:
            threshold = span * f
            if elapsed >= threshold:
                moment = started + threshold
                if last is not None and last >= moment:
                    break
                kind = kind_names[view.kind]
                append(
                    Notice(
                        key=f"clock:{view.clock_id}:warn:{label}",
                        kind=warning,
                        case_id=view.case_id,
                        clock_id=view.clock_id,
                        unit_id=view.unit_id,
                        title=f"【预警】{view.case_title} · {kind}",
                        body=(
                            f"【预警】{grade_tags[view.grade]}「{view.case_title}」{kind}时限已过 {label}%，"
                            f"距时限还剩 {duration(due - now)}（截止 {_local_due(due)}），请尽快回应。"
                        ),
                        due_at=due,
                        created_for=moment,
                    )
                )
                break
    return out


_EIGHT_HOURS = timedelta(hours=8)
_NO_DST_SINCE = datetime(1992, 1, 1, tzinfo=UTC)
_ONE_DAY = timedelta(days=1)


def _local_due(due: datetime) -> str:
    """Asia/Shanghai display of a due time; working-day clocks (ending at local midnight) show 24:00."""
    # China has kept UTC+8 without DST since 1992: a fixed offset is exact there and far cheaper than zoneinfo.
    local = due + _EIGHT_HOURS if due.tzinfo is UTC and due >= _NO_DST_SINCE else due.astimezone(SHANGHAI)
    text = local.isoformat(" ", "minutes")[:16]  # "YYYY-MM-DD HH:MM", offset cut off
    if text.endswith(" 00:00") and not local.second and not local.microsecond:
        return (local - _ONE_DAY).isoformat(" ", "minutes")[:11] + "24:00"
    return text


def _duration(delta: timedelta) -> str:
    """Same text as times.format_duration, inlined for the sweep's hot loop."""
    minutes = (delta.days * 86400 + delta.seconds) // 60
    if minutes < 60:
        return f"{minutes} 分钟"
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    text = f"{days} 天" if days else ""
    if hours:
        text = f"{text} {hours} 小时" if text else f"{hours} 小时"
    if minutes:
        text = f"{text} {minutes} 分钟"
    return text


def notice_audit(notice: Notice, ok: bool, error: str, now: datetime, *, actor: str = "system") -> AuditEntry:
    """The audit entry for one send attempt of a notice (sent or failed, with the one-line error)."""
    after: dict[str, Any] = {
        "key": notice.key,
        "kind": notice.kind.value,
        "clock_id": notice.clock_id,
        "ok": ok,
        "error": error,
        "created_for": notice.created_for.isoformat(),
    }
    return AuditEntry(
        at=require_aware(now, "now"),
        actor=actor,
        action="notice_sent" if ok else "notice_failed",
        entity="notice",
        entity_id=notice.key,
        before=None,
        after=after,
        case_id=notice.case_id,
    )
