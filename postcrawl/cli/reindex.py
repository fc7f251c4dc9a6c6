"""``postcrawl reindex``: rebuild ``index.sqlite3`` from the article files and the manifest."""

from __future__ import annotations

import argparse
from typing import Any

from postcrawl.archive import rebuild_index
from postcrawl.cli import add_data_dir, data_dir, plural


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "reindex",
        help="rebuild index.sqlite3 from the article files and manifest.jsonl",
        description="Rebuild the archive's index.sqlite3 (articles, URLs, seen URLs, full text, "
        "near-duplicate signatures) from the article files and manifest.jsonl, replaying "
        "reposts replaced by their official page. A corrupt index is moved aside first. "
        "Reports files the manifest names that are missing and files it does not name "
        "(indexed from the file alone).",
    )
    add_data_dir(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    root = data_dir(args)
    report = rebuild_index(root)
    print(
        f"reindexed {root}: {plural(report.articles, 'article')}, "
        f"{plural(report.urls, 'further URL')}, {plural(report.skipped_urls, 'skipped URL')}"
    )
    if report.replaced:
        print(f"  {plural(report.replaced, 'repost')} replaced by the official page (replayed)")
    if report.bad_manifest_lines:
        lines = plural(report.bad_manifest_lines, "manifest line")
        print(f"  {lines} unreadable (torn or unknown), skipped")
    if report.missing_files:
        missing = len(report.missing_files)
        verb = "is" if missing == 1 else "are"
        print(f"  {plural(missing, 'file')} named in the manifest {verb} missing:")
        for rel in report.missing_files[:20]:
            print(f"    {rel}")
    if report.orphan_files:
        print(
            f"  {plural(len(report.orphan_files), 'file')} had no manifest line; "
            "indexed from the file alone"
        )
    return 0
