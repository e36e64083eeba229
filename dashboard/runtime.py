"""Per-process resources of the running app: the engine (cached), sessions, plans, and the one clock read."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from dashboard import settings
from responder.types import Plan
from storage.db import check_schema, make_engine, session_factory

NOW_OVERRIDE_KEY = "yuqing_now_override"


@st.cache_resource(show_spinner=False)
def _engine(url: str) -> Engine:
    # One pool per URL for the whole server process; the schema is checked once here.
    engine = make_engine(url)
    check_schema(engine)
    return engine


def engine() -> Engine:
    """The engine for YUQING_DATABASE_URL (created on first use, schema checked)."""
    return _engine(settings.database_url())


def database_key() -> str:
    """A cache key naming the database, so cached query results never mix databases."""
    return settings.database_url()


@contextmanager
def read_session() -> Iterator[Session]:
    """A session for reading; rolled back at the end so it never writes."""
    with session_factory(engine())() as session:
        try:
            yield session
        finally:
            session.rollback()


@contextmanager
def write_session() -> Iterator[Session]:
    """One transaction: committed when the block succeeds, rolled back when it raises."""
    with session_factory(engine())() as session, session.begin():
        yield session


def now() -> datetime:
    """The current time in UTC: the dashboard's only clock read (a test may pin it in session_state)."""
    pinned: Any = st.session_state.get(NOW_OVERRIDE_KEY)
    if isinstance(pinned, datetime):
        return pinned.astimezone(UTC)
    return datetime.now(UTC)


@st.cache_resource(show_spinner=False, ttl=60)
def _plans(extra: tuple[str, ...]) -> tuple[dict[str, Plan], str]:
    from responder.errors import PlanError
    from responder.plans import default_plan_paths, load_plans

    try:
        return load_plans([*default_plan_paths(), *extra]), ""
    except PlanError as exc:
        return {}, str(exc)


def plans() -> tuple[dict[str, Plan], str]:
    """The shipped plans plus YUQING_PLAN_PATHS, and the validation error text ('' when valid)."""
    return _plans(tuple(str(p) for p in settings.plan_paths()))
