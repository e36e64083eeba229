from __future__ import annotations

import pytest

from crawlers.dedup import (
    BANDS,
    MAX_NEAR_DUPLICATE_DISTANCE,
    NEAR_DUPLICATE_DISTANCE,
    NEAR_DUPLICATE_RULE,
    NearDuplicateIndex,
    bands,
    fingerprint_length,
    hamming,
    item_fingerprint,
    item_signature,
    near_duplicate_distance,
    simhash,
)

STORY = (
    "国务院新闻办公室今天上午举行新闻发布会，介绍今年前三季度国民经济运行情况。"
    "国家统计局新闻发言人表示，前三季度国内生产总值同比增长，就业形势总体稳定，"
    "居民消费价格温和上涨，国民经济运行总体平稳、稳中有进。"
)
REPRINT = "来源：示例日报\n" + STORY + "\n责任编辑：王五"
EDITED = STORY.replace("今天上午", "今日上午")
OTHER = (
    "东北地区今冬首场大范围降雪开始，气象部门提醒公众注意出行安全，铁路和公路部门加强了应急准备，"
    "多地中小学调整了上学时间，环卫工人连夜清扫主干道积雪，保障市民出行。"
)


def test_simhash_is_signed_int64_and_stable() -> None:
    fp = simhash(STORY)
    assert -(2**63) <= fp < 2**63
    assert fp == simhash(STORY)
    assert simhash("") == 0


def test_near_duplicates_are_close_and_unrelated_far() -> None:
    assert hamming(simhash(STORY), simhash(REPRINT)) <= NEAR_DUPLICATE_DISTANCE
    assert hamming(simhash(STORY), simhash(EDITED)) <= NEAR_DUPLICATE_DISTANCE + 2
    assert hamming(simhash(STORY), simhash(OTHER)) > 12


def test_fullwidth_and_spacing_do_not_matter() -> None:
    assert simhash("ABC 2024 年") == simhash("ＡＢＣ２０２４年")


def test_hamming_handles_signs() -> None:
    assert hamming(-1, 0) == 64
    assert hamming(5, 5) == 0


def test_bands_split_64_bits() -> None:
    fp = simhash(STORY)
    parts = bands(fp)
    assert len(parts) == BANDS
    width = 64 // BANDS
    assert sum(p << (i * width) for i, p in enumerate(parts)) == fp & ((1 << 64) - 1)
    assert bands(-1, 4) == (0xFFFF,) * 4
    with pytest.raises(ValueError):
        bands(fp, 3)


def test_pigeonhole_guarantee() -> None:
    # Any two fingerprints within the distance share at least one band.
    fp = simhash(STORY) & ((1 << 64) - 1)
    for bits in [(0, 17, 40), (1, 2, 3), (15, 31, 47), (63,)]:
        other = fp
        for b in bits:
            other ^= 1 << b
        assert any(x == y for x, y in zip(bands(fp), bands(other), strict=True))


def test_index_clusters_reprints() -> None:
    idx = NearDuplicateIndex()
    a = idx.add("a", item_fingerprint("标题一", STORY))
    b = idx.add("b", item_fingerprint("完全不同的标题", REPRINT))
    c = idx.add("c", item_fingerprint("天气", OTHER))
    d = idx.add("d", item_fingerprint("标题一", STORY))  # exact copy
    assert a == "a" and b == "a" and c == "c" and d == "a"
    assert len(idx) == 2  # the reprint has the identical fingerprint (source lines are stripped)
    assert idx.nearest(simhash(OTHER)) == ("c", 0)


def test_index_rejects_unsound_distance() -> None:
    with pytest.raises(ValueError):
        NearDuplicateIndex(distance=8, n_bands=4)  # beyond 2 * n_bands - 1 even probing can miss pairs
    with pytest.raises(ValueError):
        NearDuplicateIndex().add("a", 0, distance=8)


# A short complaint (67 characters) and a reprint with one word changed: distance 6, and no band
# of the two fingerprints is equal, so only the one-bit probes find the pair.
SHORT = (
    "市民反映幸福路与光明街交叉口的红绿灯已经坏了三天，早晚高峰车辆拥堵严重，行人过马路非常危险，"
    "希望交警部门尽快派人维修并在路口安排人员疏导交通。"
)
SHORT_EDITED = SHORT.replace("严重", "厉害")
SHORT_OTHERS = (
    "城东新区多个小区近日反映自来水出现浑浊发黄的情况，部分居民家中水龙头流出的水带有明显异味，"
    "物业称已上报供水公司，但至今没有给出原因和处理时间。",
    "春节临近，本市多家大型商超和农贸市场加大了蔬菜肉蛋等生活必需品的储备，市场监管部门也加强了"
    "价格巡查，确保节日期间供应充足、价格总体平稳。",
)


def test_short_edited_reprint_is_beyond_three_and_shares_no_band() -> None:
    a, b = item_fingerprint("t", SHORT), item_fingerprint("t", SHORT_EDITED)
    assert 4 <= hamming(a, b) <= 7
    assert all(x != y for x, y in zip(bands(a), bands(b), strict=True))
    assert fingerprint_length("t", SHORT_EDITED) == item_signature("t", SHORT_EDITED)[1] == 67
    assert near_duplicate_distance(67) >= hamming(a, b)


def test_index_joins_short_edited_reprint_by_length_rule() -> None:
    idx = NearDuplicateIndex(distance=MAX_NEAR_DUPLICATE_DISTANCE)
    limit = near_duplicate_distance(fingerprint_length("t", SHORT_EDITED))
    assert idx.add("orig", item_fingerprint("t", SHORT), limit) == "orig"
    for n, other in enumerate(SHORT_OTHERS):
        fp = item_fingerprint("t", other)
        assert idx.add(f"other{n}", fp, near_duplicate_distance(fingerprint_length("t", other))) == f"other{n}"
    assert idx.add("reprint", item_fingerprint("t", SHORT_EDITED), limit) == "orig"
    # With the fixed distance 3 (or a cap of 3) the reprint stays apart.
    fixed = NearDuplicateIndex()
    fixed.add("orig", item_fingerprint("t", SHORT))
    assert fixed.add("reprint", item_fingerprint("t", SHORT_EDITED), near_duplicate_distance(67, cap=3)) == "reprint"


def test_distance_rule() -> None:
    steps = dict(NEAR_DUPLICATE_RULE)
    assert near_duplicate_distance(0) == NEAR_DUPLICATE_DISTANCE == 3
    assert near_duplicate_distance(39) == 3
    for start, distance in NEAR_DUPLICATE_RULE:
        assert near_duplicate_distance(start) == distance == steps[start]
        assert distance <= MAX_NEAR_DUPLICATE_DISTANCE == 2 * BANDS - 1
    assert near_duplicate_distance(10_000) == NEAR_DUPLICATE_RULE[-1][1]
    assert near_duplicate_distance(80, cap=0) == 0
    assert near_duplicate_distance(80, cap=3) == 3
    assert near_duplicate_distance(20, cap=16) == 3  # a cap never raises the distance


def test_probing_finds_every_pair_within_seven() -> None:
    import random

    rng = random.Random(7)
    idx = NearDuplicateIndex(distance=MAX_NEAR_DUPLICATE_DISTANCE)
    base = rng.getrandbits(64)
    idx.add("base", base)
    for _ in range(200):
        flipped = base
        for bit in rng.sample(range(64), rng.randint(1, 7)):
            flipped ^= 1 << bit
        assert idx.nearest(flipped) == ("base", hamming(base, flipped))
    assert idx.nearest(base ^ 0x7F) == ("base", 7)
    assert idx.nearest(base ^ 0xFF) is None  # distance 8


def test_short_bodies_use_title() -> None:
    assert item_fingerprint("标题甲", "短") != item_fingerprint("标题乙", "短")
    assert item_fingerprint("标题甲", STORY) == item_fingerprint("标题乙", STORY)


def test_figures_guard_keeps_templated_incidents_apart_in_the_index() -> None:
    from crawlers.dedup import NearDuplicateIndex, figures, figures_agree, item_fingerprint

    notice = ("示例区公安交警通报：{a}日{b}时许，示例区长安路第{c}号路段发生一起两车相撞交通事故，造成{d}人死亡、"
              "{e}人受伤，伤者已送医救治，事故原因正在进一步调查中。")
    texts = [notice.format(a=3, b=8, c=12, d=3, e=5), notice.format(a=3, b=8, c=12, d=3, e=6),
             notice.format(a=3, b=8, c=12, d=3, e=5).replace("伤者已送医救治", "伤者均已送医救治")]
    assert figures("", texts[0]) == ("12", "3", "3", "5", "8")
    assert figures("", "事故造成十二人死亡、１８人受伤") == ("18", "十二")  # full-width folded, Chinese numerals kept
    assert not figures_agree("", texts[1], "", texts[0]) and figures_agree("", texts[2], "", texts[0])
    fps = [item_fingerprint("", t) for t in texts]
    guarded, unguarded = NearDuplicateIndex(distance=7), NearDuplicateIndex(distance=7)
    clusters = [guarded.add(i, fp, 7, accept=lambda j, i=i: figures_agree("", texts[i], "", texts[j]))  # type: ignore[misc]
                for i, fp in enumerate(fps)]
    assert clusters == [0, 1, 0]
    assert [unguarded.add(i, fp, 7) for i, fp in enumerate(fps)] == [0, 0, 0]  # what the guard prevents
