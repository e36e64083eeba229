"""Grading tables: every boundary, food poisoning, earthquakes, notes and validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from classifier.errors import DataFileError
from classifier.grading import GRADING_FILE, grade, load_tables
from classifier.types import Category, Figures, Grade

T = Category.TRAFFIC


@pytest.mark.parametrize(
    ("deaths", "expected"),
    [(1, Grade.GENERAL), (2, Grade.GENERAL), (3, Grade.LARGE), (9, Grade.LARGE), (10, Grade.MAJOR),
     (29, Grade.MAJOR), (30, Grade.EXTRAORDINARY), (31, Grade.EXTRAORDINARY)],
)
def test_accident_deaths_boundaries(deaths: int, expected: Grade) -> None:
    assert grade(T, Figures(deaths=deaths)).grade is expected


def test_missing_count_with_dead() -> None:
    r = grade(Category.FIRE, Figures(deaths=2, missing=1))
    assert r.grade is Grade.LARGE
    assert "含失踪" in r.basis


@pytest.mark.parametrize(
    ("serious", "expected"),
    [(9, Grade.GENERAL), (10, Grade.LARGE), (49, Grade.LARGE), (50, Grade.MAJOR), (99, Grade.MAJOR), (100, Grade.EXTRAORDINARY)],
)
def test_serious_injury_boundaries(serious: int, expected: Grade) -> None:
    assert grade(Category.EXPLOSION, Figures(serious_injuries=serious)).grade is expected


@pytest.mark.parametrize(
    ("loss", "expected"),
    [(9_999_999, Grade.GENERAL), (10_000_000, Grade.LARGE), (49_999_999, Grade.LARGE), (50_000_000, Grade.MAJOR),
     (99_999_999, Grade.MAJOR), (100_000_000, Grade.EXTRAORDINARY)],
)
def test_loss_boundaries(loss: float, expected: Grade) -> None:
    assert grade(Category.COLLAPSE, Figures(economic_loss_yuan=loss)).grade is expected


def test_highest_criterion_wins_and_basis() -> None:
    r = grade(T, Figures(deaths=5, injuries=18, serious_injuries=60))
    assert r.grade is Grade.MAJOR
    assert "重伤60人 → 重大" in r.basis
    r2 = grade(T, Figures(deaths=5, injuries=18))
    assert r2.basis.startswith("死亡5人 → 较大 (3–9人)")


def test_plain_injuries_never_raise() -> None:
    r = grade(T, Figures(injuries=12))
    assert r.grade is Grade.GENERAL
    assert "受伤12人不计入分级" in r.basis


def test_no_casualties_is_general_until_figures() -> None:
    assert grade(T, Figures(no_casualties=True)).grade is Grade.GENERAL
    assert grade(T, Figures(no_casualties=True, deaths=4)).grade is Grade.LARGE


def test_accident_without_figures_is_lowest_grade_said_so() -> None:
    r = grade(T, Figures())
    assert r.grade is Grade.GENERAL and "待数字更新" in r.basis


def test_no_table_gives_none() -> None:
    assert grade(Category.COMPLAINT, Figures(deaths=3)).grade is None
    assert grade(Category.OTHER, Figures(deaths=3)).grade is None


def test_other_category_accident_words_use_accident_table() -> None:
    r = grade(Category.OTHER, Figures(missing=13), text="煤矿发生透水事故，13人被困失联")
    assert r.grade is Grade.MAJOR and r.table == "accident"


@pytest.mark.parametrize(
    ("poisoned", "deaths", "expected", "note"),
    [(12, None, Grade.GENERAL, "低于报告下限"), (29, None, Grade.GENERAL, "低于报告下限"), (30, None, Grade.GENERAL, "30–100"),
     (99, None, Grade.GENERAL, ""), (100, None, Grade.GENERAL, ""), (101, None, Grade.LARGE, "超过100"),
     (20, 1, Grade.LARGE, "死亡病例"), (101, 1, Grade.MAJOR, "并出现死亡"), (5, 10, Grade.MAJOR, "死亡10人以上")],
)
def test_food_poisoning(poisoned: int, deaths: int | None, expected: Grade, note: str) -> None:
    r = grade(Category.FOOD_POISONING, Figures(poisoned=poisoned, deaths=deaths))
    assert r.grade is expected
    assert note in r.basis


@pytest.mark.parametrize(
    ("mag", "area", "expected"),
    [(3.9, "populated", Grade.GENERAL), (4.0, "populated", Grade.GENERAL), (4.9, "populated", Grade.GENERAL),
     (5.0, "populated", Grade.LARGE), (5.9, "populated", Grade.LARGE), (6.0, "populated", Grade.MAJOR),
     (6.9, "populated", Grade.MAJOR), (7.0, "populated", Grade.EXTRAORDINARY), (4.0, "dense", Grade.LARGE),
     (5.0, "dense", Grade.MAJOR), (6.0, "dense", Grade.EXTRAORDINARY)],
)
def test_earthquake_magnitude(mag: float, area: str, expected: Grade) -> None:
    assert grade(Category.DISASTER, Figures(magnitude=mag), area=area).grade is expected


@pytest.mark.parametrize(
    ("deaths", "expected"),
    [(1, Grade.GENERAL), (9, Grade.GENERAL), (10, Grade.LARGE), (49, Grade.LARGE), (50, Grade.MAJOR),
     (299, Grade.MAJOR), (300, Grade.EXTRAORDINARY)],
)
def test_earthquake_deaths(deaths: int, expected: Grade) -> None:
    assert grade(Category.DISASTER, Figures(deaths=deaths), mentions_quake=True).grade is expected


def test_quake_below_threshold_said_so() -> None:
    r = grade(Category.DISASTER, Figures(magnitude=3.2))
    assert r.grade is Grade.GENERAL and "低于一般地震下限" in r.basis


def test_flood_without_quake_has_no_table() -> None:
    assert grade(Category.DISASTER, Figures(deaths=3)).grade is None


def test_heavy_casualties() -> None:
    assert grade(T, Figures(deaths=10)).heavy_casualties
    assert not grade(T, Figures(deaths=9)).heavy_casualties
    assert grade(Category.COMPLAINT, Figures(deaths=12)).heavy_casualties


def test_every_table_has_citation() -> None:
    tables = load_tables(GRADING_FILE)
    assert {t.id for t in tables.tables} == {"accident", "food_poisoning", "earthquake"}
    assert all(t.citation for t in tables.tables)


def test_bad_file_names_file_and_key(tmp_path: Path) -> None:
    text = GRADING_FILE.read_text(encoding="utf-8").replace('grade = "较大"\nlabel = "3–9人"', 'grade = "很大"\nlabel = "3–9人"')
    bad = tmp_path / "grading.toml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(DataFileError) as err:
        load_tables(bad)
    assert str(bad) in str(err.value) and "table[0].rule[6].grade" in str(err.value)


def test_inverted_bounds_rejected(tmp_path: Path) -> None:
    text = GRADING_FILE.read_text(encoding="utf-8").replace("min = 3, max = 10", "min = 10, max = 3")
    bad = tmp_path / "g.toml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(DataFileError, match=r"when\[0\]"):
        load_tables(bad)
