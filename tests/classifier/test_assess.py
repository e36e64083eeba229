"""End to end: one item in, one assessment out."""

from __future__ import annotations

from classifier.assess import Classifier
from classifier.types import Category, Grade


def test_traditional_input_end_to_end(classifier: Classifier) -> None:
    a = classifier.assess("t", "肥西縣發生嚴重車禍", "事故已造成三人死亡、五人受傷。區總工會表示關注。")
    assert a.category is Category.TRAFFIC
    assert a.figures.deaths == 3
    assert a.severity.grade is Grade.LARGE
    assert "hefei-gov" in {u.unit for u in a.units}


def test_twelve_injured_alone_is_not_large(classifier: Classifier) -> None:
    a = classifier.assess("i", "示例区一公交车追尾", "事故造成12人受伤，伤者已送医。")
    assert a.severity.grade is Grade.GENERAL
    assert "不计入分级" in a.severity.basis


def test_food_poisoning_item(classifier: Classifier) -> None:
    a = classifier.assess("f", "肥西县一学校发生食物中毒", "该校120名学生午餐后出现呕吐、腹泻等症状，无死亡病例。")
    assert a.category is Category.FOOD_POISONING
    assert a.severity.grade is Grade.LARGE


def test_earthquake_item(classifier: Classifier) -> None:
    a = classifier.assess("q", "四川发生5.8级地震", "震源深度10千米，暂无人员伤亡报告。")
    assert a.category is Category.DISASTER
    assert a.figures.magnitude == 5.8
    assert a.severity.grade is Grade.LARGE


def test_neutral_publicity_needs_no_response(classifier: Classifier) -> None:
    a = classifier.assess("p", "示例区召开学习会议", "示例区召开专题学习会议，部署下阶段工作。")
    assert not a.severity.needs_response
    assert a.severity.grade is None


def test_complaint_needs_response(classifier: Classifier) -> None:
    a = classifier.assess("c", "示例区一小区停水三天无人管", "业主多次投诉，物业推诿，希望有关部门尽快解决。")
    assert a.category is Category.COMPLAINT
    assert a.severity.needs_response and a.severity.grade is None


def test_rumour(classifier: Classifier) -> None:
    a = classifier.assess("r", "网传示例区一学校发生踩踏系谣言", "示例区教育局辟谣：网传信息不实。")
    assert a.category is Category.RUMOUR
    assert a.severity.needs_response


def test_rules_only_says_so() -> None:
    c = Classifier(())
    a = c.assess("e", "", "")
    assert "rules-only" in a.model_version
    assert a.units == () and a.category is Category.OTHER and a.severity.grade is None


def test_broken_model_dir_falls_back_to_rules(tmp_path) -> None:  # type: ignore[no-untyped-def]
    c = Classifier((), model_dir=tmp_path)
    assert "rules-only" in c.model_version and "模型加载失败" in c.model_version
