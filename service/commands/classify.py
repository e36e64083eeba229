"""`yuqing classify` (batch JSONL), `yuqing train`, `yuqing evaluate`."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from service.cli import CommandError, config_from_args

# The first-level domains of the duty router (the labels of gov_messages_tipdm2020).
DUTY_DOMAINS = frozenset({"劳动和社会保障", "城乡建设", "教育文体", "卫生计生", "交通运输", "商贸旅游", "环境保护"})


def register(subparsers: Any) -> None:
    """Add this module's subcommands."""
    classify = subparsers.add_parser(
        "classify", help="批量研判 JSONL：相关单位、地点、类别、数字、等级 / classify items (JSONL in, JSONL out)"
    )
    classify.add_argument("--in", dest="input", default="-", help="输入 JSONL（每行 id、title、text），- 为标准输入")
    classify.add_argument("--out", dest="output", default="-", help="输出 JSONL，- 为标准输出")
    classify.add_argument("--full", action="store_true", help="附带理由等全部字段 / include every field")
    classify.set_defaults(handler=cmd_classify)

    train = subparsers.add_parser("train", help="训练职责分类模型 / train the duty router")
    train.add_argument("--data", type=Path, help="gov_messages 标注文件（默认 ../shared/data 中的 labeled_495.jsonl）")
    train.add_argument("--labels", type=Path, help="附加标注 JSONL（每行 text、label）")
    train.add_argument("--no-db-labels", action="store_true", help="不使用看板中工作人员的纠正标注")
    train.add_argument("--out", type=Path, help="模型目录（默认配置的 model_dir）")
    train.set_defaults(handler=cmd_train)

    evaluate = subparsers.add_parser("evaluate", help="在标注集上评估 / precision, recall, F1 per class")
    evaluate.add_argument("--devset", type=Path, help="开发集 JSONL（默认项目自带的开发集）")
    evaluate.add_argument("--routing", type=Path, help="另评估职责分类：标注 JSONL（text、label 或 留言详情、一级分类）")
    evaluate.add_argument("--json", action="store_true")
    evaluate.set_defaults(handler=cmd_evaluate)


@contextlib.contextmanager
def _open(path: str, mode: str) -> Iterator[TextIO]:
    if path == "-":
        yield sys.stdin if "r" in mode else sys.stdout
        return
    try:
        with open(path, mode, encoding="utf-8") as handle:
            yield handle  # type: ignore[misc]
    except FileNotFoundError:
        raise CommandError(f"{path}: 文件不存在") from None


def cmd_classify(args: argparse.Namespace) -> int:
    """Assess each input line; bad lines are reported with their line number and skipped."""
    from classifier.assess import Classifier
    from classifier.batch import classify_lines
    from classifier.models import MODEL_FILE

    config = config_from_args(args)
    units = config.units()
    if not units:
        raise CommandError("配置中没有 [[unit]]：至少需要一个单位（id、name、jurisdiction）")
    model_dir = config.model_dir if (config.model_dir / MODEL_FILE).exists() else None
    classifier = Classifier(units, model_dir)
    for unit_id, reason in classifier.jurisdiction_errors.items():
        print(f"提示：单位 {unit_id} 的辖区未能解析为行政区划（{reason}），按名称匹配", file=sys.stderr)

    def report(line: int, message: str) -> None:
        print(f"{args.input}:{line}: {message}", file=sys.stderr)

    with _open(args.input, "r") as source, _open(args.output, "w") as sink:
        stats = classify_lines(source, sink, classifier, report, full=args.full)
    print(f"研判 {stats.written} 条，跳过 {len(stats.errors)} 行", file=sys.stderr)
    return 0 if not stats.errors else 1


def cmd_train(args: argparse.Namespace) -> int:
    """Train and save the duty router with its metadata; print the cross-validated figures."""
    from classifier.models import format_report, train

    config = config_from_args(args)
    labels: list[tuple[str, str]] = []
    if args.labels:
        for number, line in enumerate(args.labels.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                labels.append((str(row["text"]), str(row["label"])))
            except (ValueError, KeyError, TypeError):
                print(f"{args.labels}:{number}: 跳过：应为含 text、label 的 JSON 对象", file=sys.stderr)
    if not args.no_db_labels:
        labels += _staff_labels(config)
    out = args.out or config.model_dir
    model = train(out, labels=labels, gov_messages=args.data)
    print(f"模型已保存 / saved: {out}（版本 {model.version}，类别 {len(model.labels)}）")
    metrics = model.meta.get("metrics", {})
    if metrics.get("cross_validation"):
        print(f"{metrics.get('cv_folds')} 折交叉验证 / cross-validation:")
        print(format_report(metrics["cross_validation"]))
    return 0


def _staff_labels(config: Any) -> list[tuple[str, str]]:
    """Staff corrections whose value names one of the router's duty domains, as (text, label) pairs.

    Labels of other kinds (a grade, an event category such as 交通事故, a unit id) would teach the duty
    router the wrong classes, so only values that are duty domains of the training data are used.
    """
    from service.context import AppContext
    from storage.errors import StorageError

    context = AppContext(config)
    try:
        context.check_schema()
    except StorageError:
        return []
    from storage.repositories.items import ItemRepository
    from storage.repositories.labels import LabelRepository

    pairs: list[tuple[str, str]] = []
    with context.session() as session:
        items = ItemRepository(session)
        for label in LabelRepository(session).list("category"):
            if label.item_id is not None and label.value in DUTY_DOMAINS:
                item = items.get(label.item_id)
                pairs.append((f"{item.title}\n{item.text}", label.value))
    return pairs


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Per-class precision/recall/F1 on the development set (and optionally routing on a labelled file)."""
    from classifier.evaluation import check_floors, dev_classifier, load_devset, load_floors
    from classifier.models import MODEL_FILE, format_report, load

    config = config_from_args(args)
    model_dir = config.model_dir if (config.model_dir / MODEL_FILE).exists() else None
    items = load_devset(args.devset) if args.devset else load_devset()
    report = _evaluate(dev_classifier(model_dir), items)
    failures = check_floors(report, load_floors().get("holdout" if args.devset and "holdout" in args.devset.name else "devset", {}))
    result: dict[str, Any] = {"devset": report.as_dict(), "floors_failed": failures}
    if args.routing:
        from classifier.models import evaluate as evaluate_model
        from classifier.models import load_gov_messages

        if model_dir is None:
            raise CommandError("没有训练好的模型：请先运行 yuqing train")
        result["routing"] = evaluate_model(load(model_dir), load_gov_messages(args.routing))
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        for task in ("category", "units", "grade", "needs_response"):
            print(f"== {task}（{report.n_items} 条）")
            print(format_report(getattr(report, task)))
        if "routing" in result:
            print("== routing")
            print(format_report(result["routing"]))
        for failure in failures:
            print(f"低于质量底线 / below floor: {failure}")
    return 1 if failures else 0


def _evaluate(classifier: Any, items: Any) -> Any:
    from classifier.evaluation import evaluate_devset

    return evaluate_devset(classifier, items)
