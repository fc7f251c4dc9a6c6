"""``postcrawl probe [SPIDER ...|--all] [-a base_url=URL] [--json FILE] [--delay SECONDS]``:
check that each site still has the shape the spiders expect (the probing is
:mod:`postcrawl.probe`; this module parses and prints).

Exit status: 0 when no site fails (``degraded`` sites pass: the crawl still runs), 1 when a
site fails a step that stops a crawl, 2 for usage errors.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from postcrawl import probe
from postcrawl.cli import CliError

# Table columns: (heading, step name) per step; "-" where a site family has no such step.
COLUMNS = (
    ("home", "home page"),
    ("nav", "navigation"),
    ("list", "list rows"),
    ("id", "channel id"),
    ("API", "API"),
    ("article", "article"),
)
ARGUMENTS = ("base_url",)


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "probe",
        help="check with a few polite requests that each site still has the expected shape",
        description="Fetch a handful of pages per site (home page, navigation, one list, the "
        "search API, one article) and report, per site, which steps still work and the row "
        "changes a difference suggests. Nothing is archived. Run it on a machine with internet "
        "access before trusting scheduled crawls. Exit status 0 when no site fails (degraded "
        "sites pass), 1 when one fails, 2 for usage errors.",
    )
    p.add_argument("spiders", nargs="*", metavar="SPIDER", help="spider names (gd_spb, spb, sxrb)")
    p.add_argument("--all", action="store_true", help="every bureau and aggregator")
    p.add_argument(
        "-a",
        dest="arguments",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="spider argument; base_url=http://127.0.0.1:PORT probes a mirror (one spider)",
    )
    p.add_argument("--json", type=Path, metavar="FILE", help="also write the report as JSON")
    p.add_argument(
        "--delay",
        type=float,
        default=probe.DEFAULT_DELAY,
        metavar="SECONDS",
        help=f"seconds between two requests to one host (default {probe.DEFAULT_DELAY})",
    )
    p.set_defaults(handler=run)


def _spider_arguments(values: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values:
        name, sep, arg = value.partition("=")
        if not sep or not name.strip():
            raise CliError(f"-a takes NAME=VALUE, got {value!r}", 2)
        if name.strip() not in ARGUMENTS:
            raise CliError(f"unknown argument {name.strip()!r} (probe takes: base_url)", 2)
        out[name.strip()] = arg.strip()
    return out


def spider_names(args: argparse.Namespace) -> list[str]:
    """The spiders to probe, in the order given (``--all``: the site table's order)."""
    if args.all and args.spiders:
        raise CliError("name spiders or give --all, not both", 2)
    if args.all:
        return list(probe.SPIDER_NAMES)
    if not args.spiders:
        raise CliError("name at least one spider, or give --all", 2)
    unknown = [name for name in args.spiders if name not in probe.SPIDER_NAMES]
    if unknown:
        raise CliError(f"unknown spider {unknown[0]!r}; known: {', '.join(probe.SPIDER_NAMES)}", 2)
    return list(dict.fromkeys(args.spiders))


def _cell(report: probe.SiteReport, step_name: str) -> str:
    step = report.steps.get(step_name)
    if step is None:
        return "-"
    if step.status == "skipped":
        return "skip"
    if step.status == "FAIL":
        return "FAIL"
    figure = {
        "navigation": report.figures.get("channels"),
        "list rows": (report.figures.get("list") or {}).get("rows"),
        "channel id": (report.figures.get("list") or {}).get("code"),
        "API": report.figures.get("api_total"),
        "article": (report.figures.get("article") or {}).get("chars"),
    }.get(step_name)
    return f"ok {figure}" if figure is not None else "ok"


def table(reports: list[probe.SiteReport]) -> str:
    """One row per site: each step ok (with its key figure) or FAIL, and the first failure."""
    header = ["site", *(h for h, _ in COLUMNS), "result", "first failing step"]
    rows = [
        [
            r.site,
            *(_cell(r, step) for _, step in COLUMNS),
            r.status,
            r.first_failure or "",
        ]
        for r in reports
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]
    lines = []
    for row in [header, *rows]:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines)


def details(report: probe.SiteReport) -> list[str]:
    """The figures worth reading under the table: labels, the list, the article, suggestions."""
    f = report.figures
    out = [f"{report.site} ({report.base_url}): {report.status}, {report.requests} requests"]
    for step in report.steps.values():
        if step.detail:
            mark = step.status if step.status != "FAIL" or step.fatal else "FAIL (degrades)"
            out.append(f"  {step.name}: {mark}: {step.detail}")
    article = f.get("article")
    if article:
        out.append(
            f"  article read: {article['title']} | {article['published'] or 'undated'} | "
            f"{article['chars']} chars, {article['paragraphs']} paragraphs"
            + (
                f" | chrome survived: {', '.join(article['chrome_survived'])}"
                if article["chrome_survived"]
                else ""
            )
        )
    if "robots" in f:
        out.append(f"  robots.txt: {f['robots']}")
    for suggestion in report.suggestions:
        out.append(f"  suggests: {suggestion}")
    return out


def run(args: argparse.Namespace, transport: probe.Transport | None = None) -> int:
    names = spider_names(args)
    arguments = _spider_arguments(args.arguments)
    base_url = arguments.get("base_url") or None
    if base_url and len(names) != 1:
        raise CliError("-a base_url= probes one site's mirror: name exactly one spider", 2)
    if args.delay < 0:
        raise CliError("--delay must be 0 or more seconds", 2)
    fetcher = probe.Fetcher(transport, delay=args.delay)

    def progress(report: probe.SiteReport) -> None:
        print(
            f"probed {report.site}: {report.status} ({report.requests} requests, "
            f"{report.seconds:.1f} s)",
            file=sys.stderr,
            flush=True,
        )

    report = probe.probe(names, fetcher, base_url, progress=progress if len(names) > 1 else None)
    print(table(report.sites))
    print()
    for site in report.sites:
        print("\n".join(details(site)))
    if args.json:
        try:
            probe.write_json(report, args.json)
        except OSError as exc:
            raise CliError(f"cannot write {args.json}: {exc.strerror or exc}") from None
    return report.exit_status
