"""The private jieba tokenizer with units' names as user words."""

from __future__ import annotations

from classifier.assess import Classifier
from classifier.tokenize import Tokenizer


def test_user_words_kept_whole() -> None:
    tk = Tokenizer(["邕宁区总工会", "示例区交通运输局"])
    toks = tk.cut("邕宁区总工会和示例区交通运输局回应")
    assert "邕宁区总工会" in toks and "示例区交通运输局" in toks


def test_private_instance_leaves_global_alone() -> None:
    import jieba

    Tokenizer(["独有词语甲乙丙"]).cut("独有词语甲乙丙")
    assert "独有词语甲乙丙" not in jieba.dt.FREQ


def test_classifier_tokenizer_has_unit_names(classifier: Classifier) -> None:
    words = classifier.tokenizer.user_words
    assert "区总工会" in words and "示例区交通运输局" in words and "示例区" in words
    assert "区总工会" in classifier.tokenizer.cut("向区总工会反映")


def test_lazy_initialisation() -> None:
    tk = Tokenizer(["某词"])
    assert tk._tk is None
    tk.cut("某词")
    assert tk._tk is not None
