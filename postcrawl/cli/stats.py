"""``postcrawl stats``: what the archive holds, counted (a table, or ``--json``)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from postcrawl.cli import plural
from postcrawl.cli.reading import add_filters, filters_from, open_corpus, table
from postcrawl.reader import Stats
from postcrawl.sites import SITES


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "stats",
        help="articles per site, province and month; duplicates, reposts, date range",
        description="Count the archive: articles per site, per bureau province and per month, "
        "undated articles, the date range, and the further URLs (duplicates on the same site, "
        "reposts on others) recorded in the provenance.",
    )
    add_filters(p, with_limit=False)
    p.add_argument("--json", action="store_true", help="print one JSON object instead")
    p.set_defaults(handler=run)


def render(stats: Stats) -> str:
    """The terminal report."""
    if not stats.articles:
        return "no articles (the archive is empty, or nothing matches the filters)"
    undated = f", {stats.undated} undated" if stats.undated else ""
    parts = [
        f"{plural(stats.articles, 'article')}, {stats.first_day or '?'} to {stats.last_day or '?'}{undated}",
        f"URLs: {stats.urls}; duplicates (same site): {stats.duplicates}; reposts (other "
        f"sites): {stats.reposts}; articles seen on 2+ sites: {stats.reposted_articles}",
        "",
        table(
            [(s, SITES[s].display_name if s in SITES else "", n) for s, n in stats.per_site],
            ["site", "name", "articles"],
            right=[2],
        ),
        "",
        table(
            [(p or "(none: not a bureau site)", n) for p, n in stats.per_province],
            ["province", "articles"],
            right=[1],
        ),
        "",
        table(stats.per_month, ["month", "articles"], right=[1]),
    ]
    if stats.by_relation:
        parts += ["", table(list(stats.by_relation.items()), ["URL relation", "URLs"], right=[1])]
    return "\n".join(parts)


def run(args: argparse.Namespace) -> int:
    with open_corpus(args) as corpus:
        stats = corpus.stats(filters_from(args))
    if args.json:
        print(json.dumps(stats.as_dict(), ensure_ascii=False, indent=2))
    else:
        print(render(stats))
    return 0
