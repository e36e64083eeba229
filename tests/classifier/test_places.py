"""Places: the hierarchy, roads, ambiguity, abroad and HK/MO/TW, jurisdictions."""

from __future__ import annotations

import pytest

from classifier.errors import JurisdictionError
from classifier.places import resolve, resolve_jurisdiction, within


def test_county_resolves_up_the_hierarchy() -> None:
    r = resolve("肥西县一工厂发生火灾")
    (p,) = r.places
    assert (p.province, p.city, p.county, p.adcode) == ("安徽省", "合肥市", "肥西县", "340123")
    assert within(p, resolve_jurisdiction("合肥市"))
    assert within(p, resolve_jurisdiction("安徽省"))
    assert not within(p, resolve_jurisdiction("南京市"))


def test_road_section_resolves_to_county_city() -> None:
    (p,) = resolve("104国道温岭段发生交通事故").places
    assert p.county == "温岭市" and p.city == "台州市" and p.province == "浙江省"


def test_ancestors_collapse_into_most_specific() -> None:
    (p,) = resolve("安徽省合肥市肥西县发生车祸").places
    assert p.county == "肥西县"


def test_ambiguous_name_left_unresolved_with_reason() -> None:
    r = resolve("朝阳区一餐馆起火")
    assert r.places == ()
    assert len(r.unresolved) == 1
    assert "北京市朝阳区" in r.unresolved[0].note and "长春市朝阳区" in r.unresolved[0].note


@pytest.mark.parametrize(
    ("text", "adcode"),
    [("长春市朝阳区一餐馆起火", "220104"), ("北京朝阳区一餐馆起火", "110105"), ("吉林省长春市消息，朝阳区一餐馆起火", "220104")],
)
def test_ambiguous_name_resolved_by_context(text: str, adcode: str) -> None:
    r = resolve(text)
    assert adcode in {p.adcode for p in r.places}
    assert not r.unresolved


def test_municipality_district_city_is_municipality() -> None:
    (p,) = resolve("北京市朝阳区").places
    assert (p.province, p.city, p.county) == ("北京市", "北京市", "朝阳区")


def test_abroad() -> None:
    r = resolve("中国游客在泰国遭遇车祸")
    assert r.abroad
    assert r.places[0].abroad and r.places[0].mention == "泰国"


def test_domestic_plus_foreign_is_not_abroad() -> None:
    assert not resolve("合肥市代表团访问日本").abroad


@pytest.mark.parametrize(("text", "region"), [("香港九龙一大厦起火", "香港"), ("台北发生地震", "台湾"), ("澳门一酒店", "澳门")])
def test_hk_mo_tw_marked(text: str, region: str) -> None:
    r = resolve(text)
    assert not r.abroad
    assert r.places[0].region == region


def test_street_name_is_not_a_place() -> None:
    assert resolve("中山路上发生车祸").places == ()


def test_jurisdiction_by_code_and_name() -> None:
    j = resolve_jurisdiction("340123")
    assert j.place is not None and j.place.county == "肥西县" and not j.textual
    j2 = resolve_jurisdiction("340123000000")
    assert j2.division == j.division


def test_jurisdiction_not_in_gazetteer_is_textual() -> None:
    j = resolve_jurisdiction("示例市示例区")
    assert j.place is None and j.textual
    assert j.names == ("示例市", "示例区")
    assert "不在区划库" in j.reason


def test_jurisdiction_below_gazetteer_depth() -> None:
    j = resolve_jurisdiction("合肥市肥西县上派镇")
    assert j.place is not None and j.place.county == "肥西县"
    assert j.names == ("上派镇",) and j.textual


def test_ambiguous_jurisdiction_refused() -> None:
    with pytest.raises(JurisdictionError, match="歧义"):
        resolve_jurisdiction("朝阳区")
    with pytest.raises(JurisdictionError):
        resolve_jurisdiction("999999")
