"""``postcrawl show HASH|PATH``: one article, its metadata and every URL it was seen at."""

from __future__ import annotations

import argparse
import json
from typing import Any

from postcrawl.cli import add_data_dir, plural
from postcrawl.cli.reading import display_width, open_corpus, pad
from postcrawl.index import ARTICLE_COLUMNS
from postcrawl.reader import ArticleView

# Every index column but those printed otherwise (title, body) or derived (day, month).
META_FIELDS = tuple(c for c in ARTICLE_COLUMNS if c not in {"title", "day", "month", "body"})


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "show",
        help="one article with its provenance (by hash, hash prefix or file path)",
        description="Print one article: its metadata, every URL it was seen at (the stored "
        "one, the bureau's official page, reposts with their similarity) and its text.",
    )
    p.add_argument("ref", metavar="HASH|PATH", help="article hash, unique prefix, or file path")
    add_data_dir(p)
    p.add_argument("--json", action="store_true", help="print one JSON object instead")
    p.add_argument("--no-body", action="store_true", help="leave the article text out")
    p.set_defaults(handler=run)


def as_json(view: ArticleView, *, body: bool) -> dict[str, Any]:
    """The ``--json`` object: the index row (body optional) and the provenance."""
    row = dict(view.row)
    if row.get("attachments"):
        row["attachments"] = json.loads(row["attachments"])
    if not body:
        row.pop("body", None)
    return {**row, "urls": [vars(s) for s in view.sightings]}


def render(view: ArticleView, *, body: bool) -> str:
    """The terminal form: title, metadata lines, provenance, then the paragraphs."""
    row = view.row
    lines = [row["title"], ""]
    width = max(display_width(f) for f in META_FIELDS)
    for name in META_FIELDS:
        value = row.get(name)
        if value not in (None, ""):
            lines.append(f"{pad(name, width)}  {value}")
    lines += ["", f"seen at {plural(len(view.sightings), 'URL')}:"]
    for s in view.sightings:
        tags = [s.relation]
        if s.official:
            tags.append("official")
        if s.relation != "stored" and s.similarity is not None:
            tags.append(f"similarity {s.similarity:.3f}")
        lines.append(f"  [{', '.join(tags)}] {s.site}  {s.url}")
        if s.claimed_original:
            lines.append(f"      原文链接 {s.claimed_original}")
    if body:
        lines += ["", *(p for para in view.paragraphs for p in (para, ""))]
    return "\n".join(lines).rstrip() + "\n"


def run(args: argparse.Namespace) -> int:
    with open_corpus(args) as corpus:
        view = corpus.article(args.ref)
    if args.json:
        print(json.dumps(as_json(view, body=not args.no_body), ensure_ascii=False, indent=2))
    else:
        print(render(view, body=not args.no_body), end="")
    return 0
