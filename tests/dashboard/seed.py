"""A small, realistic database for the dashboard tests: units, sources, items, cases with real clocks, users."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from classifier.types import Grade
from dashboard.auth import Role
from responder.cases import open_case
from responder.plans import load_plans
from responder.types import AuditEntry, Case, CaseTimes, Trigger
from storage.db import make_engine, session_factory
from storage.models import (
    AssessmentRow,
    AssessmentUnitRow,
    AuditRow,
    EventRow,
    ItemRow,
    SourceRow,
    UnitRow,
    UserRow,
)
from storage.passwords import hash_password
from storage.repositories.cases import CaseRepository

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai
PASSWORD = "correct horse 电池 staple"
HOSTILE_TITLE = "<script>alert('xss')</script>[点我领奖](http://evil.example/x) **粗体** :red[红字] $x^2$"

USERS = {
    "duty": Role.DUTY,
    "leader": Role.LEADER,
    "admin": Role.ADMIN,
}


@dataclass(frozen=True)
class Seeded:
    """Ids a test needs."""

    url: str
    case_ids: dict[str, int]
    unit_ids: tuple[str, ...]


def _audit(session: Session, entries: list[AuditEntry], case_id: int) -> None:
    for e in entries:
        session.add(
            AuditRow(
                at=e.at, actor=e.actor, action=e.action, entity=e.entity, entity_id=e.entity_id,
                case_id=case_id, before=e.before, after=e.after,
            )
        )


def add_item(session: Session, *, event_id: int, source_id: str, title: str, url: str, at: datetime) -> int:
    """Insert one item row (the test owns the content)."""
    digest = hashlib.sha256(f"{url}|{title}".encode()).hexdigest()
    row = ItemRow(
        source_id=source_id, url=url, canonical_url=url, title=title, text=title + "。正文。", author="",
        published_at=at, fetched_at=at, first_seen_at=at, content_hash=digest, fingerprint=int(digest[:15], 16),
        language="zh", guid="", flags=[], event_id=event_id,
    )
    session.add(row)
    session.flush()
    return row.id


def add_case(
    session: Session,
    *,
    unit_id: str,
    title: str,
    grade: Grade | None,
    trigger: Trigger | None,
    opened: datetime,
    source_id: str = "weibo",
    items: int = 3,
    heavy: bool = False,
    category: str = "交通事故",
    occurred_before: timedelta = timedelta(hours=1),
) -> Case:
    """An event with items and an assessment, and its case opened by responder under the unit's plan."""
    plans = _plans()
    event = EventRow(
        title=title, first_seen_at=opened - timedelta(minutes=30), first_online_at=opened - timedelta(minutes=30),
        occurred_at=opened - occurred_before, last_item_at=opened, item_count=items, source_count=1,
        grade=grade.value if grade else None, category=category,
    )
    session.add(event)
    session.flush()
    first_item = None
    for n in range(items):
        item_id = add_item(
            session, event_id=event.id, source_id=source_id if n % 2 == 0 else "news", title=f"{title}（{n + 1}）",
            url=f"https://news.example.cn/{event.id}/{n}", at=opened - timedelta(minutes=30 - 7 * n),
        )
        first_item = first_item or item_id
    assessment = AssessmentRow(
        item_id=first_item, model_version="test-1", category=category, grade=grade.value if grade else None,
        basis="死亡12人，属重大（10–29人）" if grade is Grade.MAJOR else "依据条目文字", figures={"deaths": 12},
        places=[], abroad=False, negative=0.9, needs_response=True, heavy_casualties=heavy, extra={},
        assessed_at=opened,
    )
    session.add(assessment)
    session.flush()
    session.add(AssessmentUnitRow(assessment_id=assessment.id, unit_id=unit_id, score=0.93, reasons=["地名：示例区"]))
    case, entries = open_case(
        event.id, unit_id, title, category, grade, trigger, heavy,
        CaseTimes(opened - occurred_before, opened - timedelta(minutes=30), opened), plans["unit_default"], opened,
    )
    stored, _ = CaseRepository(session).open(case)
    assert stored.id is not None
    _audit(session, entries, stored.id)
    return stored


@functools.cache
def _hash(password: str) -> str:
    # argon2 is slow on purpose; one hash per password per test session keeps the fixtures fast.
    return hash_password(password)


@functools.cache
def _plans() -> dict[str, Any]:
    return load_plans()


def add_user(session: Session, username: str, role: Role, *, units: list[str] | None = None,
             active: bool = True, password: str = PASSWORD) -> None:
    """One dashboard user with an argon2 hash."""
    session.add(
        UserRow(
            username=username, display_name=f"{role.value}{username}", password_hash=_hash(password),
            role=role.alias, units=units or [], active=active, created_at=NOW,
        )
    )


def seed(url: str) -> Seeded:
    """Fill a migrated database with two units, two sources, three cases and the three users."""
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session, session.begin():
            for uid, name in (("shifan_qu", "示例区应急管理局"), ("shifan_shi", "示例市政府办公室")):
                session.add(
                    UnitRow(id=uid, name=name, kind="department", jurisdiction="示例市示例区", plan_id="unit_default",
                            profile={"aliases": ["示例"], "sample": True}, updated_at=NOW)
                )
            for sid, name in (("weibo", "示例微博"), ("news", "示例新闻网")):
                row: Any = SourceRow(
                    id=sid, name=name, kind="feed", url=f"http://127.0.0.1/{sid}.xml", config={}, enabled=True,
                    consecutive_failures=0 if sid == "weibo" else 4, health="ok" if sid == "weibo" else "failing",
                    last_success_at=NOW - timedelta(minutes=5), next_poll_at=NOW + timedelta(minutes=5),
                    last_error=None if sid == "weibo" else "HTTP 503 <b>Service</b> Unavailable", updated_at=NOW,
                )
                session.add(row)
            session.flush()
            major = add_case(
                session, unit_id="shifan_qu", title="示例区某路段发生重大交通事故", grade=Grade.MAJOR,
                trigger=Trigger.MAJOR, opened=NOW - timedelta(minutes=20), heavy=True,
            )
            hostile = add_case(
                session, unit_id="shifan_qu", title=HOSTILE_TITLE, grade=Grade.GENERAL,
                trigger=Trigger.OTHER_OPINION, opened=NOW - timedelta(hours=50), category="投诉/诉求",
            )
            other = add_case(
                session, unit_id="shifan_shi", title="示例市供水管道爆裂引发投诉", grade=None,
                trigger=Trigger.OTHER_OPINION, opened=NOW - timedelta(hours=5), category="投诉/诉求",
            )
            for username, role in USERS.items():
                add_user(session, username, role)
            add_user(session, "duty_qu", Role.DUTY, units=["shifan_qu"])
            add_user(session, "gone", Role.DUTY, active=False)
            assert major.id and hostile.id and other.id
        return Seeded(url, {"major": major.id, "hostile": hostile.id, "other": other.id}, ("shifan_qu", "shifan_shi"))
    finally:
        engine.dispose()
