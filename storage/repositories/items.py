"""Items and events: idempotent inserts and near-duplicate clustering through LSH bands."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, and_, bindparam, delete, func, or_, select, update
from sqlalchemy.orm import Session

from classifier.types import Grade
from crawlers.types import Engagement, FetchedItem
from storage.errors import NotFound
from storage.models import CaseRow, EventRow, ItemBandRow, ItemRow, tbl
from storage.records import AddResult, EventRecord, StoredItem
from storage.repositories._common import (
    bulk_insert_returning,
    chunked,
    dialect_name,
    pg_array,
    tuple_or_empty,
)

MASK64 = (1 << 64) - 1


def to_signed64(value: int) -> int:
    """A 64-bit fingerprint as the signed value a BIGINT column holds."""
    if value < -(1 << 63) or value > MASK64:
        raise ValueError(f"fingerprint out of 64-bit range: {value}")
    value &= MASK64
    return value - (1 << 64) if value >= (1 << 63) else value


def hamming64(a: int, b: int) -> int:
    """Hamming distance of two 64-bit fingerprints given signed or unsigned."""
    return ((a & MASK64) ^ (b & MASK64)).bit_count()


def band_values(fingerprint: int, bands: int) -> list[tuple[int, int]]:
    """Split a 64-bit fingerprint into `bands` (band index, value) pairs; the last band takes the rest.

    Two fingerprints within Hamming distance < bands share at least one band (pigeonhole), so an
    indexed lookup on the bands finds every near-duplicate without comparing pairs.
    """
    if not 1 <= bands <= 64:
        raise ValueError(f"bands must be between 1 and 64, got {bands}")
    unsigned = fingerprint & MASK64
    width = 64 // bands
    out: list[tuple[int, int]] = []
    for index in range(bands):
        shift = index * width
        bits = width if index < bands - 1 else 64 - shift
        value = (unsigned >> shift) & ((1 << bits) - 1)
        out.append((index, to_signed64(value) if bits == 64 else value))
    return out


def stored_item_from_row(row: Any) -> StoredItem:
    """Build a StoredItem from an items row."""
    return StoredItem(
        id=row.id,
        source_id=row.source_id,
        url=row.url,
        canonical_url=row.canonical_url,
        title=row.title,
        text=row.text,
        content_hash=row.content_hash,
        fingerprint=row.fingerprint,
        fetched_at=row.fetched_at,
        first_seen_at=row.first_seen_at,
        published_at=row.published_at,
        author=row.author,
        language=row.language,
        guid=row.guid,
        engagement=Engagement(reposts=row.reposts, comments=row.comments, likes=row.likes),
        flags=tuple_or_empty(row.flags),
        event_id=row.event_id,
        classified_at=row.classified_at,
        classify_error=row.classify_error,
    )


def _event(row: EventRow) -> EventRecord:
    return EventRecord(
        id=row.id,
        title=row.title,
        first_seen_at=row.first_seen_at,
        first_online_at=row.first_online_at,
        occurred_at=row.occurred_at,
        last_item_at=row.last_item_at,
        item_count=row.item_count,
        source_count=row.source_count,
        representative_item_id=row.representative_item_id,
        grade=row.grade,
        category=row.category,
    )


@dataclass(slots=True)
class _Pending:
    index: int
    item: FetchedItem
    item_id: int
    fingerprint: int


class ItemRepository:
    """Stores fetched items once and folds near-duplicates into events."""

    def __init__(self, session: Session) -> None:
        """Bind the repository to a session; the caller commits."""
        self.session = session

    # ---- writes ----

    def add(
        self,
        item: FetchedItem,
        *,
        now: datetime,
        near_distance: int | Callable[[FetchedItem], int] = 3,
        bands: int = 4,
        loose_join_check: JoinCheck | None = None,
    ) -> AddResult:
        """Store one item unless its canonical URL or content hash is known; attach it to an event."""
        return self.add_many(
            [item], now=now, near_distance=near_distance, bands=bands, loose_join_check=loose_join_check
        )[0]

    def add_many(
        self,
        items: Sequence[FetchedItem],
        *,
        now: datetime,
        near_distance: int | Callable[[FetchedItem], int] = 3,
        bands: int = 4,
        loose_join_check: JoinCheck | None = None,
    ) -> list[AddResult]:
        """Store a batch (results in input order); duplicates within the batch or the database are no-ops.

        `bands` must stay the same for the life of a database (stored band values depend on it).
        `near_distance` is the Hamming distance within which a new item joins a stored one's event,
        or a function giving it per item (crawlers.dedup.item_near_distance: by text length).
        Near-duplicates are found reliably up to 2 * bands - 1 (values one bit away in each band are
        probed from a distance of `bands` on). A join to another fingerprint also has to pass
        `loose_join_check(new title, new text, old title, old text)` when given
        (crawlers.dedup.figures_agree: the same numbers on both sides).
        """
        if not items:
            return []
        if not callable(near_distance) and near_distance < 0:
            raise ValueError("near_distance must be >= 0")
        session = self.session
        inserted: dict[tuple[str, str], int] = {}
        # Inserting in key order makes concurrent writers take index locks in the same order, which
        # keeps PostgreSQL from deadlocking when two batches overlap.
        ordered = sorted(items, key=lambda i: (i.canonical_url, i.content_hash))
        table = tbl(ItemRow)
        # Rows skipped by ON CONFLICT (known URL or content hash) simply return nothing.
        for row in bulk_insert_returning(
            session,
            table,
            [self._values(item, now) for item in ordered],
            [table.c.id, table.c.canonical_url, table.c.content_hash],
            on_conflict_do_nothing=True,
        ):
            inserted[(row.canonical_url, row.content_hash)] = row.id

        results: list[AddResult | None] = [None] * len(items)
        pending: list[_Pending] = []
        duplicates: list[int] = []
        for index, item in enumerate(items):
            key = (item.canonical_url, item.content_hash)
            item_id = inserted.pop(key, None)
            if item_id is None:
                duplicates.append(index)
            else:
                pending.append(_Pending(index, item, item_id, to_signed64(item.fingerprint)))

        touched_events = self._cluster(pending, results, near_distance, bands, now, loose_join_check)
        self._refresh_events(touched_events)

        if duplicates:
            found = self._find_existing([items[i] for i in duplicates])
            for index in duplicates:
                item = items[index]
                hit = found.get(("u", item.canonical_url)) or found.get(("h", item.content_hash))
                if hit is None:  # pragma: no cover - a conflicting row is always visible afterwards
                    raise RuntimeError(f"item conflicted but cannot be found: {item.canonical_url}")
                results[index] = AddResult(
                    item_id=hit[0], status="duplicate", event_id=hit[1], new_event=False
                )
        return [r for r in results if r is not None]

    def _values(self, item: FetchedItem, now: datetime) -> dict[str, Any]:
        return {
            "source_id": item.source_id,
            "url": item.url,
            "canonical_url": item.canonical_url,
            "title": item.title,
            "text": item.text,
            "author": item.author,
            "published_at": item.published_at,
            "fetched_at": item.fetched_at,
            "first_seen_at": now,
            "content_hash": item.content_hash,
            "fingerprint": to_signed64(item.fingerprint),
            "language": item.language,
            "guid": item.guid,
            "reposts": item.engagement.reposts,
            "comments": item.engagement.comments,
            "likes": item.engagement.likes,
            "flags": list(item.flags),
            "event_id": None,
            "classified_at": None,
            "classify_error": None,
        }

    def _cluster(
        self,
        pending: list[_Pending],
        results: list[AddResult | None],
        near_distance: int | Callable[[FetchedItem], int],
        bands: int,
        now: datetime,
        loose_join_check: JoinCheck | None = None,
    ) -> set[int]:
        """Give every new item an event: a near-duplicate's, or a new one. Returns touched event ids."""
        if not pending:
            return set()
        session = self.session
        item_bands = {p.item_id: band_values(p.fingerprint, bands) for p in pending}
        limits = {
            p.item_id: near_distance(p.item) if callable(near_distance) else near_distance for p in pending
        }
        if any(limit < 0 for limit in limits.values()):
            raise ValueError("near_distance must be >= 0")
        # The (band, value) keys each item looks up: its own band values, and when its distance is
        # `bands` or more also every value one bit away in each band, which finds every item within
        # 2 * bands - 1 (some band then differs in at most one bit). Stored rows stay as they are.
        item_keys = {
            p.item_id: _lookup_keys(item_bands[p.item_id], probe=limits[p.item_id] >= bands)
            for p in pending
        }
        # Candidates already in the database, one indexed lookup for the whole batch.
        index: dict[tuple[int, int], list[tuple[int, int, int]]] = {}  # band -> (item id, fp, event id)
        by_band: dict[int, set[int]] = {}
        for keys in item_keys.values():
            for band, value in keys:
                by_band.setdefault(band, set()).add(value)
        # One query per band and chunk with `band = ? AND value IN (...)` (PostgreSQL: the values as
        # one array, joined through unnest): both backends walk the (band, value) index for that; a
        # row-value IN over (band, value) pairs made SQLite scan the whole table.
        on_postgres = dialect_name(session) == "postgresql"
        chunk_size = _PG_LOOKUP_CHUNK if on_postgres else _SQLITE_LOOKUP_CHUNK
        for band, values in sorted(by_band.items()):
            for chunk in chunked(sorted(values), chunk_size):
                stmt = _band_lookup_pg(band, chunk) if on_postgres else _band_lookup(band, chunk)
                for row in session.execute(stmt):
                    index.setdefault((row.band, row.value), []).append(
                        (row.id, row.fingerprint, row.event_id)
                    )

        # Joins to another fingerprint must also pass the check, which needs the candidates' texts:
        # stored ones are read in one query, the batch's own are at hand.
        strict = 0
        texts: dict[int, tuple[str, str]] = {p.item_id: (p.item.title, p.item.text) for p in pending}
        if loose_join_check is not None:
            wanted = {
                cand_id
                for p in pending
                if limits[p.item_id] > strict
                for key in item_keys[p.item_id]
                for cand_id, cand_fp, _event in index.get(key, ())
                if strict < hamming64(p.fingerprint, cand_fp) <= limits[p.item_id]
            }
            for ids in chunked(sorted(wanted), 1000):
                for row in session.execute(select(ItemRow.id, ItemRow.title, ItemRow.text).where(ItemRow.id.in_(ids))):
                    texts[row.id] = (row.title, row.text)

        # Decide every item's event in memory first; new events get negative placeholders that the
        # bulk insert below replaces with real ids.
        decided: list[tuple[_Pending, int, bool]] = []
        new_events: list[tuple[int, _Pending]] = []
        for p in pending:
            best: tuple[int, int, int] | None = None  # (distance, item id, event id)
            limit = limits[p.item_id]
            for key in item_keys[p.item_id]:
                for cand_id, cand_fp, cand_event in index.get(key, ()):
                    distance = hamming64(p.fingerprint, cand_fp)
                    if distance > limit or (best is not None and (distance, cand_id) >= best[:2]):
                        continue
                    if distance > strict and loose_join_check is not None and not loose_join_check(
                        p.item.title, p.item.text, *texts[cand_id]
                    ):
                        continue
                    best = (distance, cand_id, cand_event)
            if best is not None:
                event_id, new_event = best[2], False
            else:
                event_id, new_event = -(len(new_events) + 1), True
                new_events.append((event_id, p))
            decided.append((p, event_id, new_event))
            for pair in item_bands[p.item_id]:
                # Items of the same batch see each other through the in-memory index (under their
                # own band values; later items probe it with their lookup keys as above).
                index.setdefault(pair, []).append((p.item_id, p.fingerprint, event_id))

        real = self._insert_events(new_events, now)
        touched: set[int] = set()
        assignments: list[dict[str, Any]] = []
        band_rows: list[dict[str, Any]] = []
        for p, placeholder, new_event in decided:
            event_id = real.get(placeholder, placeholder)
            touched.add(event_id)
            assignments.append({"b_id": p.item_id, "b_event": event_id})
            band_rows.extend({"item_id": p.item_id, "band": b, "value": v} for b, v in item_bands[p.item_id])
            results[p.index] = AddResult(
                item_id=p.item_id, status="new", event_id=event_id, new_event=new_event
            )

        table = tbl(ItemRow)
        session.execute(
            update(table).where(table.c.id == _bind("b_id")).values(event_id=_bind("b_event")),
            assignments,
            execution_options={"synchronize_session": False},
        )
        for rows in chunked(band_rows, 1000):
            session.execute(tbl(ItemBandRow).insert(), rows)
        return touched

    def _insert_events(self, new_events: list[tuple[int, _Pending]], now: datetime) -> dict[int, int]:
        """Insert new events in bulk; map placeholder ids to the real ones."""
        if not new_events:
            return {}
        table = tbl(EventRow)
        rows = [
            {
                "title": p.item.title,
                "first_seen_at": now,
                "first_online_at": p.item.published_at,
                "occurred_at": None,
                "last_item_at": now,
                "item_count": 0,
                "source_count": 0,
                "representative_item_id": p.item_id,
                "grade": None,
                "category": None,
            }
            for _, p in new_events
        ]
        # Rows come back in no guaranteed order; the representative item id tells them apart.
        returned = bulk_insert_returning(
            self.session, table, rows, [table.c.id, table.c.representative_item_id]
        )
        by_item = {int(r[1]): int(r[0]) for r in returned}
        return {placeholder: by_item[p.item_id] for placeholder, p in new_events}

    def _refresh_events(self, event_ids: Iterable[int]) -> None:
        """Recompute counters from the items themselves: correct whatever order writers commit in."""
        ids = sorted(event_ids)
        if not ids:
            return
        session = self.session
        updates: list[dict[str, Any]] = []
        for chunk in chunked(ids, 1000):
            stmt = (
                select(
                    ItemRow.event_id,
                    func.count(ItemRow.id).label("n"),
                    func.count(ItemRow.source_id.distinct()).label("sources"),
                    func.min(ItemRow.published_at).label("first_online"),
                    func.min(ItemRow.first_seen_at).label("first_seen"),
                    func.max(ItemRow.first_seen_at).label("last_item"),
                )
                .where(ItemRow.event_id.in_(chunk))
                .group_by(ItemRow.event_id)
            )
            for row in session.execute(stmt):
                updates.append(
                    {
                        "b_id": row.event_id,
                        "b_n": row.n,
                        "b_sources": row.sources,
                        "b_first_online": row.first_online,
                        "b_first_seen": row.first_seen,
                        "b_last_item": row.last_item,
                    }
                )
        if updates:
            table = tbl(EventRow)
            session.execute(
                update(table)
                .where(table.c.id == _bind("b_id"))
                .values(
                    item_count=_bind("b_n"),
                    source_count=_bind("b_sources"),
                    first_online_at=_bind("b_first_online", table.c.first_online_at.type),
                    first_seen_at=_bind("b_first_seen", table.c.first_seen_at.type),
                    last_item_at=_bind("b_last_item", table.c.last_item_at.type),
                ),
                updates,
            )

    def _find_existing(self, items: Sequence[FetchedItem]) -> dict[tuple[str, str], tuple[int, int | None]]:
        found: dict[tuple[str, str], tuple[int, int | None]] = {}
        urls = sorted({i.canonical_url for i in items})
        hashes = sorted({i.content_hash for i in items})
        for chunk in chunked(urls, 1000):
            for row in self.session.execute(
                select(ItemRow.id, ItemRow.event_id, ItemRow.canonical_url).where(
                    ItemRow.canonical_url.in_(chunk)
                )
            ):
                found[("u", row.canonical_url)] = (row.id, row.event_id)
        for chunk in chunked(hashes, 1000):
            for row in self.session.execute(
                select(ItemRow.id, ItemRow.event_id, ItemRow.content_hash).where(
                    ItemRow.content_hash.in_(chunk)
                )
            ):
                found[("h", row.content_hash)] = (row.id, row.event_id)
        return found

    def mark_classified_many(self, item_ids: Sequence[int], now: datetime) -> None:
        """Take several items off the unclassified queue in one statement per thousand."""
        for chunk in chunked(sorted(item_ids), 1000):
            self.session.execute(
                update(ItemRow).where(ItemRow.id.in_(chunk)).values(classified_at=now, classify_error=None)
            )

    def move_to_event(self, item_id: int, event_id: int) -> None:
        """Put an item into another event (a revised article joins its original's event).

        The event it leaves is deleted if that leaves it empty (it was created for this item and has
        no case yet: classification runs after storing), otherwise its counters are recomputed.
        """
        row = self.session.get(ItemRow, item_id)
        if row is None:
            raise NotFound(f"item {item_id} not found")
        old = row.event_id
        if old == event_id:
            return
        row.event_id = event_id
        self.session.flush()
        touched = {event_id}
        if old is not None:
            remaining = self.session.execute(
                select(func.count(ItemRow.id)).where(ItemRow.event_id == old)
            ).scalar_one()
            if remaining:
                touched.add(old)
            else:
                self.session.execute(delete(EventRow).where(EventRow.id == old))
        self._refresh_events(touched)

    def merge_event(self, from_event: int, into_event: int) -> int:
        """Move every item of `from_event` into `into_event` (a duplicate folded into the event it repeats).

        Later near-duplicates of any of these items then join `into_event`. The surviving event takes
        the more severe grade of the two. The emptied event is deleted unless cases still refer to it
        (duplicates dismissed into the survivor keep theirs); its counters then read zero. Returns how
        many items moved.
        """
        if from_event == into_event:
            return 0
        events = self.get_events([from_event, into_event])
        if from_event not in events or into_event not in events:
            missing = from_event if from_event not in events else into_event
            raise NotFound(f"event {missing} not found")
        moved = self.session.execute(
            update(ItemRow).where(ItemRow.event_id == from_event).values(event_id=into_event)
        ).rowcount  # type: ignore[attr-defined]
        grades = [g for g in (events[from_event].grade, events[into_event].grade) if g]
        if grades:
            self.session.execute(
                update(EventRow).where(EventRow.id == into_event).values(grade=min(grades, key=Grade.level_of))
            )
        self._refresh_events([into_event])
        cases_left = self.session.execute(select(func.count()).where(CaseRow.event_id == from_event)).scalar_one()
        if cases_left:
            self.session.execute(
                update(EventRow).where(EventRow.id == from_event).values(item_count=0, source_count=0)
            )
        else:
            self.session.execute(delete(EventRow).where(EventRow.id == from_event))
        return int(moved)

    def mark_classified(self, item_id: int, now: datetime, error: str | None = None) -> None:
        """Take an item off the unclassified queue (with the error, if classification failed)."""
        self.session.execute(
            update(ItemRow).where(ItemRow.id == item_id).values(classified_at=now, classify_error=error)
        )

    def set_event_assessments(self, changes: dict[int, tuple[str | None, str | None]]) -> None:
        """Record several events' current (grade, category) in one statement."""
        if not changes:
            return
        table = tbl(EventRow)
        self.session.execute(
            update(table).where(table.c.id == _bind("b_id")).values(grade=_bind("b_grade"), category=_bind("b_category")),
            [{"b_id": event_id, "b_grade": grade, "b_category": category} for event_id, (grade, category) in changes.items()],
            execution_options={"synchronize_session": False},
        )

    # ---- reads ----

    def unclassified(self, limit: int = 100) -> list[StoredItem]:
        """The oldest items not classified yet (the classification queue)."""
        rows = self.session.execute(
            select(tbl(ItemRow)).where(ItemRow.classified_at.is_(None)).order_by(ItemRow.id).limit(limit)
        )
        return [stored_item_from_row(r) for r in rows]

    def count_unclassified(self) -> int:
        """Length of the classification queue."""
        return int(
            self.session.execute(select(func.count()).where(ItemRow.classified_at.is_(None))).scalar_one()
        )

    def get(self, item_id: int) -> StoredItem:
        """One item by id."""
        row = self.session.execute(select(tbl(ItemRow)).where(ItemRow.id == item_id)).first()
        if row is None:
            raise NotFound(f"item {item_id} not found")
        return stored_item_from_row(row)

    def find(self, *, canonical_url: str | None = None, content_hash: str | None = None) -> StoredItem | None:
        """An item by canonical URL or content hash, if stored."""
        conds = []
        if canonical_url is not None:
            conds.append(ItemRow.canonical_url == canonical_url)
        if content_hash is not None:
            conds.append(ItemRow.content_hash == content_hash)
        if not conds:
            return None
        row = self.session.execute(select(tbl(ItemRow)).where(or_(*conds)).limit(1)).first()
        return stored_item_from_row(row) if row is not None else None

    def for_event(self, event_id: int) -> list[StoredItem]:
        """Items of an event, first seen first."""
        rows = self.session.execute(
            select(tbl(ItemRow))
            .where(ItemRow.event_id == event_id)
            .order_by(func.coalesce(ItemRow.published_at, ItemRow.first_seen_at), ItemRow.id)
        )
        return [stored_item_from_row(r) for r in rows]

    def get_event(self, event_id: int) -> EventRecord:
        """One event by id."""
        row = self.session.get(EventRow, event_id)
        if row is None:
            raise NotFound(f"event {event_id} not found")
        return _event(row)

    def get_events(self, event_ids: Iterable[int]) -> dict[int, EventRecord]:
        """Several events by id, in one query per thousand."""
        out: dict[int, EventRecord] = {}
        for chunk in chunked(sorted(set(event_ids)), 1000):
            for row in self.session.scalars(select(EventRow).where(EventRow.id.in_(chunk))):
                out[row.id] = _event(row)
        return out

    def count_revisions(self, canonical_url: str) -> int:
        """How many revisions of the article at this URL are stored ("<url>#rev-<hash>")."""
        prefix = f"{canonical_url}#rev-"
        return int(
            self.session.execute(
                select(func.count()).where(ItemRow.canonical_url.startswith(prefix, autoescape=True))
            ).scalar_one()
        )

    def count(self) -> int:
        """Number of stored items."""
        return int(self.session.execute(select(func.count()).select_from(ItemRow)).scalar_one())

    def count_events(self) -> int:
        """Number of events."""
        return int(self.session.execute(select(func.count()).select_from(EventRow)).scalar_one())


# (new title, new text, old title, old text) -> may the new item join the old one's event
JoinCheck = Callable[[str, str, str, str], bool]


def _bind(name: str, type_: Any = None) -> Any:
    return bindparam(name, type_=type_)


# Values per band lookup statement. With one-bit probes a batch of 500 items asks for up to
# 500 * 17 values per band. SQLite binds each value (IN list), PostgreSQL one array parameter, so
# there one statement per band covers a whole batch (stmt_time at 20,000 items: 1.5 s of DB time
# with 10,000 values per statement, 2.0 s with 1,000; 0.8 s before the probes).
_SQLITE_LOOKUP_CHUNK = 1000
_PG_LOOKUP_CHUNK = 10_000


def _lookup_keys(pairs: list[tuple[int, int]], *, probe: bool) -> list[tuple[int, int]]:
    """The (band, value) keys to look up for an item's band values; with probe also the values one bit away."""
    if not probe:
        return pairs
    width = 64 // len(pairs)
    keys: list[tuple[int, int]] = []
    for band, value in pairs:
        bits = width if band < len(pairs) - 1 else 64 - band * width
        unsigned = value & ((1 << bits) - 1)
        keys.append((band, value))
        for bit in range(bits):
            probed = unsigned ^ (1 << bit)
            keys.append((band, to_signed64(probed) if bits == 64 else probed))
    return keys


def _band_lookup(band: int, values: list[int]) -> Any:
    """Items with an event that have one of `values` in `band`: `band = ? AND value IN (...)`."""
    return (
        select(ItemBandRow.band, ItemBandRow.value, ItemRow.id, ItemRow.fingerprint, ItemRow.event_id)
        .join(ItemRow, ItemRow.id == ItemBandRow.item_id)
        .where(ItemBandRow.band == band, ItemBandRow.value.in_(values))
        .where(ItemRow.event_id.is_not(None))
    )


def _band_lookup_pg(band: int, values: list[int]) -> Any:
    """_band_lookup for PostgreSQL: the values (distinct) as one array parameter, joined through unnest.

    One parameter keeps the statement text short and fixed, so psycopg prepares it and PostgreSQL
    soon reuses a generic plan, planned without seeing the array. `value = ANY(:array)` would be
    risky there: a generic plan made while item_bands was small filters every row of the band
    against the array element by element (a custom plan hashes a constant array; a parameter is
    never hashed), 250 ms a query at 20,000 items. Joining the unnested values probes the
    (band, value) index per value, or at worst hashes the values.
    """
    array = pg_array("band_values", BigInteger(), values)
    wanted = func.unnest(array).table_valued("value").render_derived(name="wanted")
    return (
        select(ItemBandRow.band, ItemBandRow.value, ItemRow.id, ItemRow.fingerprint, ItemRow.event_id)
        .select_from(wanted)
        .join(ItemBandRow, and_(ItemBandRow.band == band, ItemBandRow.value == wanted.c.value))
        .join(ItemRow, ItemRow.id == ItemBandRow.item_id)
        .where(ItemRow.event_id.is_not(None))
    )
