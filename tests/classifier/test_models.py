"""The duty router: train, save, load, evaluate on a tiny set written for the project."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from classifier import models
from classifier.assess import Classifier
from classifier.errors import ModelError
from classifier.types import UnitProfile

TINY = [
    ("小区门口道路坑洼多年，车辆经过颠簸，希望修路", "交通运输"),
    ("公交线路调整后站台太远，老人出行不便", "交通运输"),
    ("出租车拒载绕路，投诉无人处理", "交通运输"),
    ("路口红绿灯时间太短，行人过马路危险", "交通运输"),
    ("国道货车超载严重，路面被压坏", "交通运输"),
    ("公交车司机开车太猛，乘客摔倒", "交通运输"),
    ("单位拖欠工资三个月，职工讨薪无门", "劳动和社会保障"),
    ("社保断缴无法补缴，养老金受影响", "劳动和社会保障"),
    ("退休人员养老金调整何时到位", "劳动和社会保障"),
    ("农民工工资被包工头拖欠，请求帮助", "劳动和社会保障"),
    ("公司不签劳动合同也不交社保", "劳动和社会保障"),
    ("医保报销比例太低，看病负担重", "劳动和社会保障"),
    ("学校强制学生购买教辅资料", "教育文体"),
    ("幼儿园收费过高，家长负担重", "教育文体"),
    ("教师节前学校变相收礼", "教育文体"),
    ("学生午休时间太短，影响学习", "教育文体"),
    ("小学招生划片不合理，孩子上学远", "教育文体"),
    ("体育馆长期关闭，市民无处锻炼", "教育文体"),
]


def test_train_save_load_round_trip(tmp_path: Path) -> None:
    model = models.train(tmp_path / "m", labels=TINY, use_gov_messages=False, cv_folds=3)
    meta = json.loads((tmp_path / "m" / models.META_FILE).read_text(encoding="utf-8"))
    assert meta["labels"] == ["交通运输", "劳动和社会保障", "教育文体"]
    assert meta["n_items"] == len(TINY)
    assert meta["data_hash"] == models.data_hash(TINY)
    assert {"sklearn", "numpy", "jieba", "python", "format"} <= set(meta["versions"])
    assert "cross_validation" in meta["metrics"]
    loaded = models.load(tmp_path / "m")
    assert loaded.labels == model.labels
    texts = [t for t, _ in TINY]
    assert loaded.predict(texts) == model.predict(texts)
    # The fast scoring path agrees with sklearn's own prediction.
    from classifier.tokenize import Tokenizer

    tk = Tokenizer()
    for text in texts:
        assert loaded.predict_tokens(models.model_tokens(tk, text))[0] == loaded.predict([text], tk)[0]
    report = models.evaluate(loaded, TINY)
    assert report["_macro"]["f1"] > 0.9
    assert set(report) >= {"交通运输", "劳动和社会保障", "教育文体"}


def test_version_mismatch_refused(tmp_path: Path) -> None:
    models.train(tmp_path, labels=TINY, use_gov_messages=False, cv_folds=0)
    meta_path = tmp_path / models.META_FILE
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["versions"]["sklearn"] = "0.0.1"
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelError, match=r"scikit-learn 0\.0\.1"):
        models.load(tmp_path)
    assert models.load(tmp_path, strict_versions=False).labels


def test_missing_model_dir(tmp_path: Path) -> None:
    with pytest.raises(ModelError):
        models.load(tmp_path / "none")


def test_one_class_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelError):
        models.train(tmp_path, labels=TINY[:3], use_gov_messages=False)


def test_model_adds_duty_reason(tmp_path: Path) -> None:
    models.train(tmp_path, labels=TINY, use_gov_messages=False, cv_folds=0)
    unit = UnitProfile(id="hf-edu", name="合肥市教育局", jurisdiction="合肥市", duties=("教育文体",))
    c = Classifier([unit], model_dir=tmp_path)
    a = c.assess("m", "合肥市一小学强制学生购买教辅", "家长反映学校强制购买教辅资料，负担重。")
    assert a.model_version.startswith("router-v1-")
    assert "route" in a.extra
    (rel,) = a.units
    assert any(r.startswith("模型 职责 教育文体") or r.startswith("职责 教育文体") for r in rel.reasons)


def test_labelled_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "labels.jsonl"
    rows = [{"title": "公交站台被撤", "text": "老人出行难", "label": "交通运输"}, {"text": "拖欠工资", "label": "劳动和社会保障"}]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n\n", encoding="utf-8")
    assert models.load_labelled_jsonl(path) == [("公交站台被撤。老人出行难", "交通运输"), ("拖欠工资", "劳动和社会保障")]
    path.write_text('{"text": "x"}\n', encoding="utf-8")
    with pytest.raises(ModelError, match="第1行"):
        models.load_labelled_jsonl(path)


SENT = [
    ("太气人了，投诉半年没人管", "负面"), ("服务太差，非常失望", "负面"), ("又停水了，烦死了", "负面"),
    ("物业不作为，业主很愤怒", "负面"), ("害怕极了，晚上不敢出门", "负面"), ("难过，心情很差", "负面"),
    ("感谢社区志愿者的帮助", "非负面"), ("今天天气真好，心情愉快", "非负面"), ("点赞！办事效率很高", "非负面"),
    ("新公园开放了，环境优美", "非负面"), ("谢谢医生护士的照顾", "非负面"), ("活动圆满成功，大家很开心", "非负面"),
]


def test_sentiment_model_blends_into_negativity(tmp_path: Path) -> None:
    models.train(tmp_path, labels=SENT, use_gov_messages=False, cv_folds=0)
    plain = Classifier(())
    blended = Classifier((), sentiment_dir=tmp_path)
    text = "投诉半年没人管，服务太差，非常失望"
    assert models.negative_probability(models.load(tmp_path), models.model_tokens(blended.tokenizer, text)) > 0.5
    a, b = plain.assess("s", "", "今天心情愉快，感谢志愿者"), blended.assess("s", "", "今天心情愉快，感谢志愿者")
    assert 0 <= b.severity.negative <= 1
    assert a.severity.negative == 0.0


def test_weibo_label_mapping() -> None:
    assert {"0", "1", "5", "6"} == models.WEIBO_NEGATIVE


def test_fast_paths_match_sklearn_probabilities(tmp_path: Path) -> None:
    model = models.train(tmp_path, labels=TINY, use_gov_messages=False, cv_folds=0)
    from classifier.tokenize import Tokenizer

    tk = Tokenizer()
    long_text = "。".join(t for t, _ in TINY) * 3  # long enough for the numpy path
    for text in ("公交站台太远", "拖欠工资", "完全无关的词语", long_text):
        tokens = models.model_tokens(tk, text)
        expected = model.classifier.predict_proba(model.vectorizer.transform([tokens]))[0]
        label, prob = model.predict_tokens(tokens)
        assert label == model.labels[int(expected.argmax())]
        assert abs(prob - float(expected.max())) < 1e-4
        assert max(abs(a - b) for a, b in zip(model.scores(tokens), expected, strict=True)) < 1e-4
