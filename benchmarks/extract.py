"""Extraction cost per page: postcrawl's extract + normalize against bare trafilatura.

    python benchmarks/extract.py [--rounds N]

Pages: every fixture page under tests/fixtures/. Prints ms per page for
(a) bare ``trafilatura.extract(html)``, (b) the pipeline with the site rules (what a crawl runs),
(c) the pipeline forced onto its whole-page trafilatura fallback (an unknown site), and the
ratios to (a). Target: (b) ≤ 1.3 × (a).
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
        start = time.perf_counter()
        for html, url in pages:
            fn(html, url)
        samples.append((time.perf_counter() - start) * 1000 / len(pages))
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()

    pages = [(fx.html.read_bytes(), fx.url) for fx in page_fixtures()]
    normalized_body(["預熱"])  # build OpenCC's tables before timing

    def bare(html: bytes, url: str) -> object:
        return trafilatura.extract(html, url=url, output_format="txt")

    def pipeline(html: bytes, url: str) -> object:
        return normalize_extracted(extract_article(html, url))

    def fallback(html: bytes, url: str) -> object:
        return normalize_extracted(extract_article(html, "http://unknown.example/a.html"))

    for fn in (bare, pipeline, fallback):  # warm-up
        per_page_ms(fn, pages, 1)
    bare_ms = per_page_ms(bare, pages, args.rounds)
    pipe_ms = per_page_ms(pipeline, pages, args.rounds)
    fall_ms = per_page_ms(fallback, pages, args.rounds)
    print(f"pages: {len(pages)} fixture pages, {args.rounds} rounds (median)")
    print(f"bare trafilatura.extract          {bare_ms:7.2f} ms/page")
    print(
        f"pipeline, site rules (crawl path) {pipe_ms:7.2f} ms/page   ratio {pipe_ms / bare_ms:.2f}x (target <= 1.30x)"
    )
    print(
        f"pipeline, trafilatura fallback    {fall_ms:7.2f} ms/page   ratio {fall_ms / bare_ms:.2f}x"
    )


if __name__ == "__main__":
    main()
