"""Extraction cost per page: postcrawl's extract + normalize against bare trafilatura.

    python benchmarks/extract.py [--rounds N]

Pages: every fixture page under tests/fixtures/. Each round times every path once, in turn
(paired rounds), and prints the median CPU ms per page (``time.process_time``: time other
processes take does not count, though they still slow this one down) and the median and range
of the per-round ratios, for
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


def one_round_ms(fn: Callable[[bytes, str], object], pages: list[tuple[bytes, str]]) -> float:
    """CPU ms per page for one pass over *pages*."""
    start = time.process_time()
    for html, url in pages:
        fn(html, url)
    return (time.process_time() - start) * 1000 / len(pages)


def paired_rounds(
    fns: dict[str, Callable[[bytes, str], object]], pages: list[tuple[bytes, str]], rounds: int
) -> dict[str, list[float]]:
    """Each round times every path once, one after the other, so that a change in the
    machine's load touches all of them alike; the ratios are taken within a round."""
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            samples[name].append(one_round_ms(fn, pages))
    return samples


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

    fns = {"bare": bare, "same": bare_same, "pipeline": pipeline, "fallback": fallback}
    paired_rounds(fns, pages, 1)  # warm-up
    samples = paired_rounds(fns, pages, args.rounds)
    ms = {name: statistics.median(values) for name, values in samples.items()}

    def ratio(name: str, base: str) -> str:
        values = [a / b for a, b in zip(samples[name], samples[base], strict=True)]
        return f"{statistics.median(values):.2f}x ({min(values):.2f}–{max(values):.2f})"

    print(f"pages: {len(pages)} fixture pages, {args.rounds} paired rounds (median CPU time)")
    print(f"(a)  bare trafilatura.extract, defaults        {ms['bare']:6.2f} ms/page")
    print(f"(a') bare trafilatura, the fallback's options   {ms['same']:6.2f} ms/page")
    for label, name in (("(b)  pipeline, site rules (crawl path)", "pipeline"),
                        ("(c)  pipeline, trafilatura fallback", "fallback")):  # fmt: skip
        print(
            f"{label:<45} {ms[name]:6.2f} ms/page   {ratio(name, 'bare')} of (a)   "
            f"{ratio(name, 'same')} of (a')"
        )
    print("target: (c) <= 1.00x (a)")


if __name__ == "__main__":
    main()
