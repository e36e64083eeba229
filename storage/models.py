"""SQLAlchemy 2.0 typed models: the one place the schema is described (migrations mirror it).

ORM rows never leave storage/: repositories turn them into frozen dataclasses.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.types import UTCDateTime

# Deterministic constraint names, so migrations can refer to them on every backend.
NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with UTC datetimes and JSON for dict/list annotations."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
    }


class SourceRow(Base):
    """A configured source with its conditional-GET state and health."""

    __tablename__ = "sources"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20))
    url: Mapped[str] = mapped_column(Text)
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    removed_at: Mapped[datetime | None]  # gone from the config: kept, never deleted
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_success_at: Mapped[datetime | None]
    last_failure_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    next_poll_at: Mapped[datetime | None]
    health: Mapped[str] = mapped_column(String(20), default="ok")  # ok / failing / dead
    health_alerted_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class FetchRow(Base):
    """One fetch of one source (history for health and the admin page)."""

    __tablename__ = "fetches"
    __table_args__ = (Index("ix_fetches_source_started", "source_id", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime]
    ok: Mapped[bool] = mapped_column(Boolean)
    http_status: Mapped[int | None] = mapped_column(Integer)
    not_modified: Mapped[bool] = mapped_column(Boolean, default=False)
    items_new: Mapped[int] = mapped_column(Integer, default=0)
    items_seen: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    flags: Mapped[list[Any]] = mapped_column(default=list)


class EventRow(Base):
    """A cluster of near-duplicate items about one happening."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_last_item_at", "last_item_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(Text)
    first_seen_at: Mapped[datetime]
    first_online_at: Mapped[datetime | None]
    occurred_at: Mapped[datetime | None]
    last_item_at: Mapped[datetime]
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    source_count: Mapped[int] = mapped_column(Integer, default=0)
    # Plain id, no foreign key: items and events refer to each other, and a cycle of foreign
    # keys would need ALTER TABLE, which SQLite cannot do.
    representative_item_id: Mapped[int | None] = mapped_column(Integer)
    grade: Mapped[str | None] = mapped_column(String(20))
    category: Mapped[str | None] = mapped_column(String(40))


class ItemRow(Base):
    """One fetched article or post, stored once (canonical URL and content hash are unique)."""

    __tablename__ = "items"
    __table_args__ = (
        Index("ix_items_event_id", "event_id"),
        Index("ix_items_source_id", "source_id"),
        Index("ix_items_first_seen_at", "first_seen_at"),
        Index("ix_items_published_at", "published_at"),
        # The unclassified queue: a partial index stays tiny however many items are stored.
        Index(
            "ix_items_unclassified",
            "id",
            sqlite_where=text("classified_at IS NULL"),
            postgresql_where=text("classified_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"))
    url: Mapped[str] = mapped_column(Text)
    canonical_url: Mapped[str] = mapped_column(Text, unique=True)
    title: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime | None]
    fetched_at: Mapped[datetime]
    first_seen_at: Mapped[datetime]
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    fingerprint: Mapped[int] = mapped_column(BigInteger)  # signed 64-bit SimHash
    language: Mapped[str] = mapped_column(String(16), default="zh")
    guid: Mapped[str] = mapped_column(Text, default="")
    reposts: Mapped[int | None] = mapped_column(Integer)
    comments: Mapped[int | None] = mapped_column(Integer)
    likes: Mapped[int | None] = mapped_column(Integer)
    flags: Mapped[list[Any]] = mapped_column(default=list)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))
    classified_at: Mapped[datetime | None]
    classify_error: Mapped[str | None] = mapped_column(Text)


class ItemBandRow(Base):
    """One LSH band of an item's SimHash: near-duplicates share at least one band value."""

    __tablename__ = "item_bands"
    __table_args__ = (Index("ix_item_bands_band_value", "band", "value"),)

    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), primary_key=True)
    band: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)  # bands may be up to 64 bits wide


class UnitRow(Base):
    """A government body the system watches for (profile as loaded from the config)."""

    __tablename__ = "units"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20))
    jurisdiction: Mapped[str] = mapped_column(Text)
    plan_id: Mapped[str] = mapped_column(String(200))
    profile: Mapped[dict[str, Any]] = mapped_column(default=dict)
    removed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class AssessmentRow(Base):
    """The classifier's verdict on one item under one model version."""

    __tablename__ = "assessments"
    __table_args__ = (UniqueConstraint("item_id", "model_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    model_version: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(40))
    grade: Mapped[str | None] = mapped_column(String(20))
    basis: Mapped[str] = mapped_column(Text, default="")
    figures: Mapped[dict[str, Any]] = mapped_column(default=dict)
    places: Mapped[list[Any]] = mapped_column(default=list)
    abroad: Mapped[bool] = mapped_column(Boolean, default=False)
    negative: Mapped[float] = mapped_column(Float, default=0.0)
    needs_response: Mapped[bool] = mapped_column(Boolean, default=False)
    heavy_casualties: Mapped[bool] = mapped_column(Boolean, default=False)
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    assessed_at: Mapped[datetime]


class AssessmentUnitRow(Base):
    """Relevance of one assessed item to one unit, with the reasons."""

    __tablename__ = "assessment_units"
    __table_args__ = (Index("ix_assessment_units_unit_id", "unit_id"),)

    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    score: Mapped[float] = mapped_column(Float)
    reasons: Mapped[list[Any]] = mapped_column(default=list)


class CaseRow(Base):
    """One event handled by one unit (处置单)."""

    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("event_id", "unit_id"),
        Index("ix_cases_state", "state"),
        Index("ix_cases_unit_state", "unit_id", "state"),
        Index("ix_cases_opened_at", "opened_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id"))
    state: Mapped[str] = mapped_column(String(20))
    grade: Mapped[str | None] = mapped_column(String(20))
    trigger: Mapped[str | None] = mapped_column(String(20))
    heavy_casualties: Mapped[bool] = mapped_column(Boolean, default=False)
    category: Mapped[str] = mapped_column(String(40), default="")
    title: Mapped[str] = mapped_column(Text, default="")
    plan_id: Mapped[str] = mapped_column(String(200))
    plan_version: Mapped[str] = mapped_column(String(100))
    occurred_at: Mapped[datetime | None]
    first_online_at: Mapped[datetime | None]
    discovered_at: Mapped[datetime]
    opened_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    dismiss_reason: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime]


class ResponseRow(Base):
    """What a unit did for a case."""

    __tablename__ = "responses"
    __table_args__ = (
        Index("ix_responses_case_id", "case_id"),
        Index("ix_responses_case_responded", "case_id", "responded_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    method: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(40))
    link: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(Text)
    responded_at: Mapped[datetime]
    recorded_at: Mapped[datetime]


class ClockRow(Base):
    """One deadline of a case; superseded clocks stay in the record."""

    __tablename__ = "clocks"
    __table_args__ = (
        # One live clock per (case, trigger, kind); a superseded one may be started again after a
        # re-grade goes down and up again, so the uniqueness ignores superseded rows.
        Index(
            "uq_clocks_case_trigger_kind_live",
            "case_id",
            "trigger",
            "kind",
            unique=True,
            sqlite_where=text("superseded_at IS NULL"),
            postgresql_where=text("superseded_at IS NULL"),
        ),
        Index("ix_clocks_case_id", "case_id"),
        Index("ix_clocks_due_at", "due_at"),
        Index("ix_clocks_state", "state"),
        Index("ix_clocks_state_due_at", "state", "due_at"),
        # Covers the deadline sweep: it reads unmet clocks without touching the table.
        Index("ix_clocks_sweep", "state", "case_id", "id", "kind", "started_at", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    kind: Mapped[str] = mapped_column(String(40))
    basis: Mapped[str] = mapped_column(String(20))
    trigger: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime]
    due_at: Mapped[datetime]
    limit_value: Mapped[float] = mapped_column(Float)
    limit_unit: Mapped[str] = mapped_column(String(20))
    plan_id: Mapped[str] = mapped_column(String(200))
    plan_version: Mapped[str] = mapped_column(String(100))
    citation: Mapped[str] = mapped_column(Text)
    met_by: Mapped[list[Any]] = mapped_column(default=list)
    repeats: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(20))
    met_at: Mapped[datetime | None]
    met_by_response_id: Mapped[int | None] = mapped_column(ForeignKey("responses.id"))
    superseded_at: Mapped[datetime | None]


class NoticeRow(Base):
    """An escalation message; the unique key makes every notice go out at most once."""

    __tablename__ = "notices"
    __table_args__ = (
        Index("ix_notices_status", "status"),
        Index("ix_notices_case_id", "case_id"),
        Index("ix_notices_clock_created", "clock_id", "created_for"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(400), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    clock_id: Mapped[int | None] = mapped_column(ForeignKey("clocks.id"))
    unit_id: Mapped[str] = mapped_column(String(200), default="")
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    due_at: Mapped[datetime | None]
    created_for: Mapped[datetime]
    created_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending / sent / failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]


class AuditRow(Base):
    """Append-only audit entry; database triggers refuse UPDATE and DELETE."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_case_id", "case_id"), Index("ix_audit_log_at", "at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(200))
    case_id: Mapped[int | None] = mapped_column(Integer)  # no FK: the log outlives any row
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class UserRow(Base):
    """A dashboard user; role codes duty (值班员), leader (领导), admin (管理员)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(200), unique=True)
    display_name: Mapped[str] = mapped_column(Text)
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(20))
    units: Mapped[list[Any]] = mapped_column(default=list)  # empty: all units
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class LabelRow(Base):
    """A training label taken from a staff decision that corrects the classifier."""

    __tablename__ = "labels"
    __table_args__ = (Index("ix_labels_kind", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    kind: Mapped[str] = mapped_column(String(20))  # unit / grade / category / relevance / dismiss
    value: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]


class ServiceStateRow(Base):
    """Small named state of the running service: heartbeats, last sweep."""

    __tablename__ = "service_state"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime]


class LeaseRow(Base):
    """A named lease for single-leader scheduling across processes."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime]


def tbl(model: type[Base]) -> Table:
    """The Core table of a model, typed as a Table (for bulk inserts and updates)."""
    return cast(Table, model.__table__)
