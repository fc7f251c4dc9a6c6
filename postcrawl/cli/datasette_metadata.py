"""``postcrawl datasette-metadata``: the metadata that makes ``datasette`` browse the index."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path
from typing import Any

from postcrawl.cli import CliError, add_data_dir, data_dir, output_file
from postcrawl.reader.datasette import metadata


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "datasette-metadata",
        help="write Datasette metadata (search, facets, descriptions) for index.sqlite3",
        description="Print (or write) the metadata.json for browsing the index of the archive "
        "--data-dir names: datasette <DATA_DIR>/index.sqlite3 -m metadata.json",
    )
    add_data_dir(p)
    p.add_argument(
        "--out", type=Path, help="file to write, in an existing folder (default: standard output)"
    )
    p.add_argument(
        "--database",
        default="index",
        help="the database name Datasette uses: the index file's stem (default: index)",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    # The archive is checked even though the metadata does not depend on it: the command it
    # prints must name an index that is there.
    root = data_dir(args)
    index = root / "index.sqlite3"
    if not index.is_file():
        raise CliError(f"no index at {index}: rebuild it with postcrawl reindex --data-dir {root}")
    text = json.dumps(metadata(args.database), ensure_ascii=False, indent=2) + "\n"
    if args.out is None:
        sys.stdout.write(text)
        return 0
    try:
        output_file(args.out).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot write {args.out}: {exc.strerror}") from None
    browse = shlex.join(["datasette", str(index), "-m", str(args.out)])
    print(f"wrote {args.out}; browse with: {browse}", file=sys.stderr)
    return 0
