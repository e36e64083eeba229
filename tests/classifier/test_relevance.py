"""Which units an item concerns, with reasons."""

from __future__ import annotations

from classifier.assess import Classifier
from classifier.types import Assessment


def units_of(a: Assessment) -> dict[str, tuple[str, ...]]:
    return {u.unit: u.reasons for u in a.units}


def test_place_inside_territory(classifier: Classifier) -> None:
    a = classifier.assess("1", "肥西县发生一起交通事故", "一辆货车与客车相撞，造成2人死亡。")
    got = units_of(a)
    assert "地点 肥西县 ⊂ 合肥市" in got["hefei-gov"]
    assert any(r.startswith("职责 交通运输") for r in got["feixi-jtj"])
    assert "shili-gov" not in got


def test_department_needs_duty(classifier: Classifier) -> None:
    a = classifier.assess("2", "肥西县一学校举行运动会", "肥西县某中学举行秋季运动会。")
    got = units_of(a)
    assert "hefei-gov" in got
    assert "feixi-jtj" not in got


def test_alias_hit_with_reason(classifier: Classifier) -> None:
    a = classifier.assess("3", "职工反映欠薪问题", "多名职工向区总工会反映被拖欠工资。")
    got = units_of(a)
    assert "命中别名 区总工会" in got["yongning-zgh"]


def test_leader_and_subordinate_count_as_mentions(classifier: Classifier) -> None:
    a = classifier.assess("4", "", "示例区区长到社区调研")
    assert "命中领导职务 示例区区长" in units_of(a)["shili-gov"]
    b = classifier.assess("5", "", "邕宁区职工服务中心开展送温暖活动")
    assert "命中下属单位 邕宁区职工服务中心" in units_of(b)["yongning-zgh"]


def test_namesake_excluded(classifier: Classifier) -> None:
    a = classifier.assess("6", "长春市朝阳区一小区起火", "长春市朝阳区一居民楼起火，暂无人员伤亡。")
    assert "chaoyang-bj" not in units_of(a)
    b = classifier.assess("7", "北京市朝阳区一小区起火", "北京市朝阳区一居民楼起火，暂无人员伤亡。")
    assert "地点 朝阳区（辖区）" in units_of(b)["chaoyang-bj"]


def test_exclusion_word_masks_only_overlapping_mention(classifier: Classifier) -> None:
    a = classifier.assess("8", "示例县交通运输局召开会议", "示例县交通运输局召开安全生产会议。")
    assert "shili-jtj" not in units_of(a)


def test_fictional_jurisdiction_matched_by_name(classifier: Classifier) -> None:
    a = classifier.assess("9", "示例区一小区道路坑洼无人管", "市民多次投诉无果，希望有关部门尽快修路。")
    got = units_of(a)
    assert any("辖区名称文本匹配" in r for r in got["shili-gov"])
    assert any(r.startswith("职责 道路") for r in got["shili-jtj"])


def test_parent_name_alone_is_not_inside(classifier: Classifier) -> None:
    a = classifier.assess("10", "示例市举行马拉松", "示例市马拉松今日开跑。")
    assert "shili-gov" not in units_of(a)


def test_scores_sorted_and_bounded(classifier: Classifier) -> None:
    a = classifier.assess("11", "合肥市政府回应肥西县车祸", "肥西县发生车祸，合肥市政府回应。")
    scores = [u.score for u in a.units]
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= s <= 1 for s in scores)
    assert a.units[0].unit == "hefei-gov"


def test_abroad_item_concerns_nobody(classifier: Classifier) -> None:
    a = classifier.assess("12", "泰国一旅游大巴侧翻", "泰国一辆旅游大巴侧翻，造成5人死亡。")
    assert a.abroad and not a.units
