"""Read queries of the pages, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from dashboard import data
from storage.db import make_engine, session_factory
from tests.dashboard.seed import NOW, Seeded


def _session(url: str):  # type: ignore[no-untyped-def]
    engine = make_engine(url)
    return engine, session_factory(engine)()


def test_duty_board_orders_by_earliest_live_due_and_filters(seeded_any: Seeded) -> None:
    engine, session = _session(seeded_any.url)
    try:
        rows, total = data.duty_board(session, data.BoardFilter())
        assert total == 3
        dues = [r.next_due_at for r in rows]
        assert dues == sorted(dues)  # every seeded case has a live clock
        assert rows[0].case_id == seeded_any.case_ids["hostile"]  # its 48 h clock ran out first
        major = next(r for r in rows if r.case_id == seeded_any.case_ids["major"])
        assert [c.kind for c in major.clocks] == ["发布事实信息", "召开新闻发布会"]
        only_major, n = data.duty_board(session, data.BoardFilter(grades=("重大",)))
        assert n == 1 and only_major[0].case_id == seeded_any.case_ids["major"]
        by_unit, n = data.duty_board(session, data.BoardFilter(units=("shifan_shi",)))
        assert n == 1 and by_unit[0].unit_id == "shifan_shi"
        by_source, n = data.duty_board(session, data.BoardFilter(sources=("nowhere",)))
        assert n == 0 and by_source == ()
        _recent, n = data.duty_board(session, data.BoardFilter(opened_from=NOW - timedelta(hours=6)))
        assert n == 2
    finally:
        session.close()
        engine.dispose()


def test_statistics_counts_outcomes_and_first_response(seeded_any: Seeded) -> None:
    engine, session = _session(seeded_any.url)
    try:
        stats = data.statistics_for(session, NOW - timedelta(days=30), NOW + timedelta(days=1), NOW)
        assert stats.case_total == 3
        assert dict(stats.by_grade) == {"重大": 1, "一般": 1, "未定级": 1}
        by_kind = {c.kind: c for c in stats.clocks}
        # The hostile case's 48 h 回应 clock is past due and unmet at NOW; the other 回应 clock still runs.
        assert by_kind["回应"].open_past_due == 1 and by_kind["回应"].running == 1
        assert by_kind["发布事实信息"].total == 1
        assert stats.breach_total == sum(c.ever_breached for c in stats.clocks) >= 2
        assert stats.median_first_response_h is None  # nobody responded yet
        assert sum(t.cases for t in stats.weekly) == 3
        assert {b.case_id for b in stats.breaches} >= {seeded_any.case_ids["hostile"]}
    finally:
        session.close()
        engine.dispose()


def test_case_detail_has_items_assessment_and_audit(seeded_any: Seeded) -> None:
    engine, session = _session(seeded_any.url)
    try:
        detail = data.case_detail(session, seeded_any.case_ids["major"])
        assert detail is not None
        assert detail.item_total == 3 and detail.items[0].source_name == "示例微博"
        assert detail.assessment is not None and detail.assessment.figures.deaths == 12
        assert detail.assessment.reasons == ("地名：示例区",)
        assert next(e.action for e in detail.audit) == "case_opened"
        assert data.case_detail(session, 999_999) is None
    finally:
        session.close()
        engine.dispose()


def test_percentile() -> None:
    assert data.percentile([], 0.9) is None
    assert data.percentile([5.0], 0.9) == 5.0
    assert data.percentile([0.0, 10.0], 0.9) == 9.0


def test_merge_candidates_are_earlier_open_cases_of_the_same_unit(seeded_any: Seeded) -> None:
    engine, session = _session(seeded_any.url)
    try:
        major = data.load_case(session, seeded_any.case_ids["major"])
        hostile = data.load_case(session, seeded_any.case_ids["hostile"])
        assert major is not None and hostile is not None
        assert [cid for cid, _label in data.merge_candidates(session, major)] == [seeded_any.case_ids["hostile"]]
        assert data.merge_candidates(session, hostile) == ()  # nothing opened before it
        assert data.merge_candidates(session, major, days=1) == ()  # hostile opened 50 hours before
    finally:
        session.close()
        engine.dispose()
