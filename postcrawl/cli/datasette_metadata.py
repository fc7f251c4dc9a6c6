"""``postcrawl datasette-metadata``: the metadata that makes ``datasette`` browse the index."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from postcrawl.cli import CliError
from postcrawl.reader.datasette import metadata


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "datasette-metadata",
        help="write Datasette metadata (search, facets, descriptions) for index.sqlite3",
        description="Print (or write) the metadata.json for browsing the archive index: "
        "datasette data/index.sqlite3 -m metadata.json",
    )
    p.add_argument("--out", type=Path, help="file to write (default: standard output)")
    p.add_argument(
        "--database",
        default="index",
        help="the database name Datasette uses: the index file's stem (default: index)",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    text = json.dumps(metadata(args.database), ensure_ascii=False, indent=2) + "\n"
    if args.out is None:
        sys.stdout.write(text)
        return 0
    try:
        args.out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot write {args.out}: {exc.strerror}") from None
    print(
        f"wrote {args.out}; browse with: datasette data/index.sqlite3 -m {args.out}",
        file=sys.stderr,
    )
    return 0
