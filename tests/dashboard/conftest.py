"""Dashboard fixtures: a seeded database (on the shared storage fixtures) and AppTest helpers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.auth import SESSION_USER_KEY, Role, SignedInUser
from dashboard.runtime import NOW_OVERRIDE_KEY
from storage.db import make_engine, session_factory
from tests.dashboard.seed import NOW, Seeded, seed

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")

USER_OF_ROLE = {
    Role.DUTY: SignedInUser("duty", "值班员duty", Role.DUTY, (), 1),
    Role.LEADER: SignedInUser("leader", "领导leader", Role.LEADER, (), 2),
    Role.ADMIN: SignedInUser("admin", "管理员admin", Role.ADMIN, (), 3),
}


@pytest.fixture
def seeded(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Seeded:
    """A seeded SQLite database that the app reads through YUQING_DATABASE_URL."""
    monkeypatch.setenv("YUQING_DATABASE_URL", sqlite_url)
    monkeypatch.delenv("YUQING_PLAN_PATHS", raising=False)
    return seed(sqlite_url)


@pytest.fixture
def seeded_any(db_url: str) -> Seeded:
    """The same seed on SQLite and on PostgreSQL (for the read queries)."""
    return seed(db_url)


AppFactory = Callable[..., AppTest]


@pytest.fixture
def app(seeded: Seeded) -> AppFactory:
    """Build an AppTest of the whole app, signed in as a role (or nobody), on a page, at a pinned time."""

    def build(role: Role | None = None, page: str | None = None, *, now: datetime = NOW,
              user: SignedInUser | None = None, query: dict[str, str] | None = None) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=60)
        signed = user or (USER_OF_ROLE[role] if role is not None else None)
        if signed is not None:
            at.session_state[SESSION_USER_KEY] = signed
        at.session_state[NOW_OVERRIDE_KEY] = now
        if page is not None:
            # Run the entry once so st.navigation registers the pages; switching before that would run
            # the page file on its own, bypassing app.py.
            at.run()
            at.switch_page(f"app_pages/{page}.py")
        for key, value in (query or {}).items():
            at.query_params[key] = value
        return at

    return build


@pytest.fixture
def session_of(seeded: Seeded) -> Iterator[Callable[[], object]]:
    """Open sessions on the seeded database (the caller uses `with ... as s, s.begin()`)."""
    engine = make_engine(seeded.url)
    factory = session_factory(engine)
    yield factory
    engine.dispose()
