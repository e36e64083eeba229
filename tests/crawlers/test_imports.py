from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawlers.errors import ImportFormatError
from crawlers.imports import read_import
from tests.crawlers.conftest import NOW

ROWS = [
    {"留言编号": 101, "留言用户": "A0001", "留言主题": "示例区某小区供暖不热", "留言时间": "2024/1/6 12:09:38",
     "留言详情": "示例区某小区今冬供暖温度一直不达标，多次反映无果。", "点赞数": 12, "反对数": 1},
    {"title": "示例市地铁施工噪音扰民", "content": "<p>夜间施工持续到凌晨两点</p>", "url": "https://m.thepaper.cn/newsDetail_forward_9?from=x",
     "author": "市民甲", "published_at": "2024-03-05T10:20:00+08:00", "reposts": "1.5万", "comments": 300, "likes": "2k"},
]


def test_jsonl_with_a_bad_line(tmp_path: Path) -> None:
    lines = [json.dumps(ROWS[0], ensure_ascii=False), "{not json", "[1, 2]", json.dumps({"x": 1}),
             "", json.dumps(ROWS[1], ensure_ascii=False)]
    path = tmp_path / "export.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    res = read_import(path, "hotline", NOW)
    assert res.format == "jsonl"
    assert [r.line for r in res.rejected] == [2, 3, 4]
    assert res.rejected_by_reason == {"invalid_json": 1, "not_an_object": 1, "no_title_or_text": 1}
    a, b = res.items
    assert a.title == "示例区某小区供暖不热" and a.author == "A0001" and a.guid == "101"
    assert a.canonical_url == "urn:yuqing:hotline:101"
    assert a.published_at == datetime(2024, 1, 6, 4, 9, 38, tzinfo=UTC)
    assert a.engagement.likes == 12 and a.engagement.reposts is None
    assert b.text == "夜间施工持续到凌晨两点"
    assert b.canonical_url == "https://www.thepaper.cn/newsDetail_forward_9"
    assert (b.engagement.reposts, b.engagement.comments, b.engagement.likes) == (15000, 300, 2000)
    assert "imported" in b.flags


def test_csv_gbk_chinese_headers_and_bad_row(tmp_path: Path) -> None:
    csv_text = (
        "标题,正文,链接,作者,发布时间,转发,评论,点赞\r\n"
        "示例县桥梁出现裂缝,\"村民反映桥面裂缝，\n存在安全隐患\",http://bbs.example.cn/t/1.html,村民乙,2024年3月5日 10:20,3,4,5\r\n"
        "只有两列,坏行\r\n"
        ",,,,,,,\r\n"
        "示例镇垃圾清运不及时,垃圾堆放多日无人清理,,网友丙,昨天 08:00,,,\r\n"
    )
    path = tmp_path / "export.csv"
    path.write_bytes(csv_text.encode("gbk"))
    res = read_import(path, "yq", NOW)
    assert res.format == "csv"
    assert len(res.items) == 2
    assert [(r.line, r.reason.split(":")[0]) for r in res.rejected] == [(4, "column_count")]
    first, second = res.items
    assert first.text == "村民反映桥面裂缝，\n存在安全隐患"
    assert first.published_at == datetime(2024, 3, 5, 2, 20, tzinfo=UTC)
    assert first.engagement.likes == 5
    assert second.published_at == datetime(2024, 3, 5, 0, 0, tzinfo=UTC)
    assert second.canonical_url.startswith("urn:yuqing:yq:")


def test_lines_and_bad_date_flag() -> None:
    res = read_import(['{"title": "t", "text": "x", "time": "不是日期"}'], "s", NOW)
    assert res.items[0].published_at is None and "bad_date" in res.items[0].flags


def test_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(ImportFormatError):
        read_import(tmp_path / "missing.jsonl", "s", NOW)
    with pytest.raises(ImportFormatError):
        read_import(["a"], "s", NOW, fmt="xml")


def test_reimport_is_deterministic(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in ROWS), encoding="utf-8")
    keys = {tuple((i.canonical_url, i.content_hash) for i in read_import(path, "s", NOW).items) for _ in range(10)}
    assert len(keys) == 1
