"""Run the crawlers' fetch path over every feed and page in ../shared/data, served on 127.0.0.1.

Feeds: feed_rs_fixtures (RSS 0.9x/1.0/2.0, Atom, JSON Feed, invalid and odd-encoding feeds; entry
counts and titles compared with the fixtures' expected parse) and cn_atom_feeds_silent123126
(incl. history/, also re-polled to check that canonical URLs and content hashes are stable and
that the snapshots overlap). Pages: gne_html_pages and readability_zh_pages through fetch_page.
Files are served WITHOUT a charset in Content-Type, so charset handling is exercised for real.

Prints parsed/failed counts with reasons, mojibake counts on the GB2312/GBK pages (U+FFFD and
typical mojibake sequences in extracted title+text), and character-level F1 of the extracted body
against the readability gold bodies (expected.html). Last line: one JSON object.
Usage: .venv/bin/python bench/crawl_corpus.py [--data PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawlers.charset import declared_charset
from crawlers.feeds import fetch_feed
from crawlers.fetch import make_client
from crawlers.pages import extract_article, fetch_page
from crawlers.text import html_to_text
from crawlers.types import SourceKind, SourceSpec

NOW = datetime(2026, 2, 1, tzinfo=UTC)
# Sequences that appear when UTF-8 is read as Latin-1/GBK or GBK as UTF-8.
MOJIBAKE = re.compile(r"\ufffd|锟斤拷|烫烫烫|Ã.|Â.|â€|ï¼|ã€|æ[\x80-\xbf]|å[\x80-\xbf]|鍙|鏄|鐨|浜\u0086|瀹|锛|銆")
GB_NAMES = {"gb2312", "gbk", "gb18030", "x-gbk", "cp936"}


class QuietHandler(SimpleHTTPRequestHandler):
    """Static files with no charset in Content-Type and no logging."""

    extensions_map: ClassVar[dict[str, str]] = {".xml": "application/xml", ".html": "text/html", ".htm": "text/html",
                      ".json": "application/json", "": "application/octet-stream"}

    def log_message(self, format: str, *args: object) -> None:
        """Keep the benchmark output clean."""
        return


def shared_data(arg: str | None) -> Path:
    """The shared data folder: --data, $YUQING_SHARED_DATA, or ../shared/data."""
    if arg:
        return Path(arg)
    env = os.environ.get("YUQING_SHARED_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[1].parent / "shared" / "data"


def char_f1(pred: str, gold: str) -> tuple[float, float, float]:
    """Bag-of-characters precision, recall and F1, whitespace ignored."""
    p = Counter(c for c in pred if not c.isspace())
    g = Counter(c for c in gold if not c.isspace())
    overlap = sum((p & g).values())
    if not overlap:
        return 0.0, 0.0, 0.0
    prec, rec = overlap / sum(p.values()), overlap / sum(g.values())
    return prec, rec, 2 * prec * rec / (prec + rec)


def reason_of(error: str | None) -> str:
    """A short failure reason for grouping."""
    if not error:
        return "?"
    if "无法解析订阅源" in error or "unparseable" in error:
        return "unparseable feed: " + error.split(":", 2)[-1].strip()[:60].split(" @ ")[0]
    error = error.split(" @ ", 1)[0]
    if "not a feed" in error:
        return "not a feed"
    if "未能提取正文" in error:
        return "no body extracted"
    return error[:80]


def main() -> int:
    """Serve the corpora, run the fetch path, print the table and the JSON line."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data")
    args = ap.parse_args()
    data = shared_data(args.data)
    if not data.is_dir():
        print(f"no shared data at {data}", file=sys.stderr)
        print(json.dumps({"error": f"no shared data at {data}"}))
        return 1
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(data)))
    threading.Thread(target=server.serve_forever, args=(0.1,), daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    client = make_client(timeout_s=20)
    t0 = time.perf_counter()

    feed_files = sorted(
        [p for p in (data / "feed_rs_fixtures").rglob("*") if p.is_file() and p.suffix in (".xml", ".json")
         and not p.name.endswith(".serde.json")]
        + sorted((data / "cn_atom_feeds_silent123126").rglob("*.xml"))
    )
    feed_rows = []
    count_match = count_total = title_match = title_total = 0
    for path in feed_files:
        rel = path.relative_to(data).as_posix()
        spec = SourceSpec(id=rel, name=rel, kind=SourceKind.FEED, url=base + rel)
        out = fetch_feed(spec, None, None, NOW, client=client)
        row = {"file": rel, "ok": out.ok, "items": len(out.items), "flags": list(out.flags), "error": out.error}
        serde = path.with_name(path.name.rsplit(".", 1)[0] + ".serde.json")
        if serde.exists() and out.ok:
            expected = json.loads(serde.read_text(encoding="utf-8")).get("entries", [])
            count_total += 1
            count_match += len(expected) == len(out.items)
            got = {i.title for i in out.items}
            for e in expected:
                t = (e.get("title") or {}).get("content")
                if t:
                    title_total += 1
                    title_match += " ".join(html_to_text(t).split()) in got
        feed_rows.append(row)

    # Re-poll the Chinese feeds: identity must be stable, and history snapshots must overlap.
    cn = [r for r in feed_rows if r["file"].startswith("cn_atom") and r["ok"]]
    stable = True
    seen_urls: dict[str, set[str]] = {}
    for r in cn:
        spec = SourceSpec(id=r["file"], name=r["file"], kind=SourceKind.FEED, url=base + r["file"])
        a = fetch_feed(spec, None, None, NOW, client=client)
        b = fetch_feed(spec, None, None, NOW, client=client)
        stable &= [(i.canonical_url, i.content_hash) for i in a.items] == [(i.canonical_url, i.content_hash) for i in b.items]
        seen_urls[r["file"]] = {i.canonical_url for i in a.items}
    hist = sorted(k for k in seen_urls if "/history/" in k)
    union = set().union(*(seen_urls[k] for k in hist)) if hist else set()
    total_hist = sum(len(seen_urls[k]) for k in hist)

    page_files = sorted((data / "gne_html_pages").rglob("*.html")) + sorted(
        (data / "readability_zh_pages").rglob("source.html"))
    page_rows = []
    gb_pages = gb_mojibake_pages = gb_mojibake_hits = naive_hits = 0
    all_mojibake_hits = 0
    for path in page_files:
        rel = path.relative_to(data).as_posix()
        out = fetch_page(base + rel, NOW, client=client, check_robots=False)
        declared = (declared_charset(path.read_bytes(), None) or "").lower()
        text = (out.items[0].title + "\n" + out.items[0].text) if out.items else ""
        # U+FFFD already present in the saved file is the site's, not ours: count it apart.
        in_source = path.read_bytes().count(b"\xef\xbf\xbd")
        hits = max(0, len(MOJIBAKE.findall(text)) - in_source)
        all_mojibake_hits += hits
        if declared in GB_NAMES:
            # Contrast: what trusting the declaration would have produced.
            naive = extract_article(path.read_bytes().decode("gb18030", "replace"), base + rel, NOW)
            naive_hits += max(0, len(MOJIBAKE.findall(naive.title + naive.text)) - in_source)
            gb_pages += 1
            gb_mojibake_hits += hits
            gb_mojibake_pages += hits > 0
        page_rows.append({"file": rel, "ok": out.ok, "declared": declared, "flags": list(out.flags),
                          "chars": len(text), "mojibake": hits, "error": out.error,
                          "title": out.items[0].title if out.items else ""})

    gold_rows = []
    for d in sorted((data / "readability_zh_pages" / "test" / "test-pages").iterdir()):
        src, gold = d / "source.html", d / "expected.html"
        if not (src.exists() and gold.exists()):
            continue
        from crawlers.charset import decode_body

        art = extract_article(decode_body(src.read_bytes()).text, base + d.name, NOW)
        gold_text = html_to_text(gold.read_text(encoding="utf-8"))
        p, r, f = char_f1(art.text, gold_text)
        meta = json.loads((d / "expected-metadata.json").read_text(encoding="utf-8"))
        gold_rows.append({"page": d.name, "precision": round(p, 3), "recall": round(r, 3), "f1": round(f, 3),
                          "title": art.title, "gold_title": meta.get("title")})
    elapsed = time.perf_counter() - t0
    server.shutdown()
    client.close()

    print("== feeds ==")
    for r in feed_rows:
        mark = "ok " if r["ok"] else "ERR"
        print(f"{mark} {r['items']:>4}  {r['file']:<70} {','.join(r['flags'])} {'' if r['ok'] else reason_of(r['error'])}")
    feeds_ok = sum(r["ok"] for r in feed_rows)
    feed_fail = Counter(reason_of(r["error"]) for r in feed_rows if not r["ok"])
    flagged = Counter(f for r in feed_rows for f in r["flags"])
    print(f"feeds parsed {feeds_ok}/{len(feed_rows)}, failed {len(feed_rows) - feeds_ok}: {dict(feed_fail)}")
    print(f"feed flags: {dict(flagged)}")
    print(f"entry count equals the fixture's expected parse: {count_match}/{count_total}; titles found: {title_match}/{title_total}")
    print(f"cn feeds: identity stable on re-poll: {stable}; history snapshots {len(hist)}: {total_hist} entries, {len(union)} distinct canonical URLs")
    print("\n== pages ==")
    for r in page_rows:
        mark = "ok " if r["ok"] else "ERR"
        print(f"{mark} {r['chars']:>6} moj={r['mojibake']:<3} {r['declared'] or '-':<8} {r['file']:<60} {r['title'][:30]} {','.join(r['flags'])} {'' if r['ok'] else reason_of(r['error'])}")
    pages_ok = sum(r["ok"] for r in page_rows)
    page_fail = Counter(reason_of(r["error"]) for r in page_rows if not r["ok"])
    print(f"pages parsed {pages_ok}/{len(page_rows)}, failed {len(page_rows) - pages_ok}: {dict(page_fail)}")
    print(f"GB2312/GBK-declared pages: {gb_pages}; with mojibake: {gb_mojibake_pages}; mojibake hits: {gb_mojibake_hits} "
          f"(all pages: {all_mojibake_hits}); trusting the declaration instead would give {naive_hits} hits")
    print("\n== body extraction vs readability gold ==")
    for g in gold_rows:
        print(f"{g['page']:<8} P={g['precision']:.3f} R={g['recall']:.3f} F1={g['f1']:.3f}  title: {g['title'][:40]}")
    mean_f1 = round(sum(g["f1"] for g in gold_rows) / len(gold_rows), 3) if gold_rows else None
    print(f"mean F1 {mean_f1}   ({elapsed:.1f}s total)")
    if not feed_rows or not page_rows or not gold_rows:
        print(json.dumps({"error": "nothing measured"}))
        return 1
    print(json.dumps({
        "feeds_total": len(feed_rows), "feeds_parsed": feeds_ok, "feeds_failed": dict(feed_fail),
        "feed_flags": dict(flagged), "entry_count_match": [count_match, count_total],
        "titles_found": [title_match, title_total], "cn_identity_stable": stable,
        "history_entries": total_hist, "history_distinct_urls": len(union),
        "pages_total": len(page_rows), "pages_parsed": pages_ok, "pages_failed": dict(page_fail),
        "gb_pages": gb_pages, "gb_pages_with_mojibake": gb_mojibake_pages, "gb_mojibake_hits": gb_mojibake_hits,
        "gb_mojibake_hits_if_declaration_trusted": naive_hits,
        "all_pages_mojibake_hits": all_mojibake_hits,
        "readability_f1": {g["page"]: g["f1"] for g in gold_rows}, "readability_mean_f1": mean_f1,
        "seconds": round(elapsed, 1),
    }, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
