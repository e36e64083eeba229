"""Normalisation: Traditional→Simplified, width folding, HTML, whitespace."""

from __future__ import annotations

from classifier.normalize import fold_width, normalize, strip_html, to_simplified


def test_traditional_to_simplified() -> None:
    assert to_simplified("車禍造成三人死亡，區總工會回應") == "车祸造成三人死亡，区总工会回应"


def test_full_width_folded() -> None:
    assert fold_width("１２３ＡＢＣ") == "123ABC"
    assert normalize("造成５人死亡") == "造成5人死亡"


def test_html_stripped_and_entities() -> None:
    out = strip_html("<p>火灾&amp;爆炸</p><script>var x=1;</script><!-- c -->")
    assert "<" not in out and "var x" not in out and "火灾&爆炸" in out


def test_whitespace_collapsed() -> None:
    assert normalize("  示例\u3000\u3000区 \n\n 发生 ") == "示例 区\n发生"
    assert normalize("") == ""
