"""Extraction cost per page: postcrawl's extract + normalize against bare trafilatura.

    python benchmarks/extract.py [--rounds N]

Pages: every fixture page under tests/fixtures/. Prints CPU ms per page (median of rounds,
``time.process_time``, so another process on the machine does not count) for
(a) bare ``trafilatura.extract(html)`` with its defaults, (a') bare trafilatura with the options
the pipeline's fallback passes (tables in, comments out, no deduplication), (b) the pipeline with
the site rules (what a crawl of a known site runs), (c) the pipeline forced onto its whole-page
trafilatura fallback (an unknown site: decode, parse, title and metadata, trafilatura, the chrome
filter, normalization), and the ratios of (b) and (c) to (a) and (a'). Target: (c) ≤ 1.0 × (a).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import trafilatura

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from postcrawl.article_text import normalize_extracted  # noqa: E402
from postcrawl.chinese_text import normalized_body  # noqa: E402
from postcrawl.extraction import extract_article  # noqa: E402
from tests.conftest import page_fixtures  # noqa: E402


def per_page_ms(
    fn: Callable[[bytes, str], object], pages: list[tuple[bytes, str]], rounds: int
) -> float:
    """Median over rounds of the mean ms per page."""
    samples = []
    for _ in range(rounds):
        start = time.process_time()
        for html, url in pages:
            fn(html, url)
        samples.append((time.process_time() - start) * 1000 / len(pages))
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()

    pages = [(fx.html.read_bytes(), fx.url) for fx in page_fixtures()]
    normalized_body(["預熱"])  # build OpenCC's tables before timing

    def bare(html: bytes, url: str) -> object:
        return trafilatura.extract(html, url=url, output_format="txt")

    def bare_same(html: bytes, url: str) -> object:
        return trafilatura.extract(
            html,
            url=url,
            output_format="txt",
            include_comments=False,
            include_tables=True,
            deduplicate=False,
        )

    def pipeline(html: bytes, url: str) -> object:
        return normalize_extracted(extract_article(html, url))

    def fallback(html: bytes, url: str) -> object:
        return normalize_extracted(extract_article(html, "http://unknown.example/a.html"))

    for fn in (bare, bare_same, pipeline, fallback):  # warm-up
        per_page_ms(fn, pages, 1)
    bare_ms = per_page_ms(bare, pages, args.rounds)
    same_ms = per_page_ms(bare_same, pages, args.rounds)
    pipe_ms = per_page_ms(pipeline, pages, args.rounds)
    fall_ms = per_page_ms(fallback, pages, args.rounds)
    print(f"pages: {len(pages)} fixture pages, {args.rounds} rounds (median CPU time)")
    print(f"(a)  bare trafilatura.extract, defaults      {bare_ms:6.2f} ms/page")
    print(f"(a') bare trafilatura, the fallback's options {same_ms:6.2f} ms/page")
    for label, ms in (("(b)  pipeline, site rules (crawl path)", pipe_ms),
                      ("(c)  pipeline, trafilatura fallback", fall_ms)):  # fmt: skip
        print(
            f"{label:<45} {ms:6.2f} ms/page   {ms / bare_ms:.2f}x (a)   {ms / same_ms:.2f}x (a')"
        )
    print("target: (c) <= 1.00x (a)")


if __name__ == "__main__":
    main()
