"""The pipeline's jobs: plain functions taking ids and `now`, so a scheduler or a worker can run them.

Every stage is idempotent and resumable: an item is stored (its own transaction) before it is
classified; an assessment, its cases, clocks and audit entries are written in one transaction per
item; a notice is claimed (unique key) and committed before it is sent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from classifier.types import Grade
from crawlers.types import FetchOutcome, SourceSpec
from responder.types import Notice
from service.clock import now as clock_now
from service.context import AppContext
from service.logs import ids

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.orm import Session

    from classifier.assess import Classifier
    from classifier.types import Assessment
    from crawlers.types import FetchedItem
    from responder.notify import SendResult
    from responder.types import Plan
    from storage.records import AddResult, EventRecord, StoredItem
    from storage.repositories.items import ItemRepository

log = logging.getLogger("yuqing.jobs")
STORE_CHUNK = 500
CLAIM_BATCH = 500
WRITE_BATCH = 100  # classified items written per transaction
DIGEST_AFTER = 20  # more notices than this for one recipient set in one sweep go out as a digest
DIGEST_LINES = 30


def utcnow() -> datetime:
    """The service clock (service.clock: real UTC, or scaled for end-to-end tests)."""
    return clock_now()


# ---------------------------------------------------------------- collection


@dataclass(frozen=True, slots=True)
class PollReport:
    """What one poll of one source did."""

    source_id: str
    ok: bool
    not_modified: bool = False
    items_new: int = 0
    items_seen: int = 0
    error: str | None = None
    flags: tuple[str, ...] = ()


def fetch_source(spec: SourceSpec, etag: str | None, last_modified: str | None, now: datetime) -> FetchOutcome:
    """Fetch one source by its kind (no storage involved; `yuqing fetch` previews with this too)."""
    from crawlers.source import fetch_source as crawl

    return crawl(spec, now, etag=etag, last_modified=last_modified)


def store_outcome(context: AppContext, outcome: FetchOutcome, now: datetime) -> PollReport:
    """Store a fetch outcome's items idempotently and record the fetch for source health."""
    from functools import partial

    from crawlers.dedup import BANDS, figures_agree, item_near_distance
    from storage.records import HealthPolicy
    from storage.repositories.items import ItemRepository
    from storage.repositories.sources import SourceRepository

    crawl = context.config.file.settings.crawl
    # Join distance per item by its length (crawlers.dedup.NEAR_DUPLICATE_RULE); the setting can only lower it.
    distance = partial(item_near_distance, cap=crawl.near_duplicate_distance)
    new = seen = 0
    # Items are committed in chunks before the fetch is recorded: a crash loses at most one chunk,
    # and since the conditional-GET state is saved last, the next poll fetches the rest again.
    for start in range(0, len(outcome.items), STORE_CHUNK):
        with context.session() as session:
            chunk = outcome.items[start : start + STORE_CHUNK]
            repo = ItemRepository(session)
            results = repo.add_many(chunk, now=now, near_distance=distance, bands=BANDS, loose_join_check=figures_agree)
            revised = _store_revisions(repo, chunk, results, now, distance, crawl.max_revisions_per_url)
            for result in results:
                if result.status == "new":
                    new += 1
                else:
                    seen += 1
            new += revised
            seen -= revised
    with context.session() as session:
        policy = HealthPolicy(
            failing_after=max(1, crawl.alert_after_failures // 2),
            dead_after=crawl.alert_after_failures * 2,
            backoff_factor=crawl.backoff_factor,
            max_backoff_s=float(crawl.backoff_max_s),
        )
        health = SourceRepository(session).record_fetch(outcome, new, seen, policy=policy)
    if not outcome.ok:
        log.warning("采集失败（连续 %d 次）: %s", health.consecutive_failures, outcome.error,
                    extra=ids(source_id=outcome.source_id))
        if health.consecutive_failures >= crawl.alert_after_failures and health.health_alerted_at is None:
            send_source_alert(context, outcome, health.consecutive_failures, now)
    elif new:
        log.info("新条目 %d 条（已见 %d）", new, seen, extra=ids(source_id=outcome.source_id))
    return PollReport(outcome.source_id, outcome.ok, outcome.not_modified, new, seen, outcome.error, outcome.flags)


def _store_revisions(
    repo: ItemRepository,
    items: Sequence[FetchedItem],
    results: Sequence[AddResult],
    now: datetime,
    distance: Callable[[FetchedItem], int],
    max_revisions: int,
) -> int:
    """Store articles that changed at the same URL (e.g. updated casualty figures) as revisions.

    A revision gets the canonical URL plus "#rev-<hash>", the flag "revision", and joins the event of
    the article it revises, so the new figures are classified and can raise the grade. At most
    `max_revisions` are kept per URL (a page that changes at every fetch, e.g. with a live counter,
    must not grow without end); past that, changes are logged and skipped. Returns how many
    revisions were stored.
    """
    from dataclasses import replace

    from crawlers.dedup import BANDS, figures_agree

    stored = 0
    for item, result in zip(items, results, strict=True):
        if result.status != "duplicate" or result.event_id is None:
            continue
        existing = repo.get(result.item_id)
        if existing.content_hash == item.content_hash or existing.canonical_url != item.canonical_url:
            continue  # the same text again, or the same text under another URL
        if repo.find(content_hash=item.content_hash) is not None:
            continue  # this version is stored already
        if repo.count_revisions(item.canonical_url) >= max_revisions:
            log.warning("同一网址的文章已存 %d 个修订版本，不再另存新的修订：%s", max_revisions, item.canonical_url,
                        extra=ids(source_id=item.source_id, item_id=result.item_id))
            continue
        revision = replace(item, canonical_url=f"{item.canonical_url}#rev-{item.content_hash[:12]}",
                           flags=(*item.flags, "revision"))
        [added] = repo.add_many([revision], now=now, near_distance=distance, bands=BANDS,
                                loose_join_check=figures_agree)
        if added.status == "new":
            repo.move_to_event(added.item_id, result.event_id)
            stored += 1
            log.info("同一网址的文章已更新，作为修订版本入库", extra=ids(source_id=item.source_id, item_id=added.item_id))
    return stored


def poll_source(context: AppContext, source_id: str, now: datetime | None = None) -> PollReport:
    """Fetch one configured source (conditional GET) and store what is new."""
    from storage.repositories.sources import SourceRepository

    moment = now or utcnow()
    spec = next((s for s in context.config.sources() if s.id == source_id), None)
    if spec is None:
        return PollReport(source_id, ok=False, error=f"信息源 {source_id!r} 不在配置中")
    with context.session() as session:
        state = SourceRepository(session).conditional_state(source_id)
    try:
        outcome = fetch_source(spec, state.etag, state.last_modified, moment)
    except Exception as exc:  # a crawler bug must become a recorded failure, not a dead job
        log.exception("采集异常", extra=ids(source_id=source_id))
        outcome = FetchOutcome(source_id=source_id, started_at=moment, finished_at=utcnow(), ok=False,
                               error=f"{type(exc).__name__}: {exc}")
    return store_outcome(context, outcome, moment)


def send_source_alert(context: AppContext, outcome: FetchOutcome, failures: int, now: datetime) -> None:
    """Raise a source-health notice once per failure streak (unique key per streak start)."""
    from responder.types import Notice, NoticeKind
    from storage.repositories.sources import SourceRepository

    notice = Notice(
        key=f"source:{outcome.source_id}:failing:{now.strftime('%Y%m%d%H%M%S')}",
        kind=NoticeKind.SOURCE_HEALTH,
        case_id=None,
        clock_id=None,
        unit_id="",
        title=f"【信息源告警】{outcome.source_id} 已连续 {failures} 次采集失败",
        body=f"信息源 {outcome.source_id} 连续 {failures} 次采集失败，最近一次错误：{outcome.error}。"
        "该信息源仍在重试（退避中），请检查地址或站点是否改版。",
        due_at=None,
        created_for=now,
    )
    deliver(context, [notice], now)
    with context.session() as session:
        SourceRepository(session).mark_health_alerted(outcome.source_id, now)


# ---------------------------------------------------------------- classification


@dataclass
class ClassifyReport:
    """What one pass over the classification queue did."""

    items: int = 0
    failed: int = 0
    cases_changed: int = 0
    remaining: int = 0
    case_ids: list[int] = field(default_factory=list)


def build_classifier(context: AppContext) -> Classifier:
    """A classifier for the configured units (the trained model if one exists in model_dir)."""
    from classifier.assess import Classifier

    model_dir = context.config.model_dir
    from classifier.models import MODEL_FILE

    return Classifier(context.config.units(), model_dir if (model_dir / MODEL_FILE).exists() else None)


def classify_pending(
    context: AppContext,
    classifier: Classifier,
    now: datetime | None = None,
    *,
    limit: int = 500,
    clock: Callable[[], datetime] = utcnow,
) -> ClassifyReport:
    """Classify up to `limit` queued items, opening or raising cases.

    Assessing is pure; the writes for up to WRITE_BATCH items share one transaction (a crash rolls the
    batch back and the items stay queued). If opening a case fails for one item (e.g. a working-day
    plan rule that cannot be computed), the batch is redone item by item so only
    that item is marked with its error: loud, not lost.
    """
    from responder.errors import ResponderError
    from service.casework import plan_lookup
    from storage.repositories.items import ItemRepository

    report = ClassifyReport()
    settings = context.config.file.settings
    plan_for = plan_lookup(context.plans, {u.id: u.plan for u in context.config.units()}, settings.default_plan)
    with context.session() as session:
        queue = ItemRepository(session).unclassified(limit)
    assessed: list[tuple[StoredItem, Assessment]] = []
    moment = now or clock()
    for item in queue:
        try:
            assessed.append((item, classifier.assess(str(item.id), item.title, item.text, item.published_at, item.url)))
        except Exception as exc:
            log.exception("研判失败", extra=ids(item_id=item.id))
            with context.session() as session:
                ItemRepository(session).mark_classified(item.id, moment, error=f"{type(exc).__name__}: {exc}")
            report.failed += 1
    for start in range(0, len(assessed), WRITE_BATCH):
        batch = assessed[start : start + WRITE_BATCH]
        moment = now or clock()
        try:
            with context.session() as session:
                _write_batch(session, batch, plan_for, moment, report)
            report.items += len(batch)
        except ResponderError:
            for one in batch:
                try:
                    with context.session() as session:
                        _write_batch(session, [one], plan_for, moment, report)
                    report.items += 1
                except ResponderError as exc:
                    log.error("开单失败: %s", exc, extra=ids(item_id=one[0].id))
                    with context.session() as session:
                        ItemRepository(session).mark_classified(one[0].id, moment, error=str(exc))
                    report.failed += 1
    with context.session() as session:
        report.remaining = ItemRepository(session).count_unclassified()
    return report


def _write_batch(
    session: Session,
    batch: Sequence[tuple[StoredItem, Assessment]],
    plan_for: Callable[[str], Plan],
    moment: datetime,
    report: ClassifyReport,
) -> None:
    """Store a batch's assessments, keep their events' grade and category current, open or raise
    cases, and take the items off the queue, in a handful of statements on the caller's transaction.

    Items are applied in order against an in-memory copy of their events, so several items of one
    event in one batch see each other's grade; the events' changed grades are written once at the end.
    """
    from service.casework import apply_assessment
    from storage.repositories.assessments import AssessmentRepository
    from storage.repositories.items import ItemRepository

    repo = ItemRepository(session)
    events = repo.get_events(item.event_id for item, _a in batch if item.event_id is not None)
    AssessmentRepository(session).save_many([(item.id, assessment) for item, assessment in batch], moment)
    stored_state = {event_id: (event.grade, event.category) for event_id, event in events.items()}
    for item, assessment in batch:
        if item.event_id is None or item.event_id not in events:
            continue
        event = events[item.event_id] = _assessed_event(events[item.event_id], assessment)
        changed = apply_assessment(session, event, assessment, plan_for, moment, item_id=item.id)
        report.cases_changed += len(changed)
        report.case_ids += [c.id for c in changed if c.id is not None]
    repo.set_event_assessments({
        event_id: (event.grade, event.category)
        for event_id, event in events.items()
        if (event.grade, event.category) != stored_state[event_id]
    })
    repo.mark_classified_many([item.id for item, _a in batch], moment)


def _assessed_event(event: EventRecord, assessment: Assessment) -> EventRecord:
    """The event with its grade raised to the assessment's (grades only go up automatically) and its
    category set from the assessment that first graded it (or from the first assessment at all)."""
    from dataclasses import replace

    grade = assessment.severity.grade
    new_grade = grade.value if grade is not None and (event.grade is None or grade.level < Grade.level_of(event.grade)) else event.grade
    new_category = assessment.category.value if new_grade != event.grade or event.category is None else event.category
    if (new_grade, new_category) == (event.grade, event.category):
        return event
    return replace(event, grade=new_grade, category=new_category)


# ---------------------------------------------------------------- deadlines and notices


@dataclass
class SweepReport:
    """What one escalation sweep did."""

    clocks: int = 0
    breached: int = 0
    notices: int = 0
    sent: int = 0
    failed: int = 0
    retried: int = 0
    seconds: float = 0.0


def sweep_deadlines(context: AppContext, now: datetime | None = None) -> SweepReport:
    """Mark breached clocks, work out due warnings and breach notices, and send each exactly once."""
    import time

    from responder.cases import refresh
    from responder.escalation import EscalationPolicy, evaluate
    from responder.types import ClockState
    from service.casework import attach_case_id
    from storage.repositories.audit import AuditRepository
    from storage.repositories.cases import CaseRepository
    from storage.repositories.notices import NoticeRepository
    from storage.repositories.state import StateRepository

    started = time.perf_counter()
    moment = now or utcnow()
    escalation = context.config.file.settings.escalation
    policy = EscalationPolicy.from_config(escalation.warn_fractions, escalation.repeat_minutes)
    report = SweepReport()
    with context.session() as session:
        cases = CaseRepository(session)
        views = cases.sweep_views(moment)
        report.clocks = len(views)
        newly_breached = sorted({v.case_id for v in views if v.state is ClockState.RUNNING and v.due_at < moment})
        audit = AuditRepository(session)
        for case in cases.load(newly_breached):
            refreshed, entries = refresh(case, moment)
            if entries:
                cases.save(refreshed, now=moment)
                audit.append(attach_case_id(entries, refreshed))
                report.breached += sum(1 for e in entries if e.entity == "clock")
        notices = evaluate(views, moment, policy)
        already = NoticeRepository(session).existing_keys([n.key for n in notices])
        fresh = [n for n in notices if n.key not in already]
    report.notices = len(fresh)
    sent, failed = deliver(context, fresh, moment)
    report.sent, report.failed = sent, failed
    report.retried = retry_failed_notices(context, moment)
    report.seconds = time.perf_counter() - started
    with context.session() as session:
        StateRepository(session).set(
            "last_sweep",
            {"at": moment.isoformat(), "clocks": report.clocks, "notices": report.notices,
             "sent": report.sent, "failed": report.failed, "seconds": round(report.seconds, 3)},
            moment,
        )
    return report


def deliver(context: AppContext, notices: list[Notice], now: datetime) -> tuple[int, int]:
    """Claim notices (only one sweep wins each), commit, send, then record results and audit entries.

    Claims and results are written in batches. When more than DIGEST_AFTER notices for one set of
    recipients are due at once (after an outage, or a burst), they go out as one digest message per
    recipient set instead of a flood; each notice is still recorded and audited individually.
    """
    from responder.escalation import notice_audit
    from responder.notify import send
    from storage.repositories.audit import AuditRepository
    from storage.repositories.notices import NoticeRepository

    claimed: list[Notice] = []
    for start in range(0, len(notices), CLAIM_BATCH):
        with context.session() as session:
            repo = NoticeRepository(session)
            # Another sweep that claimed a key first sends it; we don't.
            claimed += [n for n in notices[start : start + CLAIM_BATCH] if repo.claim(n, now)]
    groups: dict[tuple[str, ...], list[Notice]] = {}
    for notice in claimed:
        groups.setdefault(tuple(_urls(context, notice)), []).append(notice)
    results: list[tuple[Notice, bool, str]] = []
    for urls, group in groups.items():
        if not urls:
            # No channel configured: the notice is recorded, logged and shown on the dashboard.
            results += [(n, True, "") for n in group]
        elif len(group) > DIGEST_AFTER:
            ok, error = _send_one(context, _digest(group, now), list(urls), send)
            results += [(n, ok, error) for n in group]
        else:
            for notice in group:
                ok, error = _send_one(context, notice, list(urls), send)
                results.append((notice, ok, error))
    sent = failed = 0
    for start in range(0, len(results), CLAIM_BATCH):
        batch = results[start : start + CLAIM_BATCH]
        with context.session() as session:
            repo = NoticeRepository(session)
            for notice, ok, error in batch:
                if ok:
                    repo.mark_sent(notice.key, now)
                else:
                    repo.mark_failed(notice.key, error, now)
            AuditRepository(session).append([notice_audit(n, ok, error, now) for n, ok, error in batch])
        for notice, ok, error in batch:
            sent, failed = (sent + 1, failed) if ok else (sent, failed + 1)
            if len(results) <= DIGEST_AFTER:
                level = logging.INFO if notice.kind == "warning" else logging.WARNING
                log.log(level, "%s%s", notice.title, "" if ok else f"（发送失败：{error}）",
                        extra=ids(case_id=notice.case_id))
    if len(results) > DIGEST_AFTER:
        log.warning("本次巡检共 %d 条提醒（成功 %d，失败 %d），已合并发送", len(results), sent, failed)
    return sent, failed


def _digest(group: list[Notice], now: datetime) -> Notice:
    """One message that lists many due notices (the most urgent first)."""
    from responder.types import NoticeKind

    ordered = sorted(group, key=lambda n: (n.kind != NoticeKind.BREACH, n.due_at or now))
    lines = [f"{n.title}" for n in ordered[:DIGEST_LINES]]
    if len(ordered) > DIGEST_LINES:
        lines.append(f"……另有 {len(ordered) - DIGEST_LINES} 条，请在值班台查看")
    breaches = sum(1 for n in group if n.kind == NoticeKind.BREACH)
    return Notice(
        key=f"digest:{now.isoformat()}:{len(group)}",
        kind=NoticeKind.BREACH if breaches else NoticeKind.WARNING,
        case_id=None,
        clock_id=None,
        unit_id=group[0].unit_id,
        title=f"【督办汇总】{len(group)} 条时限提醒（其中超时 {breaches} 条）",
        body="\n".join(lines),
        due_at=None,
        created_for=now,
    )


def _urls(context: AppContext, notice: Notice) -> list[str]:
    urls = list(context.config.notify_urls)
    unit = next((u for u in context.config.file.unit if u.id == notice.unit_id), None)
    if unit is not None:
        urls += list(unit.notify_urls)
    return urls


def _send_one(context: AppContext, notice: Notice, urls: list[str], send: Callable[..., SendResult]) -> tuple[bool, str]:
    result = send(notice, urls, timeout=context.config.file.settings.notify.timeout_s)
    return result.ok, result.error


def _send(context: AppContext, notice: Notice, send: Callable[..., SendResult]) -> tuple[bool, str]:
    urls = _urls(context, notice)
    if not urls:
        return True, ""  # no channel configured: the notice is recorded, logged and shown on the dashboard
    return _send_one(context, notice, urls, send)


def retry_failed_notices(context: AppContext, now: datetime) -> int:
    """Send again the notices whose earlier attempts failed (bounded by notify.max_attempts)."""
    from responder.notify import send
    from storage.repositories.notices import NoticeRepository

    max_attempts = context.config.file.settings.notify.max_attempts
    with context.session() as session:
        # Only failed sends are retried. A notice left "pending" by a crash between claim and result
        # may or may not have gone out; it is not resent (a warning is never sent twice). The duty
        # board, the case page and `yuqing status` list it as 状态未知 so staff pass it on by phone.
        due = NoticeRepository(session).failed_for_retry(max_attempts)
    retried = 0
    for record in due:
        ok, error = _send(context, record.notice, send)
        with context.session() as session:
            if ok:
                NoticeRepository(session).mark_sent(record.notice.key, now)
            else:
                NoticeRepository(session).mark_failed(record.notice.key, error, now)
        retried += 1
    return retried

