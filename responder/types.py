"""Domain types that leave responder/: plans, cases, clocks, responses, notices, audit entries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from classifier.types import Grade


class ClockKind(StrEnum):
    """What a clock demands (names as the documents use them)."""

    FACTS = "发布事实信息"
    AUTHORITATIVE = "发布权威信息"
    PRESS_CONFERENCE = "召开新闻发布会"
    RESPONSE = "回应"
    POLICY_INTERPRETATION = "政策解读"


class StartBasis(StrEnum):
    """Which moment starts a clock; the documents leave it open, so each plan states it."""

    OCCURRED = "occurred"  # when the event happened
    FIRST_ONLINE = "first_online"  # when it first appeared online
    DISCOVERED = "discovered"  # when the duty office discovered it


class LimitUnit(StrEnum):
    """Wall-clock hours (24×7) or working days on the Chinese calendar."""

    HOURS = "hours"
    WORKING_DAYS = "working_days"


class Trigger(StrEnum):
    """What starts a group of clocks: a severity grade or a class of item."""

    EXTRAORDINARY = "特别重大"
    MAJOR = "重大"
    LARGE = "较大"
    GENERAL = "一般"
    OTHER_OPINION = "其他政务舆情"  # negative, non-emergency items that need an answer
    POLICY = "政策发布"  # a policy document was published


class Condition(StrEnum):
    """Extra condition a clock rule may require beyond its trigger."""

    ALWAYS = "always"
    HEAVY_CASUALTIES = "heavy_casualties"  # 造成重大人员伤亡或社会影响较大


class ResponseMethod(StrEnum):
    """How a unit answered (as the documents name the methods)."""

    AUTHORITATIVE_RELEASE = "发布权威信息"  # incl. 事实类信息
    PRESS_CONFERENCE = "新闻发布会/吹风会"
    MEDIA_INTERVIEW = "接受媒体采访"
    ONLINE_REPLY = "网上回应/答复"
    CLARIFICATION = "澄清"
    INTERPRETATION = "发布解读材料"


class Channel(StrEnum):
    """Where a response was published."""

    GOV_WEBSITE = "政府网站"
    GOV_WEIBO = "政务微博"
    GOV_WECHAT = "政务微信"
    NEWS_MEDIA = "新闻媒体"
    PRESS_EVENT = "发布会现场"
    HOTLINE = "热线/留言板"
    OTHER = "其他"


class CaseState(StrEnum):
    """处置单 state machine."""

    NEW = "待确认"
    ACKNOWLEDGED = "处置中"
    RESPONDED = "已回应"
    CLOSED = "已办结"
    DISMISSED = "误报/无需回应"


class ClockState(StrEnum):
    """A clock is running until met, breached (past due and unmet), or superseded by a re-grade."""

    RUNNING = "running"
    MET = "met"  # met on time
    MET_LATE = "met_late"  # met after its due time (it was breached first)
    BREACHED = "breached"  # past due, still unmet
    SUPERSEDED = "superseded"  # no longer applies after a re-grade; kept in the record


@dataclass(frozen=True, slots=True)
class ClockRule:
    """One clock a plan starts for a trigger."""

    kind: ClockKind
    limit: float
    unit: LimitUnit
    basis: StartBasis
    citation: str
    met_by: tuple[ResponseMethod, ...]
    condition: Condition = Condition.ALWAYS
    repeats: bool = False  # 根据进展情况持续发布
    note: str = ""


@dataclass(frozen=True, slots=True)
class Plan:
    """A response plan: for each trigger, the clocks it starts."""

    id: str
    name: str
    version: str  # content hash of the resolved plan, pinned by every case opened under it
    citation: str
    rules: dict[Trigger, tuple[ClockRule, ...]]
    extends: str | None = None
    # Why a trigger gets the clocks it gets (e.g. 较大/一般 read as 其他政务舆情); part of the version hash.
    notes: dict[Trigger, str] = field(default_factory=dict)
    source: str = ""  # file the plan was defined in (not hashed: moving a file does not change a plan)


@dataclass(frozen=True, slots=True)
class CaseTimes:
    """The three moments a clock may start from; all UTC; any may be unknown."""

    occurred_at: datetime | None
    first_online_at: datetime | None
    discovered_at: datetime


@dataclass(frozen=True, slots=True)
class Clock:
    """One deadline of a case."""

    kind: ClockKind
    basis: StartBasis
    started_at: datetime
    due_at: datetime
    limit: float
    unit: LimitUnit
    plan_id: str
    plan_version: str
    trigger: Trigger
    citation: str
    met_by: tuple[ResponseMethod, ...]
    repeats: bool = False
    state: ClockState = ClockState.RUNNING
    met_at: datetime | None = None
    met_by_response_id: int | None = None
    superseded_at: datetime | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Response:
    """What a unit did: method, channel, link and/or text, by whom, when."""

    method: ResponseMethod
    channel: Channel
    actor: str
    responded_at: datetime
    link: str = ""
    text: str = ""
    recorded_at: datetime | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Case:
    """One event handled by one unit."""

    event_id: int
    unit_id: str
    state: CaseState
    grade: Grade | None
    trigger: Trigger | None  # None: no clock applies (neutral news)
    heavy_casualties: bool
    plan_id: str
    plan_version: str
    times: CaseTimes
    opened_at: datetime
    title: str = ""
    category: str = ""
    clocks: tuple[Clock, ...] = ()
    responses: tuple[Response, ...] = ()
    acknowledged_at: datetime | None = None
    closed_at: datetime | None = None
    dismiss_reason: str = ""
    id: int | None = None


@dataclass(frozen=True, slots=True)
class EventMerge:
    """What folding a duplicate event into the event it repeats does to their cases (responder.merge)."""

    from_event: int
    into_event: int
    moved: tuple[Case, ...]  # cases of units the surviving event had none for, now on into_event
    dismissed: tuple[Case, ...]  # duplicates of a case on the surviving event, dismissed; they stay on from_event
    entries: tuple[AuditEntry, ...]


class NoticeKind(StrEnum):
    """A warning before a deadline, or a notice that it was breached."""

    WARNING = "warning"
    BREACH = "breach"
    SOURCE_HEALTH = "source_health"


@dataclass(frozen=True, slots=True)
class Notice:
    """One escalation message to send; `key` is unique, so a notice is sent at most once."""

    key: str
    kind: NoticeKind
    case_id: int | None
    clock_id: int | None
    unit_id: str
    title: str
    body: str
    due_at: datetime | None
    created_for: datetime  # the moment (threshold) this notice belongs to


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """Append-only record of a change: who, when, what, before → after."""

    at: datetime
    actor: str
    action: str
    entity: str  # "case", "clock", "response", "notice", "source", "user", ...
    entity_id: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    case_id: int | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class ClockView:
    """A light row per unmet clock, what a deadline sweep needs (storage builds these in bulk)."""

    case_id: int
    clock_id: int
    unit_id: str
    case_title: str
    case_state: CaseState
    grade: Grade | None
    kind: ClockKind
    state: ClockState
    started_at: datetime
    due_at: datetime
    acknowledged_at: datetime | None = None
    # `created_for` of the latest notice already recorded for this clock (storage fills it when it can):
    # evaluate returns nothing that is not newer, so a steady-state sweep builds almost no notices.
    last_notice_for: datetime | None = None
