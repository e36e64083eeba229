from __future__ import annotations

import pytest

from crawlers.dedup import (
    BANDS,
    NEAR_DUPLICATE_DISTANCE,
    NearDuplicateIndex,
    bands,
    hamming,
    item_fingerprint,
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
        NearDuplicateIndex(distance=4, n_bands=4)


def test_short_bodies_use_title() -> None:
    assert item_fingerprint("标题甲", "短") != item_fingerprint("标题乙", "短")
    assert item_fingerprint("标题甲", STORY) == item_fingerprint("标题乙", STORY)
