"""``postcrawl search WORD [WORD …]``: full-text search over titles and bodies, newest first."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from postcrawl.cli import plural
from postcrawl.cli.reading import add_filters, filters_from, open_corpus
from postcrawl.reader import Hit

# Bold red on a terminal; plain markers when the output goes to a file or a pipe.
ANSI_MARK = ("\x1b[1;31m", "\x1b[0m")
PLAIN_MARK = ("**", "**")


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "search",
        help="full-text search over titles and bodies",
        description="Find articles whose title or body contains every WORD: "
        "`postcrawl search 快递 进村` and `postcrawl search '快递 进村'` are the same search, "
        "articles containing both words. Words are taken literally (no query syntax). Chinese "
        "matches any substring; traditional queries are converted to simplified, as the "
        "archive is. Newest first.",
    )
    p.add_argument(
        "query",
        nargs="+",
        metavar="WORD",
        help="words that must all occur, e.g. 政企联席会, or 快递 进村 (quoted or not)",
    )
    add_filters(p, limit=20)
    p.add_argument("--json", action="store_true", help="print a JSON array of hits instead")
    p.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="highlight matches with terminal colours (auto: when printing to a terminal)",
    )
    p.set_defaults(handler=run)


def hit_json(hit: Hit, root: str) -> dict[str, Any]:
    """One hit for ``--json``: the snippet as text plus [start, end) offsets of the matches."""
    return {
        "hash": hit.hash,
        "published": hit.published,
        "site": hit.site,
        "title": hit.title,
        "source": hit.source,
        "path": hit.path,
        "file": f"{root}/{hit.path}",
        "url": hit.url,
        "snippet": hit.snippet.text,
        "highlights": [list(h) for h in hit.snippet.highlights],
    }


def render(hit: Hit, root: str, marks: tuple[str, str]) -> str:
    """Three lines per hit: date, site and title; the snippet; the file."""
    return "\n".join(
        [
            f"{hit.published or 'undated'}  {hit.site}  {hit.title}",
            f"    {hit.snippet.marked(*marks)}",
            f"    {root}/{hit.path}",
        ]
    )


def run(args: argparse.Namespace) -> int:
    # Unquoted words arrive one per argument; joined, they are the query a quoted list gives.
    query = " ".join(args.query)
    with open_corpus(args) as corpus:
        # One more than asked tells whether the list was cut.
        hits = corpus.search(query, filters_from(args), limit=args.limit + 1)
        root = corpus.root.as_posix()
    more = len(hits) > args.limit
    hits = hits[: args.limit]
    if args.json:
        print(json.dumps([hit_json(h, root) for h in hits], ensure_ascii=False, indent=2))
        return 0 if hits else 1
    if not hits:
        print(f"no articles match {query!r}")
        return 1
    color = args.color == "always" or (args.color == "auto" and sys.stdout.isatty())
    marks = ANSI_MARK if color else PLAIN_MARK
    print("\n\n".join(render(h, root, marks) for h in hits))
    footer = plural(len(hits), "article")
    if more:
        footer += f" (more match: raise --limit, now {args.limit})"
    print(f"\n{footer}")
    return 0
