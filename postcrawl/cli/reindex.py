"""``postcrawl reindex``: rebuild ``index.sqlite3`` from the article files and the manifest."""

from __future__ import annotations

import argparse
from typing import Any

from postcrawl.archive import rebuild_index
from postcrawl.cli import add_data_dir, data_dir


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "reindex",
        help="rebuild index.sqlite3 from the article files and manifest.jsonl",
    )
    add_data_dir(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    root = data_dir(args)
    report = rebuild_index(root)
    print(
        f"reindexed {root}: {report.articles} articles, {report.urls} further URLs, "
        f"{report.skipped_urls} skipped URLs"
    )
    if report.replaced:
        print(f"  {report.replaced} reposts replaced by their official page (replayed)")
    if report.bad_manifest_lines:
        print(f"  {report.bad_manifest_lines} manifest lines unreadable (torn or unknown), skipped")
    if report.missing_files:
        print(f"  {len(report.missing_files)} files named in the manifest are missing:")
        for rel in report.missing_files[:20]:
            print(f"    {rel}")
    if report.orphan_files:
        print(
            f"  {len(report.orphan_files)} files had no manifest line; indexed from the file alone"
        )
    return 0
