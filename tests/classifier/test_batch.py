"""The JSONL batch interface."""

from __future__ import annotations

import io
import json

from classifier.assess import Classifier
from classifier.batch import classify_lines


def test_batch_with_bad_line(classifier: Classifier) -> None:
    lines = [
        json.dumps({"id": "a1", "title": "肥西县发生交通事故", "text": "造成5人死亡，18人受伤", "url": "http://127.0.0.1/x"}, ensure_ascii=False),
        "{not json",
        "",
        json.dumps({"id": 7, "title": "", "text": "示例区一小区道路坑洼，市民投诉无人管"}, ensure_ascii=False),
        json.dumps(["not", "an", "object"]),
        json.dumps({"title": "no id"}),
    ]
    out = io.StringIO()
    seen: list[int] = []
    stats = classify_lines(lines, out, classifier, on_error=lambda n, msg: seen.append(n))
    assert stats.written == 2 and stats.skipped_blank == 1
    assert [n for n, _ in stats.errors] == [2, 5, 6] == seen
    assert "第2行" in stats.errors[0][1]
    rows = [json.loads(x) for x in out.getvalue().splitlines()]
    first = rows[0]
    assert list(first) == ["id", "units", "places", "abroad", "category", "figures", "severity"]
    assert first["id"] == "a1"
    assert first["category"] == "交通事故"
    assert first["figures"] == {
        "deaths": 5, "missing": None, "serious_injuries": None, "injuries": 18,
        "poisoned": None, "economic_loss_yuan": None, "magnitude": None,
    }
    assert first["severity"]["grade"] == "较大"
    assert first["severity"]["basis"].startswith("死亡5人 → 较大 (3–9人)")
    assert first["severity"]["needs_response"] is True
    assert 0 <= first["severity"]["negative"] <= 1
    assert first["places"] == [{"province": "安徽省", "city": "合肥市", "county": "肥西县", "adcode": "340123"}]
    assert {u["unit"] for u in first["units"]} >= {"hefei-gov", "feixi-jtj"}
    assert rows[1]["id"] == 7
    assert rows[1]["severity"]["grade"] is None


def test_full_form_has_extras(classifier: Classifier) -> None:
    out = io.StringIO()
    classify_lines([json.dumps({"id": "x", "title": "泰国发生车祸", "text": ""}, ensure_ascii=False)], out, classifier, full=True)
    row = json.loads(out.getvalue())
    assert row["abroad"] is True and row["foreign_places"] == ["泰国"]
    assert "rules-only" in row["model_version"]
