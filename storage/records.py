"""Frozen dataclasses storage returns beyond the domain types of crawlers, classifier and responder."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, Literal

from classifier.types import Assessment
from crawlers.types import Engagement
from responder.types import AuditEntry, Case, ClockKind, Notice


@dataclass(frozen=True, slots=True)
class AddResult:
    """Outcome of storing one fetched item: new or a duplicate, and the event it belongs to."""

    item_id: int
    status: Literal["new", "duplicate"]
    event_id: int | None
    new_event: bool = False


@dataclass(frozen=True, slots=True)
class StoredItem:
    """An item as stored, with its id, event and classification state."""

    id: int
    source_id: str
    url: str
    canonical_url: str
    title: str
    text: str
    content_hash: str
    fingerprint: int
    fetched_at: datetime
    first_seen_at: datetime
    published_at: datetime | None = None
    author: str = ""
    language: str = "zh"
    guid: str = ""
    engagement: Engagement = field(default_factory=Engagement)
    flags: tuple[str, ...] = ()
    event_id: int | None = None
    classified_at: datetime | None = None
    classify_error: str | None = None


@dataclass(frozen=True, slots=True)
class EventRecord:
    """A cluster of near-duplicate items."""

    id: int
    title: str
    first_seen_at: datetime
    first_online_at: datetime | None
    occurred_at: datetime | None
    last_item_at: datetime
    item_count: int
    source_count: int
    representative_item_id: int | None = None
    grade: str | None = None
    category: str | None = None


class SourceHealthState(StrEnum):
    """Health of a source after its recent fetches."""

    OK = "ok"
    FAILING = "failing"
    DEAD = "dead"


@dataclass(frozen=True, slots=True)
class HealthPolicy:
    """When a source counts as failing or dead, and how far its polls back off after failures."""

    failing_after: int = 3  # consecutive failures
    dead_after: int = 10
    backoff_factor: float = 2.0
    max_backoff_s: float = 6 * 3600.0

    def next_delay(self, poll_interval_s: float, consecutive_failures: int) -> timedelta:
        """Delay until the next poll: the interval, growing geometrically with failures, capped."""
        if consecutive_failures <= 0:
            return timedelta(seconds=poll_interval_s)
        delay = poll_interval_s * self.backoff_factor ** min(consecutive_failures, 30)
        return timedelta(seconds=min(max(delay, poll_interval_s), max(self.max_backoff_s, poll_interval_s)))

    def health_for(self, consecutive_failures: int) -> SourceHealthState:
        """Health label for a count of consecutive failures."""
        if consecutive_failures >= self.dead_after:
            return SourceHealthState.DEAD
        if consecutive_failures >= self.failing_after:
            return SourceHealthState.FAILING
        return SourceHealthState.OK


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """A source with its health, for `yuqing sources`, the admin page and health alerts."""

    id: str
    name: str
    kind: str
    url: str
    enabled: bool
    removed: bool
    health: SourceHealthState
    consecutive_failures: int
    last_success_at: datetime | None
    last_failure_at: datetime | None
    last_error: str | None
    next_poll_at: datetime | None
    health_alerted_at: datetime | None
    etag: str | None = None
    last_modified: str | None = None
    poll_interval_s: int | None = None

    @property
    def needs_alert(self) -> bool:
        """True when the source is failing or dead and no alert was raised since it went bad."""
        return self.health is not SourceHealthState.OK and self.health_alerted_at is None


@dataclass(frozen=True, slots=True)
class ConditionalState:
    """What a conditional GET sends back: the last ETag and Last-Modified of a source."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class FetchRecord:
    """One recorded fetch of a source."""

    id: int
    source_id: str
    started_at: datetime
    finished_at: datetime
    ok: bool
    http_status: int | None
    not_modified: bool
    items_new: int
    items_seen: int
    error: str | None
    flags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AssessmentRecord:
    """A stored assessment with where it belongs."""

    id: int
    item_id: int
    event_id: int | None
    assessed_at: datetime
    assessment: Assessment


class Role(StrEnum):
    """Dashboard roles, stored as codes."""

    DUTY = "duty"  # 值班员: handles cases
    LEADER = "leader"  # 领导: reads everything, annotates reviews
    ADMIN = "admin"  # 管理员: sources, units, plans, users

    @property
    def label(self) -> str:
        """The Chinese name of the role."""
        return {"duty": "值班员", "leader": "领导", "admin": "管理员"}[self.value]

    @classmethod
    def parse(cls, value: str) -> Role:
        """Accept a code (duty/leader/admin) or the Chinese name."""
        for role in cls:
            if value in (role.value, role.label):
                return role
        raise ValueError(
            f"未知角色 / unknown role {value!r}: expected duty/leader/admin or 值班员/领导/管理员"
        )


@dataclass(frozen=True, slots=True)
class UserRecord:
    """A dashboard user (the password hash is the caller's business)."""

    id: int
    username: str
    display_name: str
    password_hash: str
    role: Role
    units: tuple[str, ...]  # empty: all units
    active: bool
    created_at: datetime


class LabelKind(StrEnum):
    """What a training label corrects."""

    UNIT = "unit"
    GRADE = "grade"
    CATEGORY = "category"
    RELEVANCE = "relevance"
    DISMISS = "dismiss"


@dataclass(frozen=True, slots=True)
class LabelRecord:
    """A training label from a staff decision."""

    kind: LabelKind
    value: str
    actor: str
    at: datetime
    item_id: int | None = None
    case_id: int | None = None
    id: int | None = None


class NoticeStatus(StrEnum):
    """Delivery state of a claimed notice."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


# A claimed notice still pending after this long was cut off by a stop mid-send (one send takes at most
# settings.notify.timeout_s per channel): whether it went out is unknown, and it is not resent.
PENDING_UNKNOWN_AFTER = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class NoticeRecord:
    """A claimed notice with its delivery state."""

    id: int
    notice: Notice
    status: NoticeStatus
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True, slots=True)
class StateRecord:
    """A named piece of service state (heartbeat, last sweep)."""

    key: str
    value: dict[str, Any]
    updated_at: datetime


# ---- read models for the dashboard and reports (storage.queries) ----


@dataclass(frozen=True, slots=True)
class DutyRow:
    """One open case on the duty board with what makes it urgent."""

    case: Case
    earliest_due_at: datetime | None  # earliest due time among unmet clocks
    breached: bool  # some unmet clock is past due (or marked breached)
    event_item_count: int
    event_source_count: int


@dataclass(frozen=True, slots=True)
class EventItem:
    """An item of an event with its source's name, for the case page."""

    item: StoredItem
    source_name: str


@dataclass(frozen=True, slots=True)
class CaseDetail:
    """Everything the case page shows."""

    case: Case
    event: EventRecord
    items: tuple[EventItem, ...]  # first appearance first
    first_item: EventItem | None
    assessment: AssessmentRecord | None
    audit: tuple[AuditEntry, ...]


@dataclass(frozen=True, slots=True)
class SpreadPoint:
    """Items of an event first seen (or published) within one hour."""

    hour: datetime  # start of the hour, UTC
    count: int


@dataclass(frozen=True, slots=True)
class ClockKindStats:
    """Timeliness of one clock kind over a period."""

    kind: ClockKind
    total: int  # clocks that apply (superseded ones excluded)
    met_on_time: int
    met_late: int
    open_past_due: int
    open_not_due: int
    ever_breached: int  # met late + open past due
    superseded: int

    @property
    def on_time_share(self) -> float | None:
        """Share of applicable clocks met on time, None when there are none."""
        return self.met_on_time / self.total if self.total else None


@dataclass(frozen=True, slots=True)
class BreachRow:
    """A clock that was (or is) past due, for the breaches table."""

    case_id: int
    clock_id: int
    unit_id: str
    title: str
    grade: str | None
    kind: ClockKind
    started_at: datetime
    due_at: datetime
    met_at: datetime | None
    late_by: timedelta  # until met, or until `now` when still open


@dataclass(frozen=True, slots=True)
class CountRow:
    """A label and a count (cases by grade, by category, ...)."""

    key: str
    count: int


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """Cases and clock outcomes in one week or month (Asia/Shanghai calendar)."""

    period_start: date
    cases: int
    clocks: int
    met_on_time: int
    breached: int


@dataclass(frozen=True, slots=True)
class TimelinessStats:
    """The statistics page for a period and units."""

    start: datetime
    end: datetime
    now: datetime
    cases: int
    by_kind: tuple[ClockKindStats, ...]
    by_grade: tuple[CountRow, ...]
    by_category: tuple[CountRow, ...]
    by_state: tuple[CountRow, ...]
    responded_cases: int
    first_response_median: timedelta | None
    first_response_p90: timedelta | None
    breaches: tuple[BreachRow, ...]


__all__ = [
    "AddResult",
    "AssessmentRecord",
    "AuditEntry",
    "BreachRow",
    "CaseDetail",
    "ClockKindStats",
    "ConditionalState",
    "CountRow",
    "DutyRow",
    "EventItem",
    "EventRecord",
    "FetchRecord",
    "HealthPolicy",
    "LabelKind",
    "LabelRecord",
    "NoticeRecord",
    "NoticeStatus",
    "Role",
    "SourceHealth",
    "SourceHealthState",
    "SpreadPoint",
    "StateRecord",
    "StoredItem",
    "TimelinessStats",
    "TrendPoint",
    "UserRecord",
]
