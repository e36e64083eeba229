"""Fixtures for the responder tests: the shipped plans and small builders."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import count

import pytest

from responder.plans import load_plans
from responder.times import SHANGHAI
from responder.types import Channel, Plan, Response, ResponseMethod

_ids = count(1000)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """An aware UTC datetime."""
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """An aware Asia/Shanghai datetime, converted to UTC."""
    return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI).astimezone(UTC)


def response(
    method: ResponseMethod, at: datetime, *, rid: int | None = None, actor: str = "值班员甲"
) -> Response:
    """A stored response (storage gave it an id)."""
    return Response(
        method=method,
        channel=Channel.GOV_WEIBO,
        actor=actor,
        responded_at=at,
        text="情况通报：现场处置有序进行。",
        recorded_at=at,
        id=rid if rid is not None else next(_ids),
    )


@pytest.fixture(scope="session")
def plans() -> dict[str, Plan]:
    """The plans shipped in responder/plans/."""
    return load_plans()
