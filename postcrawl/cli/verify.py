"""``postcrawl verify``: check that article files, manifest and index agree.

By default a writable archive is first opened for writing, which recovers from a crash
(replays manifest lines the index lacks, cuts a torn tail, removes orphan temp files), so
that only what recovery cannot fix is reported. ``--no-recover`` (and a read-only archive)
only checks. Exit status 1 on any finding, 0 when the archive is sound.
"""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from postcrawl.archive import ArchiveError, ArchiveStore, verify
from postcrawl.archive.recovery import ReplayReport
from postcrawl.cli import CliError, add_data_dir, data_dir, plural

EXAMPLES = 20  # paths shown per finding; the rest are counted


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "verify",
        help="check that article files, manifest.jsonl and index.sqlite3 agree",
        description="Recover the archive from an interrupted write (when it is writable), then "
        "compare its article files, manifest and index and list every disagreement with "
        "example paths. Exit status 1 when anything is found, 0 when the archive is sound; "
        "`postcrawl reindex` repairs what recovery cannot.",
    )
    add_data_dir(p)
    p.add_argument(
        "--no-recover",
        action="store_true",
        help="only check; do not open the archive for writing first",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object instead")
    p.set_defaults(handler=run)


def writable(root: Path) -> bool:
    """Whether recovery could write here: the root folder accepts new files (``.lock``, temp
    files) and the manifest and index, where present, can be written."""
    paths = [root, *(p for p in (root / "manifest.jsonl", root / "index.sqlite3") if p.exists())]
    return all(os.access(p, os.W_OK) for p in paths)


def recover(root: Path) -> ReplayReport:
    """Open (and close) the archive for writing: its recovery runs on opening."""
    try:
        with ArchiveStore(root) as store:
            return store.recovery
    except ArchiveError as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:
        raise CliError(f"cannot open the archive at {root} for recovery: {exc}") from None


def recovery_lines(report: ReplayReport) -> list[str]:
    """What recovery did, one line per kind of change (none: nothing to do)."""
    lines = []
    if report.torn_bytes:
        lines.append(f"cut off a torn last manifest line ({report.torn_bytes} bytes)")
    if report.lines:
        lines.append(
            f"replayed {plural(report.lines, 'manifest line')} into the index "
            f"({plural(report.articles, 'article')}, {plural(report.replaced, 'replacement')}, "
            f"{plural(report.urls, 'URL')}, {plural(report.skipped_urls, 'skip')})"
        )
    if report.temp_removed:
        lines.append(f"removed {plural(report.temp_removed, 'temp file')} no manifest line names")
    if report.duplicate_files_removed:
        removed = len(report.duplicate_files_removed)
        lines.append(f"removed {plural(removed, 'second file')} of stored hashes")
    return lines


def run(args: argparse.Namespace) -> int:
    root = data_dir(args)
    recovered: ReplayReport | None = None
    skipped = ""
    if args.no_recover:
        skipped = "--no-recover"
    elif not writable(root):
        skipped = "the archive is read-only"
    else:
        recovered = recover(root)
    report = verify(root)
    findings = report.details()
    if args.json:
        data = {
            "root": str(root),
            "recovery": asdict(recovered) if recovered is not None else None,
            "recovery_skipped": skipped or None,
            **{k: v for k, v in asdict(report).items()},
            "findings": report.findings,
        }
        print(json.dumps(data, ensure_ascii=False, indent=2, default=str))
        return 1 if findings else 0
    if recovered is None:
        print(f"recovery skipped ({skipped}): only checking")
    else:
        done = recovery_lines(recovered)
        print("recovery: " + ("; ".join(done) if done else "nothing to do"))
    print(
        f"{root}: {report.files} article files, {report.indexed} indexed, "
        f"{report.manifest_lines} manifest lines"
    )
    if not findings:
        print("ok: files, manifest and index agree")
        return 0
    for finding, paths in findings:
        print(f"problem: {finding}")
        for path in paths[:EXAMPLES]:
            print(f"    {path}")
        if len(paths) > EXAMPLES:
            print(f"    … and {len(paths) - EXAMPLES} more")
    print("run `postcrawl reindex` to repair")
    return 1
