"""Benchmark of the near-duplicate index: insert and query time per article, resident memory.

Synthetic Chinese articles (sentences of common characters, 600–1,400 characters each) go into
a :class:`postcrawl.neardup.NearDupIndex` in a fresh SQLite file, committed in batches of 1,000
as a crawl would. Every 50th article is followed by a repost of it (a lead sentence added, an
editor line appended), which must be found. Targets: ≤ 5 ms per article, ≤ 1 GB resident.

    python benchmarks/dedupe.py            # 100,000 articles
    python benchmarks/dedupe.py --quick    # 10,000 articles
"""

from __future__ import annotations

import argparse
import resource
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from postcrawl import neardup

COMMON = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严龙飞邮政递寄件服务管理局"


def synthetic_article(rng: np.random.Generator) -> str:
    chars = np.frombuffer(COMMON.encode("utf-32-le"), dtype=np.uint32)
    sentences = []
    for _ in range(rng.integers(25, 60)):
        sentence = rng.choice(chars, size=rng.integers(15, 35))
        sentences.append(sentence.astype("<u4").tobytes().decode("utf-32-le") + "。")
    return "".join(sentences)


def repost_of(text: str) -> str:
    return "记者从省邮政管理局获悉，近日召开了有关会议。" + text + "编辑王芳审核李强"


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 articles instead of 100,000")
    parser.add_argument("-n", type=int, default=None, help="number of articles")
    args = parser.parse_args()
    n = args.n or (10_000 if args.quick else 100_000)
    rng = np.random.default_rng(7)

    with tempfile.TemporaryDirectory() as tmp:
        conn = sqlite3.connect(Path(tmp) / "index.sqlite3", isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        index = neardup.NearDupIndex(conn)
        insert_s = query_s = 0.0
        queries = found = false_hits = reposts = chars = 0
        conn.execute("BEGIN")
        for i in range(n):
            text = synthetic_article(rng)
            chars += len(text)
            t0 = time.perf_counter()
            hits = index.candidates(text)  # what the dedupe step asks before storing
            t1 = time.perf_counter()
            index.add(f"{i:016x}", text)
            t2 = time.perf_counter()
            query_s += t1 - t0
            insert_s += t2 - t1
            queries += 1
            false_hits += sum(1 for c in hits if c.estimate >= neardup.THRESHOLD)
            if i % 50 == 0:
                t0 = time.perf_counter()
                hits = index.candidates(repost_of(text))
                query_s += time.perf_counter() - t0
                queries += 1
                reposts += 1
                found += any(c.body_hash == f"{i:016x}" for c in hits)
            if i % 1000 == 999:
                conn.execute("COMMIT")
                conn.execute("BEGIN")
            if i and i % 20_000 == 0:
                print(f"  {i:,} articles …", flush=True)
        conn.execute("COMMIT")
        size_mb = (Path(tmp) / "index.sqlite3").stat().st_size / 2**20
        conn.close()

    insert_ms = insert_s / n * 1000
    query_ms = query_s / queries * 1000
    per_article = insert_ms + query_ms
    peak = rss_mb()
    print(f"articles indexed        {n:,} (mean {chars / n:,.0f} characters)")
    print(f"insert                  {insert_ms:.3f} ms/article")
    print(f"query                   {query_ms:.3f} ms/query ({queries:,} queries)")
    print(
        f"query + insert          {per_article:.3f} ms/article  (target ≤ 5 ms: {per_article / 5:.2f}×)"
    )
    print(f"reposts found           {found}/{reposts}")
    print(f"false matches ≥ {neardup.THRESHOLD}    {false_hits}")
    print(f"index size on disk      {size_mb:,.1f} MiB")
    print(f"peak resident memory    {peak:,.0f} MiB  (target ≤ 1024 MiB: {peak / 1024:.2f}×)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
