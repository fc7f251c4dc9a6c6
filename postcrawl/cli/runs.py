"""``postcrawl runs [--last N]`` lists the recent crawl runs (their reports under
``<data>/runs/``); ``postcrawl runs show ID`` prints one. Listing also reloads the index's
``runs`` table from the report files (for datasette), where the index is writable."""

from __future__ import annotations

import argparse
import contextlib
import json
import sqlite3

from postcrawl import runs
from postcrawl.cli import CliError, add_data_dir, data_dir


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "runs",
        help="recent crawl runs and their status; `runs show ID` for one",
        description=(__doc__ or "").split("\n\n")[0],
    )
    add_data_dir(parser)
    parser.add_argument("action", nargs="?", choices=["show"], help="show one run")
    parser.add_argument("run_id", nargs="?", metavar="ID", help="the run (its id, or a prefix)")
    parser.add_argument("--last", type=int, default=20, metavar="N", help="the last N runs")
    parser.add_argument("--json", action="store_true", help="show: the report as JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    root = data_dir(args, must_exist=False)
    reports = runs.read_reports(root)
    if args.action == "show":
        if not args.run_id:
            raise CliError("runs show wants a run ID (`postcrawl runs` lists them)", 2)
        found = [r for r in reports if r["id"] == args.run_id] or [
            r for r in reports if r["id"].startswith(args.run_id)
        ]
        if len(found) != 1:
            what = "no run" if not found else f"{len(found)} runs"
            raise CliError(f"{what} matching {args.run_id!r} under {root / runs.RUNS_DIR}")
        report = found[0]
        if args.json:
            print(json.dumps(report, ensure_ascii=False, indent=2))
        else:
            print(runs.plain_table(report))
            for entry in report["spiders"]:
                for line in entry.get("failures") or []:
                    print(f"{entry['spider']}: failed: {line}")
        return 0
    if args.run_id:
        raise CliError(f"unexpected argument {args.run_id!r}", 2)
    if not reports:
        print(f"no runs recorded under {root / runs.RUNS_DIR}")
        return 0
    with contextlib.suppress(sqlite3.Error, OSError):  # read-only: the files are the record
        runs.load_runs_table(root)
    print(f"{'run':34}  {'status':8}  {'stored':>6}  {'failed':>6}  {'secs':>7}  spiders")
    for report in reports[-max(args.last, 1) :]:
        entries = report["spiders"]
        stored = sum(e.get("stored") or 0 for e in entries)
        failed = sum(e.get("failed") or 0 for e in entries)
        secs = (
            sum(e.get("duration_s") or 0 for e in entries)
            if len(entries) == 1
            else max((e.get("duration_s") or 0 for e in entries), default=0)
        )
        names = ", ".join(
            e["spider"] + ("" if e["status"] == "ok" else f" ({e['status']})") for e in entries
        )
        print(
            f"{report['id']:34}  {report['status']:8}  {stored:>6}  {failed:>6}  "
            f"{secs:>7.1f}  {names}"
        )
    return 0
