"""Import citizen messages with their official replies as cases (for timeliness statistics).

Each line of the file (JSONL, e.g. gov_messages_tipdm2020/replies_2816.jsonl) is one message with
its reply: 留言主题 / 留言详情 / 留言时间 and 答复意见 / 答复时间 (English keys title/text/
published_at/reply/replied_at also work). Every message becomes an item and an event, a case for the
given unit under 其他政务舆情 whose clocks start at the message time, and the reply is recorded as a
网上回应/答复 on 热线/留言板 at the reply time; the case is then closed. Times without a zone are
Asia/Shanghai. Re-importing the same file changes nothing (items are idempotent, cases unique).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from responder.types import CaseState, CaseTimes, Channel, Response, ResponseMethod, Trigger
from service.context import AppContext

SHANGHAI = ZoneInfo("Asia/Shanghai")
SOURCE_ID = "import-replies"
ACTOR = "import:replies"


@dataclass(frozen=True, slots=True)
class RepliesSummary:
    """What an import of replies did."""

    items: int
    cases: int
    responses: int
    rejected: int
    reasons: str


def _field(row: dict[str, Any], *names: str) -> str:
    for name in names:
        value = row.get(name)
        if value is not None and str(value).strip():
            return str(value).strip()
    return ""


def parse_time(text: str) -> datetime:
    """'2019/4/25 9:32:09' or ISO 8601 → aware UTC (naive times are Asia/Shanghai)."""
    text = text.strip().replace("/", "-")
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=SHANGHAI).astimezone(UTC)
        except ValueError:
            continue
    moment = datetime.fromisoformat(text)
    return (moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)).astimezone(UTC)


def import_replies(
    context: AppContext, path: Path, unit_id: str, *, progress: Callable[[int, int], None] | None = None
) -> RepliesSummary:
    """Import messages and replies from a JSONL file as closed cases with their response times."""
    from crawlers.items import make_item
    from crawlers.types import SourceKind, SourceSpec
    from responder.cases import close, open_case, record_response
    from service.casework import attach_case_id
    from storage.repositories.audit import AuditRepository
    from storage.repositories.cases import CaseRepository
    from storage.repositories.items import ItemRepository
    from storage.repositories.sources import SourceRepository

    plan = context.plans[next(u.plan for u in context.config.units() if u.id == unit_id)]
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    rejected: Counter[str] = Counter()
    items = cases_opened = responses = 0
    now = datetime.now(UTC)
    with context.session() as session:
        SourceRepository(session).ensure(
            SourceSpec(id=SOURCE_ID, name="导入：留言与答复", kind=SourceKind.IMPORT, url=str(path.resolve()),
                       enabled=False),
            now=now,
        )
    batch = 200  # lines per transaction: a crash redoes at most one batch, idempotently
    for start in range(0, len(lines), batch):
        with context.session() as session:
            item_repo, case_repo, audit = ItemRepository(session), CaseRepository(session), AuditRepository(session)
            for number in range(start + 1, min(start + batch, len(lines)) + 1):
                line = lines[number - 1]
                if progress is not None:
                    progress(number, len(lines))
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                    title = _field(row, "留言主题", "title")
                    text = _field(row, "留言详情", "text")
                    asked = parse_time(_field(row, "留言时间", "published_at"))
                    reply_text = _field(row, "答复意见", "reply")
                    replied_raw = _field(row, "答复时间", "replied_at")
                    replied = parse_time(replied_raw) if replied_raw else None
                except (json.JSONDecodeError, ValueError, AttributeError) as exc:
                    rejected[type(exc).__name__] += 1
                    continue
                if not (title or text):
                    rejected["empty"] += 1
                    continue
                key = _field(row, "留言编号", "id") or str(number)
                item = make_item(source_id=SOURCE_ID, url="", title=title, text=text, fetched_at=asked,
                                 published_at=asked, author=_field(row, "留言用户", "author"), guid=f"msg-{key}")
                added = item_repo.add(item, now=asked, near_distance=0)
                if added.status == "new":
                    items += 1
                if added.event_id is None or case_repo.find(added.event_id, unit_id) is not None:
                    continue
                times = CaseTimes(occurred_at=None, first_online_at=asked, discovered_at=asked)
                case, entries = open_case(added.event_id, unit_id, title, "投诉/诉求", None, Trigger.OTHER_OPINION,
                                          False, times, plan, asked, actor=ACTOR)
                stored, created = case_repo.open(case)
                if not created:
                    continue
                cases_opened += 1
                audit.append(attach_case_id(entries, stored))
                if replied is not None and replied >= asked:
                    response = case_repo.add_response(
                        stored.id or 0,
                        Response(method=ResponseMethod.ONLINE_REPLY, channel=Channel.HOTLINE, actor=ACTOR,
                                 responded_at=replied, text=reply_text[:2000], recorded_at=replied),
                        now=replied,
                    )
                    answered, more = record_response(stored, response, replied, actor=ACTOR)
                    closed, done = close(answered, replied, actor=ACTOR) if _all_met(answered) else (answered, [])
                    stored = case_repo.save(closed, now=replied)
                    audit.append(attach_case_id(more + done, stored))
                    responses += 1
    reasons = "，".join(f"{reason} {count}" for reason, count in rejected.most_common())
    return RepliesSummary(items, cases_opened, responses, sum(rejected.values()), reasons)


def _all_met(case: Any) -> bool:
    from responder.types import ClockState

    return case.state is CaseState.RESPONDED and all(
        c.state not in (ClockState.RUNNING, ClockState.BREACHED) for c in case.clocks
    )
