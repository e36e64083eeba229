"""The duty router: jieba tokens → TF-IDF → logistic regression, trained, saved, loaded and evaluated."""

from __future__ import annotations

import hashlib
import json
import math
import os
import platform
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from classifier.errors import ModelError
from classifier.tokenize import Tokenizer

FORMAT_VERSION = 1
MODEL_FILE = "router.joblib"
META_FILE = "meta.json"
# Routing labels of the shared corpus (gov_messages_tipdm2020, 一级分类).
GOV_LABEL_FIELD = "一级分类"


def shared_data_dir() -> Path:
    """Where the shared corpora live: $YUQING_SHARED_DATA or ../shared/data beside the repository."""
    env = os.environ.get("YUQING_SHARED_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[1].parent / "shared" / "data"


def load_gov_messages(path: Path | None = None) -> list[tuple[str, str]]:
    """(text, label) pairs from gov_messages_tipdm2020/labeled_495.jsonl (title + details)."""
    path = path or shared_data_dir() / "gov_messages_tipdm2020" / "labeled_495.jsonl"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ModelError(f"读取训练数据失败 {path}: {exc}") from exc
    out: list[tuple[str, str]] = []
    for line in lines:
        if not line.strip():
            continue
        row = json.loads(line)
        text = f"{row.get('留言主题', '')}。{row.get('留言详情', '')}"
        out.append((text, str(row[GOV_LABEL_FIELD])))
    return out


@lru_cache(maxsize=1)
def default_tokenizer() -> Tokenizer:
    """A shared plain tokenizer for training and evaluation (built once; jieba init costs ~0.7 s)."""
    return Tokenizer()


def load_labelled_jsonl(path: Path) -> list[tuple[str, str]]:
    """(text, label) pairs from JSONL lines with "label" and "text" (plus optional "title" put first)."""
    pairs: list[tuple[str, str]] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ModelError(f"读取标注数据失败 {path}: {exc}") from exc
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            label = str(row["label"]).strip()
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ModelError(f"{path} 第{n}行无效（需要 label 和 text）: {exc}") from exc
        text = "。".join(p for p in (str(row.get("title") or ""), str(row.get("text") or "")) if p)
        if text and label:
            pairs.append((text, label))
    return pairs


def model_tokens(tokenizer: Tokenizer, text: str) -> list[str]:
    """Tokens the router sees: jieba words, single characters only when they are Chinese."""
    return [w for w in tokenizer.cut(text) if len(w) > 1 or "\u4e00" <= w <= "\u9fff"]


def passthrough(doc: list[str]) -> list[str]:
    """The vectoriser's analyzer: documents arrive already tokenised (module-level so it pickles)."""
    return doc


def _versions() -> dict[str, str]:
    import jieba
    import joblib
    import numpy
    import sklearn

    return {
        "format": str(FORMAT_VERSION),
        "python": platform.python_version(),
        "sklearn": sklearn.__version__,
        "numpy": numpy.__version__,
        "joblib": joblib.__version__,
        "jieba": str(getattr(jieba, "__version__", "unknown")),
    }


def data_hash(pairs: Sequence[tuple[str, str]]) -> str:
    """sha256 over the training pairs in a stable order."""
    h = hashlib.sha256()
    for text, label in sorted(pairs):
        h.update(label.encode())
        h.update(b"\x1f")
        h.update(text.encode())
        h.update(b"\x1e")
    return h.hexdigest()


# Below this many tokens the plain-Python scoring path is faster than numpy's.
_SHORT_TEXT_TOKENS = 60


@dataclass
class RouterModel:
    """A trained router: the sklearn objects plus a fast scoring path over plain arrays."""

    vectorizer: Any
    classifier: Any
    meta: dict[str, Any]
    _vocab: dict[str, int] = field(default_factory=dict, repr=False)
    _idf: Any = field(default=None, repr=False)
    _coef: Any = field(default=None, repr=False)
    _intercept: Any = field(default=None, repr=False)
    _labels: tuple[str, ...] = field(default=(), repr=False)
    _rows: dict[int, tuple[float, tuple[float, ...]]] = field(default_factory=dict, repr=False)
    _bias: tuple[float, ...] = field(default=(), repr=False)

    def __post_init__(self) -> None:
        import numpy as np

        self._vocab = dict(self.vectorizer.vocabulary_)
        # float32 halves the tables the per-item scoring gathers rows from (cache-friendlier).
        self._idf = np.asarray(self.vectorizer.idf_, dtype=np.float32)
        coef = np.asarray(self.classifier.coef_, dtype=np.float64)
        intercept = np.asarray(self.classifier.intercept_, dtype=np.float64)
        if coef.shape[0] == 1:
            # Binary logistic regression keeps one row; expand to one score per class.
            coef = np.vstack([-coef[0] / 2, coef[0] / 2])
            intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
        self._coef = np.ascontiguousarray(coef.T, dtype=np.float32)  # features × classes: rows per token
        self._intercept = intercept.astype(np.float32)
        self._labels = tuple(str(c) for c in self.classifier.classes_)
        # Plain-Python copies for short texts, where numpy's per-call overhead outweighs the arithmetic.
        self._rows = {
            int(i): (float(self._idf[i]), tuple(float(v) for v in self._coef[i])) for i in range(len(self._idf))
        }
        self._bias = tuple(float(v) for v in self._intercept)

    @property
    def labels(self) -> tuple[str, ...]:
        """Class labels in score order."""
        return self._labels

    @property
    def version(self) -> str:
        """A short id: model name, format and data hash prefix."""
        return f"router-v{self.meta.get('versions', {}).get('format', '?')}-{str(self.meta.get('data_hash', ''))[:8]}"

    def scores(self, tokens: Sequence[str]) -> list[float]:
        """Class probabilities for one tokenised text (same maths as the sklearn pipeline, faster)."""
        return [float(v) for v in self._probs(tokens)]

    def _probs(self, tokens: Sequence[str]) -> Any:
        import numpy as np

        # map + Counter count in C; tokens outside the vocabulary all land on the None key.
        counts: Counter[int | None] = Counter(map(self._vocab.get, tokens))
        counts.pop(None, None)
        if not counts:
            # No known word: what the fitted model says for an empty document, softmax(intercept).
            z0 = np.exp(self._intercept - self._intercept.max())
            return z0 / z0.sum()
        idx = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
        np.log(tf, out=tf)
        tf += 1.0
        w = tf * self._idf[idx]
        # Elementwise products, not `@`: a BLAS call per item costs more than the arithmetic here,
        # and a multi-threaded BLAS spins threads that compete with the caller.
        z = (self._coef[idx] * w[:, None]).sum(axis=0) * (1.0 / math.sqrt(float((w * w).sum()))) + self._intercept
        z = np.exp(z - z.max())
        return z / z.sum()

    def predict_tokens(self, tokens: Sequence[str]) -> tuple[str, float]:
        """Best label and its probability."""
        if len(tokens) <= _SHORT_TEXT_TOKENS:
            return self._predict_short(tokens)
        probs = self._probs(tokens)
        best = int(probs.argmax())
        return self._labels[best], float(probs[best])

    def _predict_short(self, tokens: Sequence[str]) -> tuple[str, float]:
        counts: Counter[int | None] = Counter(map(self._vocab.get, tokens))
        counts.pop(None, None)
        z = list(self._bias)
        if counts:
            rows = self._rows
            terms = [((1.0 + math.log(c)) * rows[i][0], rows[i][1]) for i, c in counts.items() if i is not None]
            inv = 1.0 / math.sqrt(sum(w * w for w, _ in terms))
            k = len(z)
            for w, row in terms:
                w *= inv
                for j in range(k):
                    z[j] += w * row[j]
        top = max(z)
        exps = [math.exp(v - top) for v in z]
        best = exps.index(1.0) if 1.0 in exps else max(range(len(exps)), key=exps.__getitem__)
        return self._labels[best], exps[best] / sum(exps)

    def predict(self, texts: Iterable[str], tokenizer: Tokenizer | None = None) -> list[str]:
        """Labels for raw texts (batch, through sklearn)."""
        tk = tokenizer or default_tokenizer()
        docs = [model_tokens(tk, t) for t in texts]
        return [str(v) for v in self.classifier.predict(self.vectorizer.transform(docs))]


def _fit(docs: list[list[str]], labels: list[str], seed: int) -> tuple[Any, Any]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    # min_df=2 drops one-off words (typos, names) that only memorise; tiny sets keep everything.
    vec = TfidfVectorizer(analyzer=passthrough, sublinear_tf=True, min_df=2 if len(docs) >= 50 else 1)
    x = vec.fit_transform(docs)
    clf = LogisticRegression(C=10.0, max_iter=3000, class_weight="balanced", random_state=seed)
    clf.fit(x, labels)
    return vec, clf


def per_class_report(gold: Sequence[str], pred: Sequence[str]) -> dict[str, dict[str, float]]:
    """Precision, recall, F1 and support per class, plus macro and micro averages."""
    from sklearn.metrics import precision_recall_fscore_support

    classes = sorted(set(gold) | set(pred))
    p, r, f, s = precision_recall_fscore_support(gold, pred, labels=classes, zero_division=0)
    out = {
        c: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": float(s[i])}
        for i, c in enumerate(classes)
    }
    for avg in ("macro", "micro"):
        ap, ar, af, _ = precision_recall_fscore_support(gold, pred, labels=classes, average=avg, zero_division=0)
        out[f"_{avg}"] = {"precision": float(ap), "recall": float(ar), "f1": float(af), "support": float(len(gold))}
    return out


def cross_validate(
    pairs: Sequence[tuple[str, str]], folds: int = 5, seed: int = 0, tokenizer: Tokenizer | None = None
) -> dict[str, dict[str, float]]:
    """Stratified k-fold cross-validated per-class report for the router on labelled pairs."""
    from sklearn.model_selection import StratifiedKFold

    tk = tokenizer or default_tokenizer()
    docs = [model_tokens(tk, t) for t, _ in pairs]
    labels = [lab for _, lab in pairs]
    smallest = min(Counter(labels).values())
    k = max(2, min(folds, smallest))
    pred: list[str] = [""] * len(labels)
    for train_idx, test_idx in StratifiedKFold(k, shuffle=True, random_state=seed).split(docs, labels):
        vec, clf = _fit([docs[i] for i in train_idx], [labels[i] for i in train_idx], seed)
        for i, p in zip(test_idx, clf.predict(vec.transform([docs[i] for i in test_idx])), strict=True):
            pred[i] = str(p)
    return per_class_report(labels, pred)


def train(
    out_dir: Path,
    *,
    labels: Iterable[tuple[str, str]] = (),
    gov_messages: Path | None = None,
    use_gov_messages: bool = True,
    cv_folds: int = 5,
    seed: int = 0,
    tokenizer: Tokenizer | None = None,
) -> RouterModel:
    """Train the router on gov_messages (if present and wanted) plus staff labels; save it to out_dir."""
    import joblib

    pairs: list[tuple[str, str]] = []
    sources: list[str] = []
    if use_gov_messages:
        path = gov_messages or shared_data_dir() / "gov_messages_tipdm2020" / "labeled_495.jsonl"
        if path.exists():
            pairs.extend(load_gov_messages(path))
            sources.append(str(path))
        elif gov_messages is not None:
            raise ModelError(f"训练数据不存在: {path}")
    staff = [(str(t), str(lab)) for t, lab in labels if str(t).strip() and str(lab).strip()]
    pairs.extend(staff)
    if staff:
        sources.append(f"labels ({len(staff)})")
    classes = Counter(lab for _, lab in pairs)
    if len(classes) < 2:
        raise ModelError(f"训练数据至少需要两个类别 (need ≥ 2 classes), got {dict(classes)}")
    tk = tokenizer or default_tokenizer()
    docs = [model_tokens(tk, t) for t, _ in pairs]
    vec, clf = _fit(docs, [lab for _, lab in pairs], seed)
    metrics: dict[str, Any] = {}
    if cv_folds >= 2 and min(classes.values()) >= 2:
        metrics["cross_validation"] = cross_validate(pairs, cv_folds, seed, tk)
        metrics["cv_folds"] = min(cv_folds, min(classes.values()))
    meta: dict[str, Any] = {
        "kind": "duty_router",
        "versions": _versions(),
        "labels": sorted(classes),
        "class_counts": dict(classes),
        "n_items": len(pairs),
        "data_hash": data_hash(pairs),
        "sources": sources,
        "metrics": metrics,
        "seed": seed,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    joblib.dump({"vectorizer": vec, "classifier": clf}, out_dir / MODEL_FILE)
    (out_dir / META_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
    return RouterModel(vec, clf, meta)


# weibo_covid19_emotion labels: 0 fear, 1 disgust, 2 optimism, 3 surprise, 4 gratitude, 5 sadness, 6 anger.
WEIBO_NEGATIVE = frozenset({"0", "1", "5", "6"})
NEGATIVE_LABEL, NON_NEGATIVE_LABEL = "负面", "非负面"


def load_weibo_emotion(path: Path | None = None) -> list[tuple[str, str]]:
    """(text, 负面/非负面) pairs from weibo_covid19_emotion/labeledData.csv (fear/disgust/sadness/anger = 负面)."""
    import csv

    path = path or shared_data_dir() / "weibo_covid19_emotion" / "labeledData.csv"
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
    except OSError as exc:
        raise ModelError(f"读取情感训练数据失败 {path}: {exc}") from exc
    return [
        (row[0], NEGATIVE_LABEL if row[1].strip() in WEIBO_NEGATIVE else NON_NEGATIVE_LABEL)
        for row in rows[1:]
        if len(row) >= 2 and row[0].strip()
    ]


def train_sentiment(out_dir: Path, *, data: Path | None = None, cv_folds: int = 0, seed: int = 0) -> RouterModel:
    """Train the optional negativity model on weibo_covid19_emotion and save it (kind "sentiment")."""
    model = train(
        out_dir, labels=load_weibo_emotion(data), use_gov_messages=False, cv_folds=cv_folds, seed=seed
    )
    model.meta["kind"] = "sentiment"
    (out_dir / META_FILE).write_text(json.dumps(model.meta, ensure_ascii=False, indent=2), encoding="utf-8")
    return model


def negative_probability(model: RouterModel, tokens: Sequence[str]) -> float:
    """P(负面) from a sentiment model for one tokenised text."""
    probs = model._probs(tokens)
    return float(probs[model.labels.index(NEGATIVE_LABEL)])


def load(model_dir: Path, *, strict_versions: bool = True) -> RouterModel:
    """Load a saved router (no network); refuses a model saved by another scikit-learn or format version."""
    import joblib
    import sklearn

    meta_path, model_path = model_dir / META_FILE, model_dir / MODEL_FILE
    if not meta_path.exists() or not model_path.exists():
        raise ModelError(f"模型目录 {model_dir} 缺少 {META_FILE} 或 {MODEL_FILE}")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelError(f"模型元数据无法读取 {meta_path}: {exc}") from exc
    saved = meta.get("versions", {})
    if str(saved.get("format")) != str(FORMAT_VERSION):
        raise ModelError(f"模型格式版本 {saved.get('format')} 与当前 {FORMAT_VERSION} 不符，请重新训练 (yuqing train)")
    if strict_versions and saved.get("sklearn") != sklearn.__version__:
        raise ModelError(
            f"模型由 scikit-learn {saved.get('sklearn')} 训练，当前为 {sklearn.__version__}，请重新训练 (yuqing train)"
        )
    try:
        objs = joblib.load(model_path)
        return RouterModel(objs["vectorizer"], objs["classifier"], meta)
    except Exception as exc:  # a corrupt pickle can raise nearly anything
        raise ModelError(f"模型文件无法加载 {model_path}: {exc}") from exc


def evaluate(model: RouterModel, labelled: Iterable[tuple[str, str]], tokenizer: Tokenizer | None = None) -> dict[str, dict[str, float]]:
    """Per-class precision/recall/F1 of a model on labelled (text, label) pairs."""
    pairs = list(labelled)
    if not pairs:
        raise ModelError("评估数据为空 (no labelled items)")
    pred = model.predict([t for t, _ in pairs], tokenizer)
    return per_class_report([lab for _, lab in pairs], pred)


def format_report(report: dict[str, dict[str, float]]) -> str:
    """A readable per-class table of a report."""
    lines = [f"{'class':<16}{'P':>8}{'R':>8}{'F1':>8}{'n':>6}"]
    for name, row in report.items():
        lines.append(f"{name:<16}{row['precision']:>8.3f}{row['recall']:>8.3f}{row['f1']:>8.3f}{int(row['support']):>6}")
    return "\n".join(lines)


__all__ = [
    "RouterModel",
    "cross_validate",
    "evaluate",
    "format_report",
    "load",
    "load_gov_messages",
    "load_labelled_jsonl",
    "load_weibo_emotion",
    "negative_probability",
    "per_class_report",
    "shared_data_dir",
    "train",
    "train_sentiment",
]
