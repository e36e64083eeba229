"""Fixtures for the classifier tests: units written for the project (示例 units are fictional)."""

from __future__ import annotations

import pytest

from classifier.assess import Classifier
from classifier.types import UnitKind, UnitProfile

UNITS = (
    UnitProfile(
        id="shili-gov",
        name="示例市示例区人民政府",
        jurisdiction="示例市示例区",
        kind=UnitKind.TERRITORIAL,
        aliases=("示例区人民政府", "示例区政府"),
        leaders=("示例区区长", "示例区委书记"),
    ),
    UnitProfile(
        id="shili-jtj",
        name="示例区交通运输局",
        jurisdiction="示例市示例区",
        aliases=("示例区交通局",),
        duties=("交通运输", "道路", "公交", "出租车", "交通事故"),
        exclude=("示例县交通运输局",),
    ),
    UnitProfile(
        id="hefei-gov",
        name="合肥市人民政府",
        jurisdiction="合肥市",
        kind=UnitKind.TERRITORIAL,
        aliases=("合肥市政府",),
    ),
    UnitProfile(id="feixi-jtj", name="肥西县交通运输局", jurisdiction="340123", duties=("交通运输",)),
    UnitProfile(
        id="yongning-zgh",
        name="南宁市邕宁区总工会",
        jurisdiction="南宁市邕宁区",
        aliases=("邕宁区总工会", "区总工会"),
        duties=("工会",),
        subordinates=("邕宁区职工服务中心",),
        leaders=("邕宁区总工会主席",),
    ),
    UnitProfile(
        id="chaoyang-bj",
        name="北京市朝阳区人民政府",
        jurisdiction="北京市朝阳区",
        kind=UnitKind.TERRITORIAL,
        aliases=("朝阳区政府",),
        exclude=("长春市朝阳区", "长春朝阳区"),
    ),
)


@pytest.fixture(scope="session")
def units() -> tuple[UnitProfile, ...]:
    """The project's test units."""
    return UNITS


@pytest.fixture(scope="session")
def classifier() -> Classifier:
    """A rules-only classifier over the test units (warm once per session)."""
    c = Classifier(UNITS)
    c.warm()
    return c
