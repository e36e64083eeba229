"""Builders for test data shared by the storage tests."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from classifier.types import Grade, UnitKind, UnitProfile
from crawlers.types import FetchedItem, SourceKind, SourceSpec
from responder.types import (
    Case,
    CaseState,
    CaseTimes,
    Clock,
    ClockKind,
    LimitUnit,
    ResponseMethod,
    StartBasis,
    Trigger,
)
from storage.repositories.sources import SourceRepository
from storage.repositories.units import UnitRepository

T0 = datetime(2026, 3, 5, 2, 0, tzinfo=UTC)


def source(source_id: str = "src1", name: str = "示例来源") -> SourceSpec:
    """A feed source spec."""
    return SourceSpec(id=source_id, name=name, kind=SourceKind.FEED, url=f"http://127.0.0.1/{source_id}.xml")


def unit(unit_id: str = "u1", name: str = "示例区政府") -> UnitProfile:
    """A territorial unit."""
    return UnitProfile(
        id=unit_id, name=name, jurisdiction="示例区", kind=UnitKind.TERRITORIAL, aliases=("示例区",)
    )


def item(
    n: int,
    *,
    source_id: str = "src1",
    fingerprint: int | None = None,
    url: str | None = None,
    text: str | None = None,
    published_at: datetime | None = None,
) -> FetchedItem:
    """A fetched item whose URL, hash and fingerprint derive from n unless given."""
    body = text if text is not None else f"正文 {n}"
    digest = hashlib.sha256(f"{n}|{body}".encode()).hexdigest()
    fp = (
        fingerprint
        if fingerprint is not None
        else int.from_bytes(hashlib.sha256(digest.encode()).digest()[:8], "big", signed=True)
    )
    return FetchedItem(
        source_id=source_id,
        url=url or f"http://example.test/a/{n}?utm_source=x",
        canonical_url=url or f"http://example.test/a/{n}",
        title=f"标题 {n}",
        text=body,
        content_hash=digest,
        fingerprint=fp,
        fetched_at=T0,
        published_at=published_at if published_at is not None else T0 - timedelta(minutes=n % 60),
    )


def seed_config(session: Session, sources: int = 2, units: int = 2) -> None:
    """Store sources src1.. and units u1.."""
    SourceRepository(session).sync_from_config(
        [source(f"src{i + 1}", f"来源{i + 1}") for i in range(sources)], now=T0
    )
    UnitRepository(session).sync_from_config(
        [unit(f"u{i + 1}", f"单位{i + 1}") for i in range(units)], now=T0
    )
    session.commit()


def clock(
    kind: ClockKind = ClockKind.FACTS,
    *,
    started_at: datetime = T0,
    hours: float = 1.0,
    trigger: Trigger = Trigger.MAJOR,
) -> Clock:
    """A wall-clock deadline."""
    return Clock(
        kind=kind,
        basis=StartBasis.DISCOVERED,
        started_at=started_at,
        due_at=started_at + timedelta(hours=hours),
        limit=hours,
        unit=LimitUnit.HOURS,
        plan_id="unit_default",
        plan_version="v1",
        trigger=trigger,
        citation="示例方案 二(八)",
        met_by=(ResponseMethod.AUTHORITATIVE_RELEASE,),
    )


def case(
    event_id: int, unit_id: str = "u1", *, opened_at: datetime = T0, clocks: tuple[Clock, ...] | None = None
) -> Case:
    """A new case with a 1 h and a 24 h clock."""
    return Case(
        event_id=event_id,
        unit_id=unit_id,
        state=CaseState.NEW,
        grade=Grade.MAJOR,
        trigger=Trigger.MAJOR,
        heavy_casualties=True,
        plan_id="unit_default",
        plan_version="v1",
        times=CaseTimes(
            occurred_at=opened_at - timedelta(hours=1),
            first_online_at=opened_at - timedelta(minutes=30),
            discovered_at=opened_at,
        ),
        opened_at=opened_at,
        title=f"事件 {event_id}",
        category="交通事故",
        clocks=clocks
        if clocks is not None
        else (
            clock(ClockKind.FACTS, started_at=opened_at, hours=1),
            clock(ClockKind.PRESS_CONFERENCE, started_at=opened_at, hours=24),
        ),
    )
