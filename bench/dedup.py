"""Benchmark near-duplicate clustering (crawlers.dedup) on shared Chinese text with planted reprints.

Builds 25k / 50k / 100k items from ../shared/data (NLPCC headlines, Weibo posts, 12345 messages and
composites of them), plants reprints of ~3% of the items (same body with another headline, an
added/changed source line, 1–3 small character edits, or a dropped closing sentence), then times
SimHash fingerprinting and NearDuplicateIndex clustering (per-item distance by length, crawlers.dedup.
NEAR_DUPLICATE_RULE; fixed distances in the comparison), measures peak memory of the clustering
(tracemalloc), and scores the planted reprints:

- recall: planted reprints placed in their original's cluster / planted reprints (also by kind of
  reprint and by length of the original);
- precision: correct joins / all joins. An item joining an existing cluster is a join. It is
  correct when it is a planted reprint joining its original's cluster, or when the two texts are
  near-duplicates already in the source data (the corpora hold re-posted messages and posts):
  character 3-gram Jaccard similarity of the normalised texts >= 0.5, the reference judgement.
  Joins of texts shorter than 20 characters ("哈哈", "[抓狂]") are reported apart as short-text
  joins; precision_20plus leaves them out.

Usage: .venv/bin/python bench/dedup.py [--data PATH] [--sizes 25000,50000,100000] [--no-compare]
Last line: one JSON object with the figures. Exit 1 if the data cannot be read.
"""

from __future__ import annotations

import argparse
import csv
import gc
import json
import os
import random
import sys
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawlers.dedup import (
    BANDS,
    MAX_NEAR_DUPLICATE_DISTANCE,
    NEAR_DUPLICATE_DISTANCE,
    NEAR_DUPLICATE_RULE,
    NearDuplicateIndex,
    _informative,
    figures,
    item_signature,
    near_duplicate_distance,
)

SOURCE_LINES = ["来源：新华社", "来源：人民日报客户端", "（记者 张伟 通讯员 李娜）", "原标题：{t}", "责任编辑：王强",
                "本文来自澎湃新闻", "转自：央视新闻", "（来源：示例日报）", "编辑：刘洋"]
FILLER = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严"


@dataclass
class Item:
    """One benchmark item and where it came from."""
    title: str
    text: str
    kind: str  # "base", "composite" or the reprint kind
    origin: int  # index of the original for planted reprints, else -1
    base_key: int  # index in the base corpus (to spot real duplicates in the source data), -1 for composites


def shared_data(arg: str | None) -> Path:
    """The shared data folder: --data, $YUQING_SHARED_DATA, or ../shared/data."""
    if arg:
        return Path(arg)
    env = os.environ.get("YUQING_SHARED_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[1].parent / "shared" / "data"


def load_texts(data: Path) -> tuple[list[str], list[str], list[tuple[str, str]]]:
    """Headlines, Weibo posts and (title, body) 12345 messages from the shared corpora."""
    headlines = [ln.split("\t", 1)[1].strip() for ln in (data / "nlpcc2017_headlines" / "headlines_36000.tsv")
                 .read_text(encoding="utf-8").splitlines()[1:] if "\t" in ln]
    with (data / "weibo_covid19_emotion" / "labeledData.csv").open(encoding="utf-8-sig", newline="") as fh:
        posts = [row["review"].strip() for row in csv.DictReader(fh) if row.get("review", "").strip()]
    messages: list[tuple[str, str]] = []
    for name in ("hot_issues_4326_unlabeled.jsonl", "replies_2816.jsonl", "labeled_495.jsonl"):
        for line in (data / "gov_messages_tipdm2020" / name).read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            messages.append((str(row.get("留言主题", "")), str(row.get("留言详情", ""))))
    return headlines, posts, messages


def edit(text: str, rng: random.Random, n: int) -> str:
    """Apply n random one-character substitutions, deletions or insertions."""
    chars = list(text)
    for _ in range(n):
        if len(chars) < 10:
            break
        pos = rng.randrange(len(chars))
        op = rng.random()
        if op < 0.5:
            chars[pos] = rng.choice(FILLER)
        elif op < 0.8:
            del chars[pos]
        else:
            chars.insert(pos, rng.choice(FILLER))
    return "".join(chars)


def make_reprint(orig: Item, rng: random.Random, headlines: list[str]) -> Item:
    """A planted reprint of orig: new headline plus a source line, edits or a dropped sentence."""
    text = orig.text
    kind = rng.random()
    name = "source_line" if kind < 0.35 else "edits" if kind < 0.7 else "dropped_sentence" if kind < 0.85 else "source_line+edits"
    if kind < 0.35:
        line = rng.choice(SOURCE_LINES).format(t=orig.title)
        text = f"{line}\n{text}" if rng.random() < 0.5 else f"{text}\n{line}"
    elif kind < 0.7:
        text = edit(text, rng, rng.randint(1, 3))
    elif kind < 0.85:
        sentences = [s for s in text.split("。") if s]
        text = "。".join(sentences[:-1]) + "。" if len(sentences) > 3 else edit(text, rng, 1)
    else:
        line = rng.choice(SOURCE_LINES).format(t=orig.title)
        text = f"{line}\n{edit(text, rng, rng.randint(1, 2))}"
    return Item(title=rng.choice(headlines), text=text, kind=name, origin=-2, base_key=-1)


def build(size: int, seed: int, headlines: list[str], posts: list[str], messages: list[tuple[str, str]]) -> list[Item]:
    """size items: base texts, composites to fill up, and ~3% planted reprints at the end."""
    rng = random.Random(seed)
    base: list[Item] = []
    for i, (t, body) in enumerate(messages):
        base.append(Item(t, body, "base", -1, i))
    off = len(messages)
    for i, p in enumerate(posts):
        base.append(Item(p[:20], p, "base", -1, off + i))
    off += len(posts)
    for i, h in enumerate(headlines):
        base.append(Item(h, h, "base", -1, off + i))
    rng.shuffle(base)
    n_reprints = size * 3 // 100
    n_base = size - n_reprints
    items = base[:n_base]
    while len(items) < n_base:
        # Composite "articles": a headline, a post and part of a message, as a longer news body.
        t = rng.choice(headlines)
        body = "。".join([t, rng.choice(posts), rng.choice(messages)[1][:200]])
        items.append(Item(t, body, "composite", -1, -1))
    rng.shuffle(items)
    candidates = [i for i, it in enumerate(items) if len(it.text) >= 60]
    out = list(items)
    for idx in rng.sample(candidates, min(n_reprints, len(candidates))):
        rp = make_reprint(items[idx], rng, headlines)
        rp.origin = idx
        out.append(rp)
    # Reprints arrive after their originals, interleaved with other items.
    head, tail = out[:n_base], out[n_base:]
    rng.shuffle(tail)
    return head + tail


def run(items: list[Item], n_bands: int, distance: int | None, measure_memory: bool) -> dict[str, object]:
    """Fingerprint and cluster items; time, memory and scores as a dict.

    distance None: the per-item distance of crawlers.dedup.near_duplicate_distance (NEAR_DUPLICATE_RULE),
    as the service uses it; an int: that fixed distance for every item.
    """
    t0, c0 = time.perf_counter(), time.process_time()
    signatures = [item_signature(it.title, it.text) for it in items]
    fps = [fp for fp, _ in signatures]
    limits = [near_duplicate_distance(n) if distance is None else distance for _, n in signatures]
    # Joins beyond BANDS - 1 need the same figures on both sides (crawlers.dedup.figures_agree).
    figs = [figures(it.title, it.text) for it in items]
    t_fp, c_fp = time.perf_counter() - t0, time.process_time() - c0
    gc.collect()
    t1, c1 = time.perf_counter(), time.process_time()
    index = NearDuplicateIndex(distance=max(limits, default=0), n_bands=n_bands)
    clusters = [
        index.add(i, fp, limit, accept=lambda j, i=i: figs[i] == figs[j])  # type: ignore[misc]
        for i, (fp, limit) in enumerate(zip(fps, limits, strict=True))
    ]
    t_cluster, c_cluster = time.perf_counter() - t1, time.process_time() - c1
    peak_mb = 0.0
    if measure_memory:
        tracemalloc.start()
        idx2 = NearDuplicateIndex(distance=max(limits, default=0), n_bands=n_bands)
        for i, (fp, limit) in enumerate(zip(fps, limits, strict=True)):
            idx2.add(i, fp, limit)
        peak_mb = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
        del idx2
    planted = [i for i, it in enumerate(items) if it.origin >= 0]
    recalled = {i for i in planted if clusters[i] == clusters[items[i].origin]}
    by_kind: dict[str, list[int]] = {}
    by_len: dict[str, list[int]] = {}
    for i in planted:
        n = len(items[items[i].origin].text)
        band = "<100" if n < 100 else "100-299" if n < 300 else ">=300"
        for table, key in ((by_kind, items[i].kind), (by_len, band)):
            table.setdefault(key, [0, 0])
            table[key][0] += i in recalled
            table[key][1] += 1
    joins = [i for i, c in enumerate(clusters) if c != i]
    correct = short = short_correct = 0
    for i in joins:
        a, b = _informative(items[i].text), _informative(items[clusters[i]].text)  # type: ignore[index]
        ok = i in recalled or (items[i].origin < 0 and jaccard3(a, b) >= 0.5)
        correct += ok
        if min(len(a), len(b)) < 20:
            short += 1
            short_correct += ok
    long_joins = len(joins) - short
    return {
        "items": len(items),
        "fingerprint_s": round(t_fp, 2),
        "cluster_s": round(t_cluster, 2),
        "total_s": round(t_fp + t_cluster, 2),
        # CPU seconds as well: wall time on a shared machine includes other processes' load.
        "fingerprint_cpu_s": round(c_fp, 2),
        "cluster_cpu_s": round(c_cluster, 2),
        "total_cpu_s": round(c_fp + c_cluster, 2),
        "peak_mb": round(peak_mb, 1),
        "planted": len(planted),
        "recall": round(len(recalled) / len(planted), 4) if planted else 0.0,
        "precision": round(correct / len(joins), 4) if joins else 1.0,
        "precision_20plus": round((correct - short_correct) / long_joins, 4) if long_joins else 1.0,
        "joins": len(joins),
        "short_text_joins": short,
        "recall_by_kind": {k: round(v[0] / v[1], 3) for k, v in sorted(by_kind.items())},
        "recall_by_length": {k: round(v[0] / v[1], 3) for k, v in sorted(by_len.items())},
    }


def jaccard3(a: str, b: str) -> float:
    """Character 3-gram Jaccard similarity: the reference judgement of 'near-duplicate'."""
    ga = {a[i : i + 3] for i in range(max(1, len(a) - 2))}
    gb = {b[i : i + 3] for i in range(max(1, len(b) - 2))}
    return len(ga & gb) / len(ga | gb) if ga | gb else 1.0


def main() -> int:
    """Run the benchmark; print the table and the JSON line."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data")
    ap.add_argument("--sizes", default="25000,50000,100000")
    ap.add_argument("--no-compare", action="store_true")
    args = ap.parse_args()
    data = shared_data(args.data)
    try:
        headlines, posts, messages = load_texts(data)
    except (OSError, ValueError, KeyError) as exc:
        print(f"cannot read shared data under {data}: {exc}", file=sys.stderr)
        print(json.dumps({"error": str(exc)}))
        return 1
    sizes = [int(s) for s in args.sizes.split(",")]
    results = []
    rule = {"from_chars_distance": [list(step) for step in NEAR_DUPLICATE_RULE],
            "max_distance": MAX_NEAR_DUPLICATE_DISTANCE, "probe": "band value and its 1-bit neighbours"}
    print(f"BANDS={BANDS} distance by length (from chars, distance)={list(NEAR_DUPLICATE_RULE)} "
          f"(fixed NEAR_DUPLICATE_DISTANCE={NEAR_DUPLICATE_DISTANCE} for comparison)")
    print(f"{'items':>8} {'fp s':>7} {'cluster s':>9} {'total s':>8} {'cpu s':>7} {'peak MB':>8} {'planted':>8} {'recall':>7} {'precision':>9} {'prec 20+':>8} {'joins':>6} {'short':>6}")
    for size in sizes:
        items = build(size, 42, headlines, posts, messages)
        r = run(items, BANDS, None, True)
        results.append(r)
        print(f"{r['items']:>8} {r['fingerprint_s']:>7} {r['cluster_s']:>9} {r['total_s']:>8} {r['total_cpu_s']:>7} {r['peak_mb']:>8} "
              f"{r['planted']:>8} {r['recall']:>7} {r['precision']:>9} {r['precision_20plus']:>8} {r['joins']:>6} "
              f"{r['short_text_joins']:>6}")
        print(f"{'':>8} recall by kind {r['recall_by_kind']}  by original length {r['recall_by_length']}")
    growth = None
    if len(results) >= 2 and results[0]["total_cpu_s"] > 0:
        ratio = results[-1]["items"] / results[0]["items"]
        growth = round((results[-1]["total_cpu_s"] / results[0]["total_cpu_s"]) / ratio, 2)
        cgrowth = round((results[-1]["cluster_cpu_s"] / max(results[0]["cluster_cpu_s"], 1e-3)) / ratio, 2)
        print(f"CPU time growth relative to linear ({results[0]['items']}→{results[-1]['items']}): "
              f"total {growth}, clustering alone {cgrowth} (1.0 = linear)")
    compare = []
    if not args.no_compare:
        items = build(sizes[0], 42, headlines, posts, messages)
        print(f"\nband/distance alternatives at {sizes[0]} items:")
        print(f"{'bands':>6} {'dist':>5} {'cluster s':>9} {'recall':>7} {'precision':>9} {'prec 20+':>8}")
        for n_bands, dist in ((2, 1), (4, 2), (4, 3), (4, 5), (4, 7), (8, 5), (8, 7)):
            r = run(items, n_bands, dist, False)
            compare.append({"bands": n_bands, "distance": dist, **r})
            print(f"{n_bands:>6} {dist:>5} {r['cluster_s']:>9} {r['recall']:>7} {r['precision']:>9} {r['precision_20plus']:>8}")
    print(json.dumps({"bands": BANDS, "distance": "by length", "rule": rule, "sizes": results,
                      "growth_vs_linear": growth, "alternatives": compare}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
