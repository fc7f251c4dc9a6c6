"""``postcrawl reextract``: rebuild the articles from the raw responses in ``<data>/warc/`` with
the current extractor (no network), report what changed and, with ``--apply``, archive it.

See :mod:`postcrawl.reextract` for the steps and docs/archive-format.md ("Re-extraction") for
what an applied change writes.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time
from contextlib import ExitStack
from datetime import date
from pathlib import Path
from typing import Any

from postcrawl import index, reextract
from postcrawl.archive import INDEX, ArchiveError, ArchiveStore
from postcrawl.cli import CliError, add_data_dir, data_dir, output_file, plural
from postcrawl.cli.reading import positive_int, table
from postcrawl.items import utc_now
from postcrawl.sites import get_site

EXAMPLES = 20  # URLs shown per kind of change; the JSON report has them all


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "reextract",
        help="rebuild articles from the recorded WARC responses with the current extractor",
        description="Read every recorded article response in <data>/warc/ (the newest record of "
        "each URL), extract and normalize it again with the current rules, without the "
        "network, and report what differs from the archive: new articles, changed bodies, "
        "titles, dates and sources, pages that now fail. A dry run by default; --apply archives "
        "new articles and changed bodies through the archive's write path (the old article "
        "of a changed body is superseded). Title, date and source changes alone are reported, "
        "not applied.",
    )
    add_data_dir(p)
    p.add_argument(
        "--site", action="append", default=[], help="only this site (repeatable): gd_spb, txyddy…"
    )
    p.add_argument("--since", help="only responses recorded on or after this day (YYYY-MM-DD)")
    p.add_argument("--apply", action="store_true", help="archive the changes (default: dry run)")
    p.add_argument(
        "--workers",
        type=positive_int,
        default=None,
        help="extraction processes (default: the number of CPUs)",
    )
    p.add_argument("--json", type=Path, metavar="FILE", help="also write the full report here")
    p.set_defaults(handler=run)


def _since(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CliError(f"--since must be a day YYYY-MM-DD, got {text!r}") from None


def run(args: argparse.Namespace) -> int:
    root = data_dir(args)
    for name in args.site:
        try:
            get_site(name)
        except KeyError as exc:
            raise CliError(str(exc.args[0])) from None
    since = _since(args.since)
    if args.json is not None:
        output_file(args.json)
    workers = args.workers or reextract.default_workers()
    try:
        report, seconds = reextract_archive(
            root,
            sites=args.site,
            since=since,
            apply=args.apply,
            workers=workers,
            progress=reextract.progress_printer(sys.stderr),
        )
    except ArchiveError as exc:
        raise CliError(str(exc)) from None
    print("\n".join(render(root, report, seconds, apply=args.apply)))
    if args.json is not None:
        data = report.to_json() | {
            "root": str(root),
            "sites": args.site,
            "since": args.since,
            "workers": workers,
            "seconds": round(seconds, 3),
            "applied_changes": args.apply,
        }
        reextract.write_json(args.json, data)
    return 0


def reextract_archive(
    root: Path,
    *,
    sites: list[str] | tuple[str, ...] = (),
    since: date | None = None,
    apply: bool = False,
    workers: int = 1,
    progress: reextract.Progress | None = None,
) -> tuple[reextract.Report, float]:
    """Scan, extract, compare and (with *apply*) archive; the report and the seconds taken.

    A dry run reads the index as it stands (read-only); ``apply`` opens the archive for
    writing first (recovering it from any interrupted write) and keeps it open throughout."""
    started = time.monotonic()
    with ExitStack() as stack:
        store: ArchiveStore | None = None
        if apply:
            store = stack.enter_context(ArchiveStore(root))
            conn: sqlite3.Connection = store.conn
        else:
            if not (root / INDEX).exists():
                raise CliError(f"no index at {root}: run `postcrawl reindex` first")
            conn = index.connect(root / INDEX, readonly=True)
            stack.callback(conn.close)
        known = reextract.known_article_urls(conn)
        pages, stats = reextract.scan(
            root,
            sites=sites,
            since=since,
            known_articles=known.__contains__,
            frontier_hints=reextract.frontier_hints(conn),
        )
        outcomes = reextract.extract_all(root, pages, workers=workers, progress=progress)
        report = reextract.compare(pages, outcomes, reextract.archived_urls(conn))
        report.records = stats.records
        if store is not None:
            report.applied = reextract.apply(store, pages, outcomes, report, when=utc_now())
    return report, time.monotonic() - started


def _examples(title: str, entries: list[dict[str, Any]], show: str) -> list[str]:
    if not entries:
        return []
    lines = [f"{title}:"]
    for entry in entries[:EXAMPLES]:
        detail = show.format(**{k: ("—" if v is None else v) for k, v in entry.items()})
        lines.append(f"    {entry['url']}  {detail}".rstrip())
    if len(entries) > EXAMPLES:
        lines.append(f"    … and {len(entries) - EXAMPLES} more")
    return lines


def render(root: Path, report: reextract.Report, seconds: float, *, apply: bool) -> list[str]:
    """The summary table, example URLs per kind of change, and what --apply did."""
    rate = report.pages / seconds if seconds > 0 else 0.0
    lines = [
        f"re-extracted {plural(report.pages, 'article page')} from "
        f"{plural(report.records, 'response record')} in {root}/warc "
        f"({seconds:.1f} s, {rate:.0f} pages/s)",
        "",
        table(report.counts(), ["", "pages"], right=[1]),
        "",
    ]
    lines += _examples("new articles", report.new, "{title}")
    lines += _examples("changed bodies", report.changed_body, "{old} -> {new}")
    lines += _examples("changed titles", report.changed_title, "{old} -> {new}")
    lines += _examples("changed dates", report.changed_published, "{old} -> {new}")
    lines += _examples("changed sources", report.changed_source, "{old} -> {new}")
    lines += _examples("now failing", report.now_failing, "{reason}")
    if not apply:
        if report.changes:
            lines.append(
                "dry run: nothing written; --apply archives the new articles and changed bodies"
            )
        else:
            lines.append("no changes")
        return lines
    done = report.applied or {}
    lines.append(
        f"applied: {plural(len(done.get('superseded', [])), 'changed body', 'changed bodies')} "
        f"archived (the old articles superseded), "
        f"{plural(len(done.get('stored', [])), 'new article')} stored, "
        f"{len(done.get('duplicate', []))} found already archived, "
        f"{len(done.get('replaced', []))} replacing a repost"
    )
    left = done.get("left_alone", [])
    if left:
        lines.append(
            f"  {plural(len(left), 'changed body', 'changed bodies')} left alone (the body is "
            "archived already as another article, or the archive changed meanwhile):"
        )
        lines += [f"    {e['url']}" for e in left[:EXAMPLES]]
    meta = len(report.changed_title) + len(report.changed_published) + len(report.changed_source)
    if meta or report.now_failing:
        lines.append(
            "  not applied: title, date and source changes of an unchanged body, and pages "
            "that now fail (the archived article stays)"
        )
    return lines
