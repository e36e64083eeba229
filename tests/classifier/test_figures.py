"""Figures read from text: forms, updates, 重伤 vs 受伤, poisoning, loss, magnitude."""

from __future__ import annotations

import pytest

from classifier.figures import extract_figures
from classifier.normalize import normalize


def fig(text: str):  # type: ignore[no-untyped-def]
    return extract_figures(normalize(text))


def test_updated_count_takes_latest() -> None:
    f = fig("事故已造成2人死亡。据最新消息，目前死亡人数已上升至12人。")
    assert f.deaths == 12


def test_subset_is_not_an_update() -> None:
    assert fig("事故造成3人死亡，其中2人当场死亡").deaths == 3


@pytest.mark.parametrize(
    ("text", "deaths", "injuries"),
    [
        ("造成3死5伤", 3, 5),
        ("致2人死亡、8人受伤", 2, 8),
        ("事故造成三十二人死亡，十余人受伤", 32, 10),
        ("两人受伤、一人死亡", 1, 2),
        ("死亡5人，受伤18人", 5, 18),
        ("3名工人不幸遇难", 3, None),
        ("造成５人死亡", 5, None),
    ],
)
def test_death_and_injury_forms(text: str, deaths: int | None, injuries: int | None) -> None:
    f = fig(text)
    assert f.deaths == deaths
    assert f.injuries == injuries


def test_serious_vs_plain_injuries() -> None:
    f = fig("事故造成5人受伤，其中2人重伤")
    assert f.injuries == 5 and f.serious_injuries == 2
    g = fig("12人受伤")
    assert g.injuries == 12 and g.serious_injuries is None


def test_missing_counted_apart() -> None:
    f = fig("事故已致3人遇难，仍有2人失联")
    assert (f.deaths, f.missing) == (3, 2)
    g = fig("事故造成1人死亡2人失踪")
    assert (g.deaths, g.missing) == (1, 2)


def test_acute_poisoning_is_serious_injury_outside_meals() -> None:
    f = fig("化工厂泄漏致5人急性中毒")
    assert f.serious_injuries == 5 and f.poisoned is None


def test_food_poisoning_count() -> None:
    f = fig("某小学80余名学生午餐后出现食物中毒症状，中毒人数已升至120人")
    assert f.poisoned == 120
    g = fig("共有上百人出现呕吐、腹泻等疑似食物中毒症状")
    assert g.poisoned == 100 and "poisoned" in g.approximate


@pytest.mark.parametrize(
    ("text", "yuan"),
    [("直接经济损失约1200万元", 12_000_000), ("直接经济损失1.5亿元", 150_000_000), ("经济损失5000多万元", 50_000_000)],
)
def test_economic_loss(text: str, yuan: float) -> None:
    assert fig(text).economic_loss_yuan == yuan


@pytest.mark.parametrize(("text", "mag"), [("四川发生5.8级地震", 5.8), ("震级M6.1", 6.1), ("里氏4.2级", 4.2)])
def test_magnitude(text: str, mag: float) -> None:
    assert fig(text).magnitude == mag


@pytest.mark.parametrize("text", ["目前无人员伤亡", "暂无伤亡报告", "未造成人员伤亡", "暂未接到人员伤亡报告"])
def test_no_casualties(text: str) -> None:
    f = fig(text)
    assert f.no_casualties and f.deaths is None


def test_traditional_input() -> None:
    f = fig("事故已造成三人死亡、五人受傷，另有兩人失蹤")
    assert (f.deaths, f.injuries, f.missing) == (3, 5, 2)


def test_nothing_to_read() -> None:
    f = fig("示例区召开安全生产工作会议")
    assert f.deaths is None and f.injuries is None and not f.no_casualties
