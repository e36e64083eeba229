"""Quality gate: per-class F1 floors on the project's labelled development sets (floors only move up)."""

from __future__ import annotations

from pathlib import Path

import pytest

from classifier.assess import Classifier
from classifier.errors import DataFileError
from classifier.evaluation import (
    LABELLED_SETS,
    TASKS,
    check_floors,
    dev_classifier,
    evaluate_devset,
    load_devset,
    load_floors,
)


@pytest.fixture(scope="module")
def dev() -> Classifier:
    c = dev_classifier()
    c.warm()
    return c


@pytest.mark.parametrize("set_name", sorted(LABELLED_SETS))
def test_floors_hold(dev: Classifier, set_name: str) -> None:
    floors = load_floors()[set_name]
    report = evaluate_devset(dev, load_devset(LABELLED_SETS[set_name]))
    failures = check_floors(report, floors)
    assert not failures, "\n".join([*failures, "--- errors ---", *report.errors])


def test_devset_is_substantial_and_covers_every_category() -> None:
    items = load_devset(LABELLED_SETS["devset"])
    assert len(items) >= 150
    from classifier.types import Category

    assert {c.value for c in Category} == {it.category for it in items}
    assert len({it.id for it in items}) == len(items)


def test_every_devset_class_has_a_floor() -> None:
    floors = load_floors()["devset"]
    assert set(floors) == set(TASKS)
    items = load_devset(LABELLED_SETS["devset"])
    assert {it.category for it in items} <= set(floors["category"])


def test_gate_fails_when_quality_drops(dev: Classifier) -> None:
    report = evaluate_devset(dev, load_devset(LABELLED_SETS["holdout"]))
    assert check_floors(report, {"category": {"交通事故": 1.01}})


def test_bad_floor_file_named(tmp_path: Path) -> None:
    bad = tmp_path / "floors.toml"
    bad.write_text('[devset.category]\n"交通事故" = 1.5\n', encoding="utf-8")
    with pytest.raises(DataFileError, match=r"devset\.category\.交通事故"):
        load_floors(bad)
