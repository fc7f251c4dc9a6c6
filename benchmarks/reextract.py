"""Re-extraction throughput: ``postcrawl reextract`` (dry run) with 1 worker against all cores.

    python benchmarks/reextract.py [--records 2000] [--pairs 3]

Builds a WARC of *records* article responses written with the project's
:class:`postcrawl.warc.WarcRecorder` from the pages of a bureau mirror (no faults; generated
articles of four paragraphs, as a mirror crawl records them, with the real URL and the list's
hints), beside an empty archive. Then runs the whole dry run (read the WARC, extract and
normalize every page, compare with the index) in paired runs: each pair runs 1 worker and
``os.cpu_count()`` workers, alternating which goes first. Prints pages/s per run, the medians
with min–max, and the speed-up (median of the per-pair ratios).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from scrapy import Request, Spider
from scrapy.http import HtmlResponse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from postcrawl.archive import ArchiveStore  # noqa: E402
from postcrawl.cli.reextract import reextract_archive  # noqa: E402
from postcrawl.extraction import PageHints  # noqa: E402
from postcrawl.mirror.bureau import BureauMirror  # noqa: E402
from postcrawl.siteroots import SiteRoots  # noqa: E402
from postcrawl.sites import SITES  # noqa: E402
from postcrawl.warc import WarcRecorder  # noqa: E402

MIRROR = "http://127.0.0.1:8000"
REAL = "https://gd.spb.gov.cn"


class _Spider(Spider):
    name = "gd_spb"
    site = SITES["gd_spb"]

    roots = SiteRoots(REAL, MIRROR)

    def parse_article(self, response: Any, hints: PageHints) -> None:
        return None


def build(root: Path, records: int) -> None:
    """An empty archive and one WARC of *records* article responses."""
    ArchiveStore(root, fsync=False).close()
    mirror = BureauMirror("gd", articles=records, faults=False)
    spider = _Spider()
    recorder = WarcRecorder(root, "gd_spb", fsync=False)
    for article in mirror.articles:
        body, content_type = mirror.article_page(article)
        url = MIRROR + article.home_path
        hints = PageHints(article.title, article.published.strftime("%Y-%m-%d %H:%M"))
        request = Request(url, callback=spider.parse_article, cb_kwargs={"hints": hints})
        response = HtmlResponse(
            url, body=body, headers={"Content-Type": content_type}, request=request
        )
        recorder.write(response, request, spider)
    recorder.spider_closed(spider)


def once(root: Path, workers: int) -> float:
    """Pages per second of one dry run."""
    start = time.perf_counter()
    report, _ = reextract_archive(root, workers=workers)
    seconds = time.perf_counter() - start
    return report.pages / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--pairs", type=int, default=3)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "data"
        started = time.perf_counter()
        build(root, args.records)
        size = sum(p.stat().st_size for p in (root / "warc").iterdir())
        print(
            f"WARC: {args.records} article responses, {size / 1e6:.1f} MB "
            f"(built in {time.perf_counter() - started:.1f} s); CPUs: {cores}"
        )
        once(root, 1)  # warm-up: OpenCC tables, page cache
        single: list[float] = []
        multi: list[float] = []
        for pair in range(args.pairs):
            order = (1, cores) if pair % 2 == 0 else (cores, 1)
            rates = {w: once(root, w) for w in order}
            single.append(rates[1])
            multi.append(rates[cores])
            print(
                f"pair {pair + 1}: 1 worker {rates[1]:6.1f} pages/s, "
                f"{cores} workers {rates[cores]:6.1f} pages/s "
                f"(ran {order[0]} first), ratio {rates[cores] / rates[1]:.2f}x"
            )
    ratios = [m / s for s, m in zip(single, multi, strict=True)]
    print(
        f"1 worker:   median {statistics.median(single):6.1f} pages/s "
        f"(min {min(single):.1f}, max {max(single):.1f})"
    )
    print(
        f"{cores} workers:  median {statistics.median(multi):6.1f} pages/s "
        f"(min {min(multi):.1f}, max {max(multi):.1f})"
    )
    print(
        f"speed-up: median {statistics.median(ratios):.2f}x "
        f"(min {min(ratios):.2f}x, max {max(ratios):.2f}x) over {args.pairs} pairs"
    )


if __name__ == "__main__":
    main()
