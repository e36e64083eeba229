"""Quality figures: the project's labelled sets (category, units, grade, needs_response) and the duty
router's stratified 5-fold cross-validated F1 on gov_messages_tipdm2020/labeled_495 (per class).

Prints readable tables; the last line is one JSON object. Exit 1 if the shared data is missing.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from classifier import models
from classifier.errors import ModelError
from classifier.evaluation import (
    LABELLED_SETS,
    check_floors,
    dev_classifier,
    evaluate_devset,
    load_devset,
    load_floors,
)


def _f1(report: dict[str, dict[str, float]]) -> dict[str, float]:
    return {k: round(v["f1"], 3) for k, v in report.items()}


def main() -> int:
    """Evaluate and print."""
    out: dict[str, object] = {}
    classifier = dev_classifier()
    floors = load_floors()
    for name, path in LABELLED_SETS.items():
        report = evaluate_devset(classifier, load_devset(path))
        print(f"=== {name} ({report.n_items} items, {path.name}) — rules only ({classifier.model_version})")
        for task in ("category", "units", "grade", "needs_response"):
            print(f"--- {task}")
            print(models.format_report(getattr(report, task)))
        failures = check_floors(report, floors.get(name, {}))
        print(f"quality gate: {'PASS' if not failures else 'FAIL'}")
        for line in failures:
            print("  " + line)
        out[name] = {
            "n_items": report.n_items,
            "category_f1": _f1(report.category),
            "units_f1": _f1(report.units),
            "grade_f1": _f1(report.grade),
            "needs_response_f1": _f1(report.needs_response),
            "gate": "pass" if not failures else "fail",
            "errors": len(report.errors),
        }
    try:
        pairs = models.load_gov_messages()
    except ModelError as exc:
        print(f"cannot read gov_messages: {exc}", file=sys.stderr)
        return 1
    t0 = time.perf_counter()
    cv = models.cross_validate(pairs, folds=5, seed=0)
    cv_s = time.perf_counter() - t0
    print(f"=== duty router: gov_messages labeled_495, stratified 5-fold CV ({len(pairs)} items, {cv_s:.1f} s)")
    print(models.format_report(cv))
    out["router_cv"] = {"items": len(pairs), "folds": 5, "f1": _f1(cv), "macro_f1": round(cv["_macro"]["f1"], 3)}
    # Optional weibo-trained negativity model: cross-validated on weibo, and its effect on the sets.
    try:
        weibo = models.load_weibo_emotion()
    except ModelError as exc:
        print(f"cannot read weibo_covid19_emotion: {exc}", file=sys.stderr)
        return 1
    t0 = time.perf_counter()
    scv = models.cross_validate(weibo, folds=5, seed=0)
    print(f"=== sentiment model: weibo_covid19_emotion 负面/非负面, stratified 5-fold CV ({len(weibo)} items, {time.perf_counter() - t0:.1f} s)")
    print(models.format_report(scv))
    out["sentiment_cv"] = {"items": len(weibo), "folds": 5, "f1": _f1(scv)}
    import tempfile

    from classifier.assess import Classifier
    from classifier.evaluation import DEVSET_UNITS, load_units

    with tempfile.TemporaryDirectory() as tmp:
        models.train_sentiment(Path(tmp) / "sentiment")
        blended = Classifier(load_units(DEVSET_UNITS), sentiment_dir=Path(tmp) / "sentiment")
        blended.warm()
        for name, path in LABELLED_SETS.items():
            report = evaluate_devset(blended, load_devset(path))
            nr = report.needs_response
            print(f"{name} with sentiment model: needs_response macro F1 {nr['_macro']['f1']:.3f} (per class: "
                  + ", ".join(f"{k} {v['f1']:.3f}" for k, v in nr.items() if not k.startswith("_")) + ")")
            out[f"{name}_with_sentiment_model"] = {"needs_response_f1": _f1(nr), "category_f1_micro": round(report.category["_micro"]["f1"], 3)}
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
