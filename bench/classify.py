"""Benchmark: classify vs jieba cutting alone on the same 10,000 items from the shared corpora.

Items: gov_messages (hot issues, replies, labelled: 留言主题 + first 500 characters of 留言详情), then
nlpcc2017 headlines (title only) and weibo posts (text only) to make 10,000. The classifier runs with
the dev set's units and a router trained on gov_messages/labeled_495 (training is not timed; loading
is). jieba's rate is measured with the classifier's own tokenizer (same dictionary and HMM setting,
see classifier/tokenize.py); the rate of jieba's default cut (global dictionary, HMM on) is shown too.
Last line: one JSON object with the figures. Exit 1 if the data is missing.
"""

from __future__ import annotations

import csv
import gc
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from classifier import models
from classifier.evaluation import dev_classifier

N_ITEMS = 10_000
BODY_CHARS = 500


def load_items(data: Path) -> list[tuple[str, str, str]]:
    """(id, title, body) for N_ITEMS items, deterministic order."""
    items: list[tuple[str, str, str]] = []
    gov = data / "gov_messages_tipdm2020"
    for name in ("hot_issues_4326_unlabeled.jsonl", "replies_2816.jsonl", "labeled_495.jsonl"):
        for line in (gov / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                items.append((f"{name}:{row.get('留言编号')}", str(row.get("留言主题", "")), str(row.get("留言详情", ""))[:BODY_CHARS]))
    rest = N_ITEMS - len(items)
    with (data / "nlpcc2017_headlines" / "headlines_36000.tsv").open(encoding="utf-8") as fh:
        reader = csv.reader(fh, delimiter="\t")
        next(reader)
        for i, row in enumerate(reader):
            if i >= rest // 2:
                break
            items.append((f"nlpcc:{i}", row[1], ""))
    rest = N_ITEMS - len(items)
    with (data / "weibo_covid19_emotion" / "labeledData.csv").open(encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        next(reader)
        for i, row in enumerate(reader):
            if i >= rest:
                break
            items.append((f"weibo:{i}", "", row[0][:BODY_CHARS]))
    return items[:N_ITEMS]


def main() -> int:
    """Run the benchmark and print the table and the JSON line."""
    data = models.shared_data_dir()
    try:
        items = load_items(data)
    except OSError as exc:
        print(f"cannot read shared data under {data}: {exc}", file=sys.stderr)
        return 1
    if len(items) < N_ITEMS:
        print(f"only {len(items)} items found", file=sys.stderr)
        return 1
    chars = sum(len(t) + len(b) for _, t, b in items)
    with tempfile.TemporaryDirectory() as tmp:
        # Train in a child process so its own jieba instance does not count in this process's memory.
        t0 = time.perf_counter()
        code = "import sys; from pathlib import Path; from classifier import models; models.train(Path(sys.argv[1]), cv_folds=0)"
        subprocess.run([sys.executable, "-c", code, tmp], check=True, cwd=str(Path(__file__).resolve().parents[1]))
        train_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        models.load(Path(tmp))
        load_s = time.perf_counter() - t0
        classifier = dev_classifier(Path(tmp))
        t0 = time.perf_counter()
        classifier.warm()
        warm_s = time.perf_counter() - t0
    tk = classifier.tokenizer
    texts = [f"{t}\n{b}" if t and b else t or b for _, t, b in items]
    for text in texts[:200]:  # warm caches of both paths
        tk.cut(text)
        classifier.assess("w", text, "")
    gc.collect()
    gc.freeze()  # the dictionaries, gazetteer and model are long-lived: keep them out of GC scans

    # Other processes share the machine: time jieba and classify on alternating chunks (order
    # swapped every chunk) so both see the same load, and compare the sums.
    jieba_s = classify_s = jieba_cpu = classify_cpu = 0.0
    chunk = 250
    for n, start in enumerate(range(0, len(items), chunk)):
        part = items[start : start + chunk]
        part_texts = texts[start : start + chunk]
        for which in ((0, 1) if n % 2 == 0 else (1, 0)):
            t0, c0 = time.perf_counter(), time.process_time()
            if which == 0:
                for text in part_texts:
                    tk.cut(text)
                jieba_s += time.perf_counter() - t0
                jieba_cpu += time.process_time() - c0
            else:
                for item_id, title, body in part:
                    classifier.assess(item_id, title, body)
                classify_s += time.perf_counter() - t0
                classify_cpu += time.process_time() - c0
    # Worst case: every item needs the duty router (all of them inside a department unit's
    # jurisdiction), so each is also cut by jieba and routed. assess() does that only on need.
    model = classifier.model
    t0 = time.perf_counter()
    for (item_id, title, body), text in zip(items, texts, strict=True):
        classifier.assess(item_id, title, body)
        if model is not None:
            model.predict_tokens(tk.cut(text))
    worst_s = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before the global jieba loads
    import jieba

    jieba.setLogLevel(60)
    jieba.initialize()
    t0 = time.perf_counter()
    for text in texts:
        list(jieba.cut(text))
    jieba_default_s = time.perf_counter() - t0
    figures = {
        "items": len(items),
        "chars": chars,
        "classify_items_per_s": round(len(items) / classify_s, 1),
        "jieba_items_per_s": round(len(items) / jieba_s, 1),
        "ratio_classify_to_jieba": round(jieba_s / classify_s, 3),
        "ratio_cpu_time": round(jieba_cpu / classify_cpu, 3),
        "classify_router_every_item_items_per_s": round(len(items) / worst_s, 1),
        "ratio_router_every_item": round(jieba_s / worst_s, 3),
        "ratio_vs_jieba_default": round(jieba_default_s / (classify_s), 3),
        "target_ratio": 0.67,
        "jieba_default_hmm_items_per_s": round(len(items) / jieba_default_s, 1),
        "peak_rss_mb": round(peak_mb, 1),  # classifier + its jieba, data and model; training ran elsewhere
        "model_load_s": round(load_s, 3),
        "classifier_warm_s": round(warm_s, 3),
        "model_train_s": round(train_s, 2),
        "model_version": classifier.model_version,
    }
    print(f"{'items':<34}{len(items):>12}")
    print(f"{'characters':<34}{chars:>12}")
    print(f"{'classify (items/s)':<34}{figures['classify_items_per_s']:>12}")
    print(f"{'jieba cut, same tokenizer (items/s)':<34}{figures['jieba_items_per_s']:>12}")
    print(f"{'classify, router on every item':<34}{figures['classify_router_every_item_items_per_s']:>12}"
          f"  (ratio {figures['ratio_router_every_item']}, worst case)")
    print(f"{'ratio classify / jieba':<34}{figures['ratio_classify_to_jieba']:>12}  (target ≥ 0.67)")
    print(f"{'ratio by process CPU time':<34}{figures['ratio_cpu_time']:>12}")
    print(f"{'jieba default cut, HMM on (items/s)':<34}{figures['jieba_default_hmm_items_per_s']:>12}")
    print(f"{'ratio classify / default jieba':<34}{figures['ratio_vs_jieba_default']:>12}")
    print(f"{'peak RSS (MB)':<34}{figures['peak_rss_mb']:>12}")
    print(f"{'model load (s)':<34}{figures['model_load_s']:>12}")
    print(f"{'classifier warm-up (s)':<34}{figures['classifier_warm_s']:>12}")
    print(json.dumps(figures, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
