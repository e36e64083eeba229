"""Near-duplicate events with the length-dependent distance and one-bit band probes (both backends)."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

import pytest
from sqlalchemy.orm import Session

from crawlers.dedup import BANDS, hamming, item_fingerprint, item_near_distance
from crawlers.types import FetchedItem
from storage.repositories.items import ItemRepository, band_values, to_signed64
from tests.crawlers.test_dedup import SHORT, SHORT_EDITED, SHORT_OTHERS
from tests.storage.factories import T0, item, seed_config


def _text_item(n: int, text: str) -> FetchedItem:
    return item(n, text=text, fingerprint=to_signed64(item_fingerprint(f"标题 {n}", text)))


def test_short_edited_reprint_joins_its_event_across_batches(session: Session) -> None:
    seed_config(session)
    repo = ItemRepository(session)
    orig = repo.add(_text_item(1, SHORT), now=T0, near_distance=item_near_distance, bands=BANDS)
    others = repo.add_many(
        [_text_item(2 + n, t) for n, t in enumerate(SHORT_OTHERS)], now=T0, near_distance=item_near_distance
    )
    session.commit()
    reprint = repo.add(
        _text_item(9, SHORT_EDITED), now=T0 + timedelta(hours=1), near_distance=item_near_distance, bands=BANDS
    )
    session.commit()
    assert 4 <= hamming(item_fingerprint("", SHORT), item_fingerprint("", SHORT_EDITED)) <= 7
    assert reprint.status == "new" and not reprint.new_event and reprint.event_id == orig.event_id
    assert all(o.new_event and o.event_id != orig.event_id for o in others)
    assert repo.get_event(orig.event_id or 0).item_count == 2


def test_short_edited_reprint_joins_inside_one_batch(session: Session) -> None:
    seed_config(session)
    repo = ItemRepository(session)
    results = repo.add_many(
        [_text_item(1, SHORT), _text_item(2, SHORT_OTHERS[0]), _text_item(3, SHORT_EDITED),
         _text_item(4, SHORT_OTHERS[1])],
        now=T0,
        near_distance=item_near_distance,
    )
    session.commit()
    assert [r.new_event for r in results] == [True, True, False, True]
    assert results[2].event_id == results[0].event_id
    assert len({r.event_id for r in results}) == 3


def test_a_cap_keeps_the_fixed_distance(session: Session) -> None:
    seed_config(session)
    repo = ItemRepository(session)
    rule = partial(item_near_distance, cap=3)
    orig = repo.add(_text_item(1, SHORT), now=T0, near_distance=rule)
    reprint = repo.add(_text_item(2, SHORT_EDITED), now=T0, near_distance=rule)
    session.commit()
    assert reprint.new_event and reprint.event_id != orig.event_id


@pytest.mark.parametrize(("flips", "joins"), [((0, 16, 32, 48, 49), True), ((0, 1, 16, 17, 32, 33, 48, 49), False)])
def test_probes_find_distance_up_to_seven(session: Session, flips: tuple[int, ...], joins: bool) -> None:
    seed_config(session)
    repo = ItemRepository(session)
    unsigned = 0xF0F0_1234_5678_9ABC
    moved = unsigned
    for bit in flips:
        moved ^= 1 << bit
    fp, moved = to_signed64(unsigned), to_signed64(moved)
    a = repo.add(item(1, fingerprint=fp), now=T0, near_distance=7)
    session.commit()
    b = repo.add(item(2, fingerprint=moved), now=T0, near_distance=7)
    session.commit()
    # Every band differs, so only the probes find the stored item.
    assert all(x != y for x, y in zip(band_values(fp, 4), band_values(moved, 4), strict=True))
    assert (b.event_id == a.event_id) is joins
    # With an int distance of 3 only equal bands are looked up: a distance-5 item stays apart.
    c = repo.add(item(3, fingerprint=to_signed64(unsigned ^ 0b11111)), now=T0, near_distance=3)
    assert c.new_event


def test_negative_distance_from_a_rule_is_refused(session: Session) -> None:
    seed_config(session)
    with pytest.raises(ValueError):
        ItemRepository(session).add(item(1), now=T0, near_distance=lambda _item: -1)


NOTICE = ("示例区公安交警通报：{a}日{b}时许，示例区长安路第{c}号路段发生一起两车相撞交通事故，造成{d}人死亡、"
          "{e}人受伤，伤者已送医救治，事故原因正在进一步调查中。")


def test_a_templated_notice_of_another_incident_does_not_fold_in(session: Session) -> None:
    """Same template, other figures: a separate incident keeps its own event (and so its own case);
    the same notice reworded a little still joins."""
    from crawlers.dedup import figures_agree

    seed_config(session)
    repo = ItemRepository(session)
    first = NOTICE.format(a=3, b=8, c=12, d=3, e=5)
    other_incident = NOTICE.format(a=3, b=8, c=12, d=3, e=6)
    reworded = first.replace("两车相撞交通事故", "两车相撞的交通事故").replace("伤者已送医救治", "伤者均已送医救治")
    assert hamming(item_fingerprint("", first), item_fingerprint("", other_incident)) == 6
    assert hamming(item_fingerprint("", first), item_fingerprint("", reworded)) == 6

    def add(n: int, text: str, check: bool = True) -> int | None:
        result = repo.add(_text_item(n, text), now=T0, near_distance=item_near_distance, bands=BANDS,
                          loose_join_check=figures_agree if check else None)
        return result.event_id

    original = add(1, first)
    separate = add(2, other_incident)
    assert separate != original  # 6人受伤 is not 5人受伤: another incident
    assert add(3, reworded) == original
    session.commit()
    # Without the check a third such notice would have been folded into one of them.
    assert add(4, NOTICE.format(a=3, b=8, c=12, d=3, e=7), check=False) in {original, separate}
