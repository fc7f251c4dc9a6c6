"""``postcrawl reindex``: rebuild ``index.sqlite3`` from the article files and the manifest."""

from __future__ import annotations

import argparse
from typing import Any

from postcrawl.archive import ArchiveError, RebuildReport, rebuild_index
from postcrawl.cli import CliError, add_data_dir, data_dir, plural
from postcrawl.runs import load_runs_table

EXAMPLES = 20  # paths shown per kind of repair; the rest are counted


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "reindex",
        help="rebuild index.sqlite3 from the article files and manifest.jsonl",
        description="Make index.sqlite3 again from manifest.jsonl and the article files, "
        "repairing what `postcrawl verify` finds: a torn last manifest line is cut off, "
        "leftover temp files and second files of one hash are removed, article files no "
        "manifest line names are adopted (a manifest line is appended for each), files the "
        "manifest names but that are gone are recorded as lost (so a crawl fetches them "
        "again), and a corrupt index is moved aside. Afterwards files, manifest and index "
        "agree. Takes the archive lock: a running crawl waits.",
    )
    add_data_dir(p)
    p.set_defaults(handler=run)


def _paths(paths: list[str]) -> list[str]:
    lines = [f"    {rel}" for rel in paths[:EXAMPLES]]
    if len(paths) > EXAMPLES:
        lines.append(f"    … and {len(paths) - EXAMPLES} more")
    return lines


def render(root: object, report: RebuildReport) -> list[str]:
    """The report's lines: the counts, then one line (and example paths) per repair."""
    lines = [
        f"reindexed {root}: {plural(report.articles, 'article')} (= index rows = article "
        f"files), {plural(report.urls, 'further URL')}, "
        f"{plural(report.skipped_urls, 'skipped URL')}"
    ]
    if report.corrupt_index_moved_to:
        lines.append(f"  moved the corrupt index aside to {report.corrupt_index_moved_to}")
    if report.torn_bytes:
        lines.append(f"  cut off a torn last manifest line ({report.torn_bytes} bytes)")
    if report.bad_manifest_lines:
        lines.append(f"  {report.bad_manifest_lines} unreadable manifest lines skipped")
    if report.temp_removed:
        lines.append(f"  removed {report.temp_removed} temp files left by unfinished writes")
    if report.replaced:
        lines.append(f"  {report.replaced} reposts replaced by their official page (replayed)")
    if report.duplicate_files_removed:
        lines.append(
            f"  removed {len(report.duplicate_files_removed)} second files of stored hashes:"
        )
        lines += _paths(report.duplicate_files_removed)
    if report.orphan_files:
        lines.append(
            f"  adopted {len(report.orphan_files)} files without a manifest line "
            "(a manifest line appended for each; their URL is unknown):"
        )
        lines += _paths(report.orphan_files)
    if report.missing_files:
        lines.append(
            f"  recorded {len(report.missing_files)} lost files (named by the manifest, gone "
            "from disk; their URLs will be fetched again):"
        )
        lines += _paths(report.missing_files)
    return lines


def run(args: argparse.Namespace) -> int:
    root = data_dir(args)
    try:
        report = rebuild_index(root)
    except ArchiveError as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:
        raise CliError(f"cannot rebuild the index at {root}: {exc}") from None
    lines = render(root, report)
    loaded = load_runs_table(root)  # the run reports, for datasette
    if loaded:
        lines.append(f"  loaded {plural(loaded, 'run report row')} into the runs table")
    print("\n".join(lines))
    return 0
