"""Sources, units, assessments, notices, audit, users, labels, state and leases on both backends."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.orm import Session

from classifier.types import (
    Assessment,
    Category,
    Figures,
    Grade,
    Place,
    Severity,
    UnitRelevance,
)
from crawlers.types import FetchOutcome
from responder.types import AuditEntry, Notice, NoticeKind
from storage.errors import NaiveDatetimeError, NotFound
from storage.models import EventRow
from storage.passwords import hash_password, verify_password
from storage.records import (
    ConditionalState,
    HealthPolicy,
    LabelKind,
    LabelRecord,
    NoticeStatus,
    Role,
    SourceHealthState,
)
from storage.repositories.assessments import AssessmentRepository
from storage.repositories.audit import AuditRepository
from storage.repositories.items import ItemRepository
from storage.repositories.labels import LabelRepository
from storage.repositories.notices import NoticeRepository
from storage.repositories.sources import SourceRepository
from storage.repositories.state import LeaseRepository, StateRepository
from storage.repositories.units import UnitRepository
from storage.repositories.users import UserExists, UserRepository
from tests.storage.factories import T0, item, seed_config, source, unit


def _outcome(ok: bool, at: datetime, **kw: object) -> FetchOutcome:
    return FetchOutcome(source_id="src1", started_at=at, finished_at=at + timedelta(seconds=2), ok=ok, **kw)  # type: ignore[arg-type]


def test_source_sync_marks_removed_never_deletes(session: Session) -> None:
    repo = SourceRepository(session)
    repo.sync_from_config([source("a"), source("b")], now=T0)
    repo.sync_from_config([source("a")], now=T0 + timedelta(hours=1))
    session.commit()
    health = {h.id: h for h in repo.list_health()}
    assert health["a"].enabled and not health["a"].removed
    assert not health["b"].enabled and health["b"].removed
    repo.sync_from_config([source("a"), replace(source("b"), name="回来了")], now=T0 + timedelta(hours=2))
    assert repo.get_health("b").enabled and repo.get_health("b").name == "回来了"
    assert repo.due(T0) == ["a", "b"]


def test_source_health_backoff_and_recovery(session: Session) -> None:
    repo = SourceRepository(session)
    repo.sync_from_config([replace(source("src1"), poll_interval_s=60)], now=T0)
    policy = HealthPolicy(failing_after=2, dead_after=3, backoff_factor=2.0, max_backoff_s=1000)
    at = T0
    states = []
    for _ in range(4):
        h = repo.record_fetch(_outcome(False, at, error="HTTP 500", http_status=500), 0, 0, policy=policy)
        states.append((h.health, h.consecutive_failures, h.next_poll_at - (at + timedelta(seconds=2))))  # type: ignore[operator]
        at += timedelta(minutes=30)
    assert [s[0] for s in states] == [
        SourceHealthState.OK,
        SourceHealthState.FAILING,
        SourceHealthState.DEAD,
        SourceHealthState.DEAD,
    ]
    assert [s[2] for s in states] == [
        timedelta(seconds=120),
        timedelta(seconds=240),
        timedelta(seconds=480),
        timedelta(seconds=960),
    ]
    assert repo.get_health("src1").needs_alert
    repo.mark_health_alerted("src1", at)
    assert not repo.get_health("src1").needs_alert
    ok = repo.record_fetch(
        _outcome(True, at, http_status=200, etag='"e1"', last_modified="Wed, 04 Mar 2026"),
        3,
        10,
        policy=policy,
    )
    assert ok.health is SourceHealthState.OK and ok.consecutive_failures == 0 and ok.health_alerted_at is None
    assert ok.next_poll_at == at + timedelta(seconds=62)
    assert repo.conditional_state("src1") == ConditionalState('"e1"', "Wed, 04 Mar 2026")
    repo.record_fetch(_outcome(True, at + timedelta(hours=1), http_status=304, not_modified=True), 0, 0)
    assert repo.conditional_state("src1").etag == '"e1"'  # a 304 without headers keeps the old ones
    repo.set_conditional_state("src1", ConditionalState(None, None))
    assert repo.conditional_state("src1") == ConditionalState()
    fetches = repo.recent_fetches("src1")
    assert len(fetches) == 6 and fetches[0].not_modified and fetches[-1].error == "HTTP 500"
    with pytest.raises(NotFound):
        repo.record_fetch(replace(_outcome(True, at), source_id="nope"), 0, 0)


def test_units_round_trip(session: Session) -> None:
    repo = UnitRepository(session)
    profile = replace(unit("u1"), duties=("交通",), leaders=("李四",), plan="gov_80")
    repo.sync_from_config([profile, unit("u2")], now=T0)
    repo.sync_from_config([profile], now=T0)
    assert repo.get("u1") == profile
    assert [u.id for u in repo.list()] == ["u1"]
    assert [u.id for u in repo.list(include_removed=True)] == ["u1", "u2"]


def _assessment(model: str = "m1", grade: Grade | None = Grade.LARGE) -> Assessment:
    return Assessment(
        item_id="1",
        units=(UnitRelevance("u1", 0.9, ("地名: 示例区",)), UnitRelevance("u2", 0.4)),
        places=(Place(province="示例省", county="示例区", mention="示例区"),),
        abroad=False,
        category=Category.TRAFFIC,
        figures=Figures(deaths=3, injuries=12),
        severity=Severity(
            grade=grade, basis="死亡3人: 较大", negative=0.8, needs_response=True, heavy_casualties=False
        ),
        model_version=model,
        extra={"k": "v"},
    )


def test_assessments_idempotent_per_model_version(session: Session) -> None:
    seed_config(session)
    added = ItemRepository(session).add(item(1), now=T0)
    repo = AssessmentRepository(session)
    first = repo.save(added.item_id, _assessment(), T0)
    again = repo.save(added.item_id, _assessment(grade=Grade.MAJOR), T0 + timedelta(minutes=1))
    newer = repo.save(added.item_id, _assessment("m2", Grade.MAJOR), T0 + timedelta(minutes=2))
    session.commit()
    assert first[1] and not again[1] and again[0] == first[0] and newer[1]
    latest = repo.latest_for_event(added.event_id or 0)
    assert latest is not None and latest.assessment.model_version == "m2"
    stored = repo.for_item(added.item_id)[-1].assessment
    assert stored == replace(_assessment(), item_id=str(added.item_id))
    assert repo.latest_for_event(9999) is None


def test_assessments_saved_in_bulk_keep_earlier_ones_and_their_units(session: Session) -> None:
    seed_config(session)
    items = ItemRepository(session)
    ids = [items.add(item(n), now=T0).item_id for n in range(1, 4)]
    repo = AssessmentRepository(session)
    first = repo.save(ids[0], _assessment(), T0)
    saved = repo.save_many([(i, _assessment(grade=Grade.MAJOR)) for i in ids], T0 + timedelta(minutes=1))
    session.commit()
    assert saved[ids[0]] == (first[0], False)  # stored before: kept, not overwritten
    assert all(saved[i][1] for i in ids[1:]) and len({saved[i][0] for i in ids}) == 3
    assert repo.for_item(ids[0])[0].assessment.severity.grade is Grade.LARGE
    for i in ids[1:]:
        [record] = repo.for_item(i)
        assert record.assessment.severity.grade is Grade.MAJOR
        assert [u.unit for u in record.assessment.units] == [u.unit for u in _assessment().units]
    assert repo.save_many([], T0) == {}


def _notice(key: str) -> Notice:
    return Notice(
        key=key,
        kind=NoticeKind.BREACH,
        case_id=None,
        clock_id=None,
        unit_id="u1",
        title="超时",
        body="已超时",
        due_at=T0,
        created_for=T0,
    )


def test_undelivered_notices_are_failed_or_cut_off_mid_send(session: Session) -> None:
    repo = NoticeRepository(session)
    at = {"sent": T0, "failed": T0, "cut-off": T0, "sending": T0 + timedelta(minutes=58),
          "old-failed": T0 - timedelta(days=2), "other-unit": T0, "system": T0}
    for key, moment in at.items():
        notice = _notice(key)
        if key == "other-unit":
            notice = replace(notice, unit_id="u2")
        if key == "system":
            notice = replace(notice, unit_id="")
        assert repo.claim(notice, moment)
    repo.mark_sent("sent", T0)
    for key in ("failed", "old-failed", "other-unit", "system"):
        repo.mark_failed(key, "HTTP 502", T0)
    session.commit()
    now = T0 + timedelta(hours=1)
    found = repo.undelivered(since=now - timedelta(hours=24), pending_before=now - timedelta(minutes=10))
    assert [r.notice.key for r in found] == ["system", "other-unit", "cut-off", "failed"]
    assert {r.notice.key: r.status for r in found}["cut-off"] is NoticeStatus.PENDING
    mine = repo.undelivered(since=now - timedelta(hours=24), pending_before=now - timedelta(minutes=10),
                            unit_ids=["u1"])
    assert [r.notice.key for r in mine] == ["system", "cut-off", "failed"]


def test_notices_claim_send_fail_retry(session: Session) -> None:
    repo = NoticeRepository(session)
    assert repo.claim(_notice("a"), T0)
    assert not repo.claim(_notice("a"), T0)
    assert repo.claim(_notice("b"), T0)
    assert repo.claim(_notice("c"), T0)
    session.commit()
    assert repo.existing_keys(["a", "b", "x"]) == {"a", "b"}
    assert repo.existing_keys(f"k{i}" for i in range(2500)) == set()
    repo.mark_sent("a", T0)
    repo.mark_failed("b", "SMTP 550", T0)
    session.commit()
    retry = repo.failed_for_retry(3)
    assert (
        [r.notice.key for r in retry] == ["b"]
        and retry[0].attempts == 1
        and retry[0].last_error == "SMTP 550"
    )
    assert [r.notice.key for r in repo.failed_for_retry(3, pending_before=T0 + timedelta(minutes=5))] == [
        "b",
        "c",
    ]
    repo.mark_failed("b", "x", T0)
    repo.mark_failed("b", "x", T0)
    assert repo.failed_for_retry(3) == []
    sent = repo.get("a")
    assert sent is not None and sent.status is NoticeStatus.SENT and sent.sent_at == T0
    assert sent.notice == _notice("a")


def test_audit_append_and_read_in_order(session: Session) -> None:
    repo = AuditRepository(session)
    entries = [
        AuditEntry(
            at=T0 + timedelta(minutes=2),
            actor="张三",
            action="ack",
            entity="case",
            entity_id="1",
            before={"state": "待确认"},
            after={"state": "处置中"},
            case_id=1,
        ),
        AuditEntry(
            at=T0,
            actor="system",
            action="open",
            entity="case",
            entity_id="1",
            after={"state": "待确认"},
            case_id=1,
        ),
        AuditEntry(at=T0, actor="system", action="source_dead", entity="source", entity_id="src1"),
    ]
    stored = repo.append(entries)
    session.commit()
    assert all(e.id is not None for e in stored)
    assert [e.action for e in repo.for_case(1)] == ["open", "ack"]
    assert repo.for_case(1)[1] == stored[0]
    assert [e.action for e in repo.list(entity="source")] == ["source_dead"]


def test_audit_log_refuses_update_and_delete(engine: object, session: Session) -> None:
    AuditRepository(session).append(
        [AuditEntry(at=T0, actor="system", action="open", entity="case", entity_id="1", case_id=1)]
    )
    session.commit()
    for sql in ("UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"):
            session.execute(text(sql))
        session.rollback()
    assert [e.actor for e in AuditRepository(session).for_case(1)] == ["system"]
    if session.get_bind().dialect.name == "postgresql":
        with pytest.raises(DBAPIError, match="append-only"):
            session.execute(text("TRUNCATE audit_log"))
        session.rollback()


def test_users(session: Session) -> None:
    repo = UserRepository(session)
    hashed = hash_password("s3cret")
    user = repo.add("duty1", "值班员甲", hashed, "值班员", ["u1"], now=T0)
    assert user.role is Role.DUTY and user.units == ("u1",) and user.active and user.role.label == "值班员"
    with pytest.raises(UserExists):
        repo.add("duty1", "x", hashed, Role.ADMIN, now=T0)
    session.rollback()
    repo.add("duty1", "值班员甲", hashed, Role.DUTY, ["u1"], now=T0)
    repo.add("boss", "领导", hashed, "leader", now=T0)
    repo.set_active("duty1", False)
    repo.set_role("boss", Role.ADMIN, units=[])
    session.commit()
    got = repo.get_by_username("duty1")
    assert got is not None and not got.active and verify_password(got.password_hash, "s3cret")
    assert not verify_password(got.password_hash, "wrong")
    assert [u.username for u in repo.list()] == ["boss", "duty1"]
    assert repo.get_by_username("boss").role is Role.ADMIN  # type: ignore[union-attr]
    with pytest.raises(NotFound):
        repo.set_active("nobody", True)
    with pytest.raises(ValueError):
        Role.parse("root")


def test_labels(session: Session) -> None:
    seed_config(session)
    added = ItemRepository(session).add(item(1), now=T0)
    repo = LabelRepository(session)
    a = repo.add(LabelRecord(kind=LabelKind.GRADE, value="重大", actor="张三", at=T0, item_id=added.item_id))
    repo.add(LabelRecord(kind=LabelKind.DISMISS, value="误报", actor="张三", at=T0 + timedelta(minutes=1)))
    session.commit()
    assert a.id is not None and a.item_id == added.item_id
    assert [lbl.kind for lbl in repo.list()] == [LabelKind.GRADE, LabelKind.DISMISS]
    assert repo.list("grade") == [a]


def test_state_and_leases(session: Session) -> None:
    state = StateRepository(session)
    assert state.get("heartbeat") is None
    state.set("heartbeat", {"pid": 1}, T0)
    state.set("heartbeat", {"pid": 2}, T0 + timedelta(seconds=5))
    session.commit()
    record = state.get_record("heartbeat")
    assert (
        record is not None and record.value == {"pid": 2} and record.updated_at == T0 + timedelta(seconds=5)
    )
    leases = LeaseRepository(session)
    assert leases.acquire("scheduler", "a", 30, T0)
    assert not leases.acquire("scheduler", "b", 30, T0 + timedelta(seconds=10))
    assert leases.acquire("scheduler", "a", timedelta(seconds=30), T0 + timedelta(seconds=20))  # renew
    assert leases.holder("scheduler", T0 + timedelta(seconds=40)) == "a"
    assert not leases.acquire("scheduler", "b", 30, T0 + timedelta(seconds=49))
    assert leases.acquire("scheduler", "b", 30, T0 + timedelta(seconds=50))  # expired: taken over
    assert not leases.release("scheduler", "a")
    assert leases.release("scheduler", "b")
    assert leases.holder("scheduler", T0) is None


def test_datetimes_round_trip_as_aware_utc(session: Session) -> None:
    shanghai = timezone(timedelta(hours=8))
    local = datetime(2026, 3, 5, 10, 0, 0, 123456, tzinfo=shanghai)
    StateRepository(session).set("k", {}, local)
    session.commit()
    session.expire_all()
    record = StateRepository(session).get_record("k")
    assert record is not None
    assert (
        record.updated_at == local and record.updated_at.tzinfo is UTC
    ) or record.updated_at.utcoffset() == timedelta(0)
    assert record.updated_at.hour == 2 and record.updated_at.microsecond == 123456


def test_naive_datetimes_are_refused(session: Session) -> None:
    with pytest.raises(StatementError) as info:
        StateRepository(session).set("k", {}, datetime(2026, 3, 5, 10, 0))
    assert isinstance(info.value.orig, NaiveDatetimeError)
    session.rollback()
    seed_config(session)
    with pytest.raises(StatementError, match="naive datetime"):
        ItemRepository(session).add(item(1), now=datetime(2026, 3, 5))
    session.rollback()
    assert session.query(EventRow).count() == 0
