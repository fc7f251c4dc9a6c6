"""``postcrawl plot``: a PNG of articles per month, stacked by site or by province."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from postcrawl.cli import output_file, plural
from postcrawl.cli.reading import add_filters, filters_from, open_corpus


def size(text: str) -> tuple[int, int]:
    """An argparse type: ``WIDTHxHEIGHT`` in pixels."""
    m = re.fullmatch(r"(\d{2,5})x(\d{2,5})", text.strip())
    if not m:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (use WIDTHxHEIGHT, e.g. 1200x600)")
    return int(m[1]), int(m[2])


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "plot",
        help="PNG chart of articles per month, stacked by site or province",
        description="Draw dated articles per month as stacked bars (one colour per site or per "
        "bureau province; the smallest groups are summed as 'other').",
    )
    add_filters(p, with_limit=False)
    p.add_argument("--by", choices=("site", "province"), default="site", help="default: site")
    p.add_argument(
        "--out",
        type=Path,
        default=Path("articles-per-month.png"),
        help="PNG file to write, in an existing folder (default: articles-per-month.png)",
    )
    p.add_argument("--size", type=size, default=(1200, 600), help="pixels, default 1200x600")
    p.add_argument("--title", help="chart title (default: says what is counted)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from postcrawl.reader.plot import plot_monthly

    output_file(args.out)
    with open_corpus(args) as corpus:
        counts = corpus.monthly_counts(args.by, filters_from(args))
        plot_monthly(counts, args.out, by=args.by, size=args.size, title=args.title)
    total = sum(sum(v) for v in counts.series.values())
    print(
        f"wrote {args.out}: {plural(total, 'article')} over "
        f"{plural(len(counts.months), 'month')}, {plural(len(counts.series), args.by)}",
        file=sys.stderr,
    )
    return 0
