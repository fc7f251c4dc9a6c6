"""Benchmark: search latency and export throughput on a large synthetic index.

    python benchmarks/corpus.py            # 200,000 articles (a few minutes to build)
    python benchmarks/corpus.py --quick    # 20,000 articles, well under two minutes

Builds an ``index.sqlite3`` of synthetic articles whose text is recombined from the seed
articles' clauses (the fixture pages' bodies), spread over 2015-2025 and every site row, with
rows inserted straight through ``postcrawl.index`` helpers (no article files: the readers
only use the index). Then measures, through the same functions the commands use:

- ``postcrawl search`` with a 4-character query (target: p95 <= 100 ms), over many queries
  drawn from the corpus text, so common and rare words both count; also 2-character queries
  (the LIKE fallback) and a filtered search, for comparison;
- ``postcrawl stats``;
- ``postcrawl export`` throughput in rows/s for JSONL, CSV and Parquet.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from postcrawl import index  # noqa: E402
from postcrawl.archive import INDEX  # noqa: E402
from postcrawl.reader import Corpus, Filters  # noqa: E402
from postcrawl.reader.export import export  # noqa: E402
from postcrawl.sites import SITES  # noqa: E402

TARGET_P95_MS = 100.0
_CLAUSE = re.compile(r"[^,。;!?、:]+[,。;!?、:]?")
_CJK = re.compile(r"^[\u4e00-\u9fff]+$")


def seed_clauses() -> list[str]:
    """Every clause of the seed articles' bodies (the fixture pages' expected paragraphs)."""
    clauses: list[str] = []
    for path in sorted((ROOT / "tests" / "fixtures").glob("*/*.json")):
        for paragraph in json.loads(path.read_text(encoding="utf-8"))["paragraphs"]:
            clauses += [c for c in _CLAUSE.findall(paragraph) if len(c) >= 4]
    return clauses


PLACES = [
    "河源",
    "梅州",
    "茂名",
    "潮州",
    "衡阳",
    "德州",
    "阳泉",
    "晋城",
    "太原",
    "大同",
    "长沙",
    "济南",
    "青岛",
    "广州",
    "深圳",
    "成都",
    "西安",
    "兰州",
    "南宁",
    "昆明",
]
TOPICS = [
    "召开政企联席会",
    "调研督导农村寄递物流",
    "推进快递进村工作",
    "开展寄递安全检查",
    "部署旺季服务保障",
    "召开邮政普遍服务监督管理工作会议",
    "推进绿色包装",
    "开展“扫黄打非”工作",
    "召开党建工作会议",
    "发布快递发展指数",
]


def synthetic_rows(n: int, rng: random.Random) -> list[dict]:
    """*n* ``articles`` rows with realistic Chinese text, dates, sites and provinces."""
    clauses = seed_clauses()
    sites = list(SITES.values())
    rows = []
    for i in range(n):
        site = rng.choice(sites)
        year = rng.randint(2015, 2025)
        day = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        title = f"{rng.choice(PLACES)}市邮政管理局{rng.choice(TOPICS)}"
        paragraphs = []
        for _ in range(rng.randint(3, 7)):
            text = "".join(rng.choice(clauses) for _ in range(rng.randint(3, 6)))
            paragraphs.append(text.rstrip(",、:;") + "。")
        paragraphs[0] = f"{day[5:7].lstrip('0')}月{day[8:].lstrip('0')}日,{paragraphs[0]}"
        paragraphs.append(f"(通讯员:编号{i})")  # every body unique, as in the archive
        body_hash = hashlib.sha256("".join(paragraphs).encode()).hexdigest()[:16]
        record = {
            "hash": body_hash,
            "path": f"{day.replace('-', '/')}/{i % 1000:03d}_{body_hash}.txt",
            "title": title,
            "published": day,
            "source": site.display_name,
            "site": site.name,
            "province": site.province,
            "url": f"http://{site.domain}/a/{i}.html",
            "official": site.official,
            "crawled_at": "2025-06-01T00:00:00Z",
        }
        rows.append(index.article_row(record, paragraphs))
    return rows


def build(db: Path, n: int, seed: int) -> float:
    """Create the index with *n* articles; returns the seconds it took."""
    started = time.perf_counter()
    rng = random.Random(seed)
    conn = index.connect(db)
    batch = 5000
    for start in range(0, n, batch):
        rows = synthetic_rows(min(batch, n - start), rng)
        with index.transaction(conn):
            for row in rows:
                index.insert_article(conn, row)
        print(f"\r  built {start + len(rows):,}/{n:,}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    conn.execute("INSERT INTO articles_fts(articles_fts) VALUES ('optimize')")
    conn.execute("ANALYZE")
    conn.close()
    return time.perf_counter() - started


def sample_queries(corpus: Corpus, length: int, count: int, rng: random.Random) -> list[str]:
    """*count* Chinese substrings of *length* characters taken from random articles' text."""
    bodies = [
        r[0]
        for r in corpus.conn.execute(
            "SELECT body FROM articles WHERE rowid IN (SELECT rowid FROM articles "
            "ORDER BY random() LIMIT ?)",
            (count * 3,),
        )
    ]
    queries: list[str] = []
    while len(queries) < count and bodies:
        body = rng.choice(bodies)
        start = rng.randrange(0, max(1, len(body) - length))
        candidate = body[start : start + length]
        if _CJK.match(candidate) and len(candidate) == length:
            queries.append(candidate)
    return queries


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def latency(label: str, queries: list[str], run: Callable[[str], list]) -> float:
    """Run each query (after one warm-up pass over a few); print and return the p95 in ms."""
    for q in queries[:5]:
        run(q)
    times, hits = [], []
    for q in queries:
        started = time.perf_counter()
        hits.append(len(run(q)))
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    print(
        f"{label:<40} n={len(times):>4}  p50 {statistics.median(times):7.1f} ms  "
        f"p95 {p95:7.1f} ms  max {times[-1]:7.1f} ms  "
        f"(hits per query: median {statistics.median(hits):.0f}, max {max(hits)})"
    )
    return p95


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="20,000 articles instead of 200,000")
    parser.add_argument("--articles", type=int, help="how many articles (overrides --quick)")
    parser.add_argument("--queries", type=int, default=200, help="4-character queries to time")
    parser.add_argument("--keep", type=Path, help="build (or reuse) the index in this folder")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    n = args.articles or (20_000 if args.quick else 200_000)
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="postcrawl-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / INDEX
    rng = random.Random(args.seed)
    try:
        if db.exists():
            print(f"reusing {db}")
        else:
            print(f"building {n:,} synthetic articles in {db} …")
            seconds = build(db, n, args.seed)
            print(f"built in {seconds:.1f} s ({n / seconds:,.0f} rows/s with FTS)")
        size_mb = sum(p.stat().st_size for p in workdir.glob(f"{INDEX}*")) / 1e6
        with Corpus(workdir) as corpus:
            total = corpus.count()
            print(f"index: {total:,} articles, {size_mb:,.0f} MB\n")
            q4 = sample_queries(corpus, 4, args.queries, rng)
            q2 = sample_queries(corpus, 2, 50, rng)
            p95 = latency("search, 4-char query (limit 20)", q4, lambda q: corpus.search(q))
            latency(
                "search, 4-char query, --site gd_spb --since 2020",
                q4[:50],
                lambda q: corpus.search(q, Filters(sites=("gd_spb",), since="2020")),
            )
            latency("search, 2-char query (LIKE fallback)", q2, lambda q: corpus.search(q))
            print(f"stats: {timed(corpus.stats):.0f} ms")
            for fmt in ("jsonl", "csv", "parquet"):
                out = workdir / f"export.{fmt}"
                started = time.perf_counter()
                rows = export(corpus.iter_batches(batch_size=2000), fmt, out)
                seconds = time.perf_counter() - started
                print(
                    f"export {fmt:<8} {rows:,} rows in {seconds:5.1f} s: "
                    f"{rows / seconds:,.0f} rows/s ({out.stat().st_size / 1e6:,.0f} MB)"
                )
                out.unlink()
        verdict = "meets" if p95 <= TARGET_P95_MS else "MISSES"
        print(
            f"\n4-char search p95 {p95:.1f} ms vs target {TARGET_P95_MS:.0f} ms: {verdict} "
            f"(ratio {p95 / TARGET_P95_MS:.2f})"
        )
        return 0
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
