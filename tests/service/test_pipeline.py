"""The pipeline in one process on SQLite and PostgreSQL: feed → items → cases → clocks → notices."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from responder.types import CaseState, ClockKind, ClockState, Trigger
from service import jobs
from service.context import AppContext
from service.replay import ReplayFeed, ReplayItem, ReplayServer
from service.settings import load_config
from service.sync import sync_config
from storage.repositories.audit import AuditRepository
from storage.repositories.cases import CaseRepository
from storage.repositories.items import ItemRepository
from storage.repositories.notices import NoticeRepository
from tests.responder.servers import WebhookServer

ACCIDENT = ReplayItem(
    "acc-1",
    "示例区长安路发生一起交通事故 已致12人死亡",
    "今天上午8时40分许，示例市示例区长安路与和平街交叉口，一辆大客车与一辆重型货车相撞，事故已造成12人死亡、18人受伤。示例区人民政府已启动应急预案，伤员已送往医院救治，事故原因正在调查中。",
    0,
    lag_s=600,
)
REPRINT = ReplayItem(
    "acc-2",
    "长安路车祸：大客车与货车相撞",
    "（转载）今天上午8时40分许，示例市示例区长安路与和平街交叉口，一辆大客车与一辆重型货车相撞，事故已造成12人死亡、18人受伤。示例区人民政府已启动应急预案，伤员已送往医院救治，事故原因正在调查中。\n来源：示例新闻网",
    0,
    lag_s=300,
)
NEUTRAL = ReplayItem("pr-1", "示例区举办职工运动会", "示例区总工会举办秋季职工运动会，近千名职工参加。", 0)
COMPLAINT = ReplayItem(
    "cp-1", "网友投诉示例区12路公交车频繁脱班", "网友反映示例区12路公交车频繁脱班，候车一小时不见车，希望示例区交通运输局尽快解决。", 0
)


def make_context(tmp_path: Path, db_url: str, feed_url: str, hook_port: int) -> AppContext:
    config_file = tmp_path / "yuqing.toml"
    config_file.write_text(
        f"""
[settings]
var_dir = "var"
[settings.notify]
urls = ["json://127.0.0.1:{hook_port}/hook"]

[[unit]]
id = "shili-gov"
name = "示例市示例区人民政府"
jurisdiction = "示例市示例区"
kind = "territorial"
aliases = ["示例区人民政府"]

[[unit]]
id = "shili-jtj"
name = "示例区交通运输局"
jurisdiction = "示例市示例区"
duties = ["交通运输", "道路", "公交"]

[[source]]
id = "news"
name = "示例新闻网"
url = "{feed_url}"
""",
        encoding="utf-8",
    )
    config = load_config(config_file, env={"YUQING_DATABASE_URL": db_url})
    context = AppContext(config)
    with context.session() as session:
        sync_config(session, config)
    return context


@pytest.fixture
def hook() -> WebhookServer:
    with WebhookServer(200) as server:
        yield server


def test_feed_to_case_to_notice(tmp_path: Path, db_url: str, hook: WebhookServer) -> None:
    feed = ReplayFeed([ACCIDENT, REPRINT, NEUTRAL, COMPLAINT])
    server = ReplayServer(feed).start()
    try:
        context = make_context(tmp_path, db_url, server.feed_url, hook.port)
        first = jobs.poll_source(context, "news")
        assert first.ok and first.items_new == 4
        again = jobs.poll_source(context, "news")
        assert again.not_modified and again.items_new == 0
    finally:
        server.stop()

    classifier = jobs.build_classifier(context)
    now = datetime.now(UTC)
    report = jobs.classify_pending(context, classifier, now)
    assert report.items == 4 and report.failed == 0 and report.remaining == 0

    with context.session() as session:
        assert ItemRepository(session).count_events() == 3  # the reprint joined the accident's event
        cases = CaseRepository(session).list()
    by_unit_title = {(c.unit_id, c.title[:6]): c for c in cases}
    # Neutral publicity opens nothing; the accident concerns both units, the complaint both.
    assert not any("运动会" in c.title for c in cases)
    accident = [c for c in cases if "12人死亡" in c.title or "车祸" in c.title]
    assert {c.unit_id for c in accident} == {"shili-gov", "shili-jtj"}
    assert len(accident) == 2  # one case per event and unit, not per item
    gov_case = next(c for c in accident if c.unit_id == "shili-gov")
    assert gov_case.trigger is Trigger.MAJOR
    kinds = {c.kind for c in gov_case.clocks}
    assert ClockKind.FACTS in kinds and ClockKind.PRESS_CONFERENCE in kinds
    facts = next(c for c in gov_case.clocks if c.kind is ClockKind.FACTS)
    assert facts.due_at - facts.started_at == timedelta(hours=1)
    assert by_unit_title  # complaint cases exist too
    assert any(c.trigger is Trigger.OTHER_OPINION for c in cases)

    # Re-running classification and polling changes nothing (idempotent).
    assert jobs.classify_pending(context, classifier, now).items == 0

    # 55 minutes after the clock started: the 80 % warning goes out once, to the webhook.
    sweep_at = facts.started_at + timedelta(minutes=55)
    first_sweep = jobs.sweep_deadlines(context, sweep_at)
    assert first_sweep.sent >= 1 and first_sweep.failed == 0
    assert hook.inbox.event.wait(5)
    bodies = [m["json"] for m in hook.inbox.messages]
    assert any("预警" in (b.get("title", "") + b.get("message", "")) for b in bodies)
    sent_before = len(hook.inbox.messages)
    second_sweep = jobs.sweep_deadlines(context, sweep_at)
    assert second_sweep.notices == 0 and len(hook.inbox.messages) == sent_before

    # After the due time: breached, a breach notice; a late response is still recorded as late.
    late = facts.due_at + timedelta(minutes=5)
    breach = jobs.sweep_deadlines(context, late)
    assert breach.breached >= 1 and breach.sent >= 1
    with context.session() as session:
        stored = CaseRepository(session).get(gov_case.id or 0)
        assert next(c for c in stored.clocks if c.kind is ClockKind.FACTS).state is ClockState.BREACHED
        keys = [n.notice.key for n in NoticeRepository(session).list()]
        assert len(keys) == len(set(keys))
        actions = [e.action for e in AuditRepository(session).for_case(gov_case.id or 0)]
    assert "case_opened" in actions and "clock_breached" in actions and "notice_sent" in actions


def test_update_raises_grade_and_keeps_old_clocks(tmp_path: Path, db_url: str, hook: WebhookServer) -> None:
    """An updated report on the same event (deaths 2 → 12) raises the case; the old clock stays superseded."""
    from service.casework import apply_assessment, plan_lookup

    story = ("今天凌晨3时许，示例市示例区长安路与和平街交叉口，一辆满载砂石的重型货车侧翻，压中路边一辆面包车，"
             "事故造成{n}人死亡。示例区人民政府已启动应急预案，交警、消防和医护人员正在现场处置，事故原因正在调查中。")
    feed = ReplayFeed([ReplayItem("u-1", "示例区长安路一货车侧翻 致2人死亡", story.format(n=2), 0, lag_s=60)])
    server = ReplayServer(feed).start()
    try:
        context = make_context(tmp_path, db_url, server.feed_url, hook.port)
        classifier = jobs.build_classifier(context)
        jobs.poll_source(context, "news")
        now = datetime.now(UTC)
        jobs.classify_pending(context, classifier, now)
    finally:
        server.stop()
    with context.session() as session:
        [gov] = CaseRepository(session).list(unit_ids=["shili-gov"])
    assert gov.trigger is Trigger.GENERAL
    update = classifier.assess("u-2", "长安路货车侧翻事故死亡人数升至12人", story.format(n=12))
    plan_for = plan_lookup(context.plans, {}, "unit_default")
    later = now + timedelta(minutes=20)
    with context.session() as session:
        event = ItemRepository(session).get_event(gov.event_id)
        changed = apply_assessment(session, event, update, plan_for, later)
        assert {c.unit_id for c in changed} >= {"shili-gov"}
        # The same assessment again changes nothing: no clock restarts.
        assert apply_assessment(session, event, update, plan_for, later + timedelta(minutes=1)) == []
        # A later report with lower figures does not lower the grade automatically.
        lower = classifier.assess("u-3", "长安路货车侧翻", story.format(n=2))
        assert apply_assessment(session, event, lower, plan_for, later + timedelta(minutes=2)) == []
    with context.session() as session:
        raised = CaseRepository(session).get(gov.id or 0)
        actions = [e.action for e in AuditRepository(session).for_case(gov.id or 0)]
    assert raised.trigger is Trigger.MAJOR and raised.state is CaseState.NEW
    states = {(c.trigger, c.kind): c for c in raised.clocks}
    facts = states[(Trigger.MAJOR, ClockKind.FACTS)]
    assert facts.state is ClockState.RUNNING
    old = [c for (t, _k), c in states.items() if t is Trigger.GENERAL]
    assert old and all(c.state is ClockState.SUPERSEDED for c in old)
    assert "case_regraded" in actions


def test_recrawling_ten_times_adds_nothing(tmp_path: Path, db_url: str, hook: WebhookServer) -> None:
    from storage.records import ConditionalState
    from storage.repositories.sources import SourceRepository

    feed = ReplayFeed([ACCIDENT, REPRINT, NEUTRAL, COMPLAINT])
    server = ReplayServer(feed).start()
    try:
        context = make_context(tmp_path, db_url, server.feed_url, hook.port)
        assert jobs.poll_source(context, "news").items_new == 4
        with context.session() as session:
            items, events = ItemRepository(session).count(), ItemRepository(session).count_events()
        for _ in range(10):
            with context.session() as session:  # forget the ETag: the whole feed is fetched and parsed again
                SourceRepository(session).set_conditional_state("news", ConditionalState())
            report = jobs.poll_source(context, "news")
            assert report.ok and not report.not_modified
            assert report.items_new == 0 and report.items_seen == 4
    finally:
        server.stop()
    with context.session() as session:
        assert ItemRepository(session).count() == items
        assert ItemRepository(session).count_events() == events


def test_failing_source_backs_off_and_alerts_once(tmp_path: Path, db_url: str, hook: WebhookServer) -> None:
    import socket

    from storage.repositories.sources import SourceRepository

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}/feed.xml"
    context = make_context(tmp_path, db_url, dead, hook.port)
    delays = []
    for _ in range(7):
        now = datetime.now(UTC)
        report = jobs.poll_source(context, "news", now)
        assert not report.ok and report.error and "127.0.0.1" in report.error
        with context.session() as session:
            health = SourceRepository(session).get_health("news")
        delays.append(round((health.next_poll_at - now).total_seconds()) if health.next_poll_at else 0)
    assert delays == sorted(delays) and delays[-1] > delays[0]  # backs off
    assert health.consecutive_failures == 7 and health.health.value in ("failing", "dead")
    assert hook.inbox.event.wait(5)
    alerts = [m["json"] for m in hook.inbox.messages if "信息源告警" in (m["json"] or {}).get("title", "")]
    assert len(alerts) == 1  # raised once per failure streak, not at every poll
    assert "news" in alerts[0]["title"]


def test_article_updated_at_the_same_url_raises_the_case(tmp_path: Path, db_url: str, hook: WebhookServer) -> None:
    """A report updated in place (same link, deaths 2 → 12) is stored as a revision of the same event."""
    story = "今天凌晨，示例市示例区长安路一辆货车侧翻压中面包车，事故造成{n}人死亡，事故原因正在调查中。"
    feed = ReplayFeed([ReplayItem("u-1", "示例区长安路一货车侧翻 致2人死亡", story.format(n=2), 0, lag_s=60)])
    server = ReplayServer(feed).start()
    try:
        context = make_context(tmp_path, db_url, server.feed_url, hook.port)
        classifier = jobs.build_classifier(context)
        jobs.poll_source(context, "news")
        jobs.classify_pending(context, classifier, datetime.now(UTC))
        with context.session() as session:
            [before] = CaseRepository(session).list(unit_ids=["shili-gov"])
        assert before.trigger is Trigger.GENERAL
        feed.add_now(ReplayItem("u-1", "示例区长安路货车侧翻事故死亡人数升至12人", story.format(n=12), 0))
        report = jobs.poll_source(context, "news")
        assert report.items_new == 1
        again = jobs.poll_source(context, "news")  # the same revision again is nothing new
        assert again.items_new == 0
        jobs.classify_pending(context, classifier, datetime.now(UTC))
    finally:
        server.stop()
    with context.session() as session:
        items = ItemRepository(session)
        assert items.count() == 2 and items.count_events() == 1
        [after] = CaseRepository(session).list(unit_ids=["shili-gov"])
        revision = [i for i in items.for_event(before.event_id) if "revision" in i.flags]
    assert after.id == before.id and after.trigger is Trigger.MAJOR
    assert len(revision) == 1 and revision[0].canonical_url.endswith(f"#rev-{revision[0].content_hash[:12]}")


def test_revisions_per_url_are_capped(tmp_path: Path, db_url: str, caplog: pytest.LogCaptureFixture) -> None:
    """A page that changes at every fetch (a live counter, say) keeps at most max_revisions_per_url versions."""
    from crawlers.items import make_item
    from crawlers.types import FetchOutcome

    config_file = tmp_path / "yuqing.toml"
    config_file.write_text(
        '[settings.crawl]\nmax_revisions_per_url = 3\n\n[[unit]]\nid = "shili-gov"\nname = "示例市示例区人民政府"\n'
        'jurisdiction = "示例市示例区"\n\n[[source]]\nid = "news"\nname = "示例新闻网"\n'
        'url = "http://127.0.0.1:9/feed.xml"\n',
        encoding="utf-8",
    )
    context = AppContext(load_config(config_file, env={"YUQING_DATABASE_URL": db_url}))
    with context.session() as session:
        sync_config(session, context.config)
    now = datetime.now(UTC)

    def poll(url: str, n: int) -> None:
        page = make_item(source_id="news", url=url, title="示例区防汛直播",
                         text=f"{url} 示例区防汛实时通报：第{n}次更新，累计转移群众{n * 100}人。",
                         fetched_at=now + timedelta(minutes=n))
        outcome = FetchOutcome(source_id="news", started_at=now, finished_at=now, ok=True, items=(page,))
        jobs.store_outcome(context, outcome, now + timedelta(minutes=n))

    # "_" is a LIKE wildcard: the other page's revisions must not count against live_a_b.html.
    live, other = "http://127.0.0.1/live_a_b.html", "http://127.0.0.1/liveXaYb.html"
    for n in range(3):
        poll(other, n)
    for n in range(6):
        poll(live, n)
    with context.session() as session:
        items = ItemRepository(session)
        assert items.count_revisions(other) == 2
        assert items.count_revisions(live) == 3
        assert items.count() == (1 + 2) + (1 + 3)
    assert any("不再另存新的修订" in r.getMessage() for r in caplog.records)
    context.dispose()


def test_duplicate_case_merged_by_cli_and_later_reprints_join_the_earlier_event(
    tmp_path: Path, db_url: str, hook: WebhookServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two reports of one accident worded too differently to fold: staff merge the later case into the
    earlier one; the next reprint of the later report then joins the earlier case's event, no new case."""
    from service.cli import main

    first = ("今天下午3时许，示例市示例区和平街一处在建工地发生塔吊倒塌事故，事故已造成11人死亡、6人受伤。"
             "示例区人民政府已成立事故处置工作组，全力开展搜救和伤员救治工作，事故原因正在调查中。")
    second = ("记者从示例区应急部门获悉，和平街建筑工地塔吊倒塌后，现场搜救持续进行，截至目前共有11名工人遇难，"
              "另有6人在医院接受治疗。当地已对全区在建工地起重机械开展安全排查。")
    feed = ReplayFeed([
        ReplayItem("a", "示例区和平街工地塔吊倒塌 11人遇难", first, 0),
        ReplayItem("b", "示例区塔吊倒塌事故搜救持续 遇难人数11人", second, 60),
    ])
    server = ReplayServer(feed).start()
    try:
        context = make_context(tmp_path, db_url, server.feed_url, hook.port)
        classifier = jobs.build_classifier(context)
        jobs.poll_source(context, "news")
        jobs.classify_pending(context, classifier, datetime.now(UTC))
        feed.add_now(ReplayItem("b", "示例区塔吊倒塌事故搜救持续 遇难人数11人", second, 0))
        jobs.poll_source(context, "news")
        jobs.classify_pending(context, classifier, datetime.now(UTC))
        with context.session() as session:
            earlier, later = sorted(CaseRepository(session).list(unit_ids=["shili-gov"]), key=lambda c: c.opened_at)
        assert earlier.event_id != later.event_id and later.state is CaseState.NEW

        monkeypatch.setenv("YUQING_DATABASE_URL", db_url)
        monkeypatch.delenv("YUQING_CONFIG", raising=False)
        config = str(tmp_path / "yuqing.toml")
        assert main(["--config", config, "case", "merge", str(earlier.id), "--into", str(later.id)]) == 1
        assert "较晚开启的处置单并入较早开启的处置单" in capsys.readouterr().err
        assert main(["--config", config, "case", "merge", str(later.id), "--into", str(earlier.id),
                     "--actor", "值班员甲"]) == 0
        assert f"已作为重复并入处置单 {earlier.id}" in capsys.readouterr().out

        # A reprint of the later report under another headline arrives afterwards.
        feed.add_now(ReplayItem("c", "转载：示例区塔吊倒塌事故搜救持续", second, 0))
        jobs.poll_source(context, "news")
        jobs.classify_pending(context, classifier, datetime.now(UTC))
    finally:
        server.stop()
    with context.session() as session:
        cases = CaseRepository(session)
        gov = {c.id: c for c in cases.list(unit_ids=["shili-gov"])}
        items = ItemRepository(session)
        survivor_items = items.for_event(earlier.event_id)
        audit = AuditRepository(session).for_case(later.id or 0)
    assert set(gov) == {earlier.id, later.id}  # no third case for the reprint
    assert gov[later.id].state is CaseState.DISMISSED
    assert gov[later.id].dismiss_reason == f"重复：已并入处置单 #{earlier.id}"
    assert gov[earlier.id].state is CaseState.NEW and gov[earlier.id].clocks == earlier.clocks
    assert len(survivor_items) == 3  # both reports and the reprint
    assert {e.action for e in audit} >= {"case_dismissed", "clock_superseded"}
    assert all(e.actor == "值班员甲" for e in audit if e.action == "case_dismissed")
    context.dispose()
