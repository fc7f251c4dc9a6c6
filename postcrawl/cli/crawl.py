"""``postcrawl crawl [SPIDER ...] [--all] [--group bureaus|aggregators]``: several spiders in one
process (Scrapy's ``CrawlerProcess``), sites in parallel, each host still polite (the per-domain
limits of ``postcrawl/settings.py`` hold per site).

Works from any folder: the project settings are loaded from the ``postcrawl.settings`` module,
not from ``scrapy.cfg``. ``-a`` and ``-s`` apply to every spider named; spider arguments and
spider names are checked before anything starts (exit 2, one line). One crawl at a time per
archive root (``<data>/.run.lock``): a second one exits 75, or waits with ``--wait``.

Progress: on a terminal, a live table with one row per site; otherwise one plain line per site
every ``POSTCRAWL_PROGRESS_INTERVAL`` seconds. At the end, one run report for all the spiders
(``<data>/runs/<UTC stamp>-<spider or 'crawl'>.json``) printed as a table. Exit status: 0 all
ok or degraded, 1 a spider broken (or the archive could not be opened), 2 usage, 75 locked.

``--worker`` runs a distributed worker instead (``POSTCRAWL_REDIS_URL``; docs/distributed.md):
the spiders take their requests from the shared queues until those are done, and send their
items to the archiver; no archive, run lock or report on this host.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from postcrawl.cli import CliError
from postcrawl.paths import data_dir_setting

GROUPS = ("bureaus", "aggregators")


def add_crawl_options(parser: argparse.ArgumentParser, *, spiders: bool = True) -> None:
    """The options ``postcrawl crawl`` takes (spiders, --all, --group, -a, -s), shared by
    ``enqueue`` and, without the spiders, ``archiver``."""
    if spiders:
        parser.add_argument(
            "spiders", nargs="*", metavar="SPIDER", help="spider names (`scrapy list`)"
        )
        parser.add_argument("--all", action="store_true", help="every spider")
        parser.add_argument("--group", choices=GROUPS, help="every bureau, or every aggregator")
    parser.add_argument(
        "-a",
        dest="spargs",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="spider argument, for every spider named (base_url=, full=1, since=…)",
    )
    parser.add_argument(
        "-s",
        dest="set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="Scrapy or postcrawl setting (POSTCRAWL_DATA_DIR=…, POSTCRAWL_REDIS_URL=…)",
    )


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "crawl",
        help="run one or more spiders in one process, with progress and a run report",
        description=(__doc__ or "").split("\n\n")[0],
    )
    add_crawl_options(parser)
    parser.add_argument(
        "--worker",
        action="store_true",
        help="a distributed worker (POSTCRAWL_REDIS_URL): take requests from the shared queues "
        "until they are done, send items to the archiver",
    )
    wait = parser.add_mutually_exclusive_group()
    wait.add_argument(
        "--wait",
        dest="wait",
        action="store_true",
        default=None,
        help="if another crawl holds this archive, wait for it to end",
    )
    wait.add_argument(
        "--no-wait",
        dest="wait",
        action="store_false",
        help="if another crawl holds this archive, exit 75 at once (the default)",
    )
    parser.set_defaults(handler=run)


def _pairs(values: list[str], option: str) -> dict[str, str]:
    out = {}
    for value in values:
        name, sep, rest = value.partition("=")
        if not sep or not name:
            raise CliError(f"{option} wants NAME=VALUE, got {value!r}", code=2)
        out[name] = rest
    return out


def project_settings(overrides: dict[str, str]) -> Any:
    """The project's settings without ``scrapy.cfg``, with the ``-s`` values on top."""
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("postcrawl.settings", priority="project")
    settings.setdict(overrides, priority="cmdline")
    return settings


def choose_spiders(args: argparse.Namespace, loader: Any) -> list[str]:
    """The spider names to run, checked; a usage error (exit 2) otherwise."""
    available = sorted(loader.list())
    if not (args.spiders or args.all or args.group):
        raise CliError("name the spiders to crawl, or --all, or --group bureaus|aggregators", 2)
    unknown = [n for n in args.spiders if n not in available]
    if unknown:
        raise CliError(
            f"no spider named {', '.join(map(repr, unknown))} (`scrapy list` shows them)", 2
        )
    names = list(dict.fromkeys(args.spiders))
    if args.all:
        names += available
    elif args.group:
        want_official = args.group == "bureaus"
        for name in available:
            site = getattr(loader.load(name), "site", None)
            if site is not None and bool(site.official) == want_official:
                names.append(name)
    return list(dict.fromkeys(names))


def run(args: argparse.Namespace) -> int:
    spargs = _pairs(args.spargs, "-a")
    overrides = _pairs(args.set, "-s")
    settings = project_settings(overrides)
    names = checked_spiders(args, settings, spargs)
    if args.worker:
        from postcrawl.distributed.cli import run_worker

        return run_worker(settings, overrides, names, spargs)
    refuse_distributed(settings)
    root = data_dir_setting(settings)
    wait = settings.getbool("POSTCRAWL_RUN_LOCK_WAIT") if args.wait is None else args.wait
    with _run_lock(root, wait=wait):
        live = sys.stdout.isatty()
        report, path, bootstrap_failed = crawl(settings, overrides, names, spargs, root, live)
    return _report_outcome(report, path, live=live, bootstrap_failed=bootstrap_failed)


def refuse_distributed(settings: Any) -> None:
    """A usage error when ``POSTCRAWL_REDIS_URL`` is set: an embedded crawl there would bypass
    the shared queues and the one archive writer."""
    from postcrawl.distributed.connection import redis_url, safe_url

    url = redis_url(settings)
    if url:
        raise CliError(
            f"POSTCRAWL_REDIS_URL is set ({safe_url(url)}): distributed mode runs "
            "`postcrawl enqueue`, `postcrawl crawl --worker` and `postcrawl archiver`; "
            "unset it (or -s POSTCRAWL_REDIS_URL=) for an embedded crawl",
            2,
        )


def checked_spiders(args: argparse.Namespace, settings: Any, spargs: dict[str, str]) -> list[str]:
    """The spiders to run, each having accepted the ``-a`` arguments; a usage error (exit 2)
    otherwise. Nothing has started yet."""
    from scrapy.spiderloader import get_spider_loader

    from postcrawl.spiders.base import SpiderArgumentError

    loader = get_spider_loader(settings)
    names = choose_spiders(args, loader)
    for name in names:
        check = getattr(loader.load(name), "check_arguments", None)
        if check is not None:
            try:
                check(dict(spargs))
            except SpiderArgumentError as exc:
                raise CliError(str(exc), 2) from None
    return names


@contextmanager
def _run_lock(root: Path, *, wait: bool) -> Iterator[None]:
    """Hold the archive root's run lock for the block (exit 75 if another crawl has it)."""
    from postcrawl.runlock import RunLock, RunLocked

    lock = RunLock(root, wait=wait)
    try:
        lock.acquire()
    except RunLocked as exc:
        raise CliError(str(exc), exc.code) from None
    try:
        yield
    finally:
        lock.release()


def crawl(
    settings: Any,
    overrides: dict[str, str],
    names: list[str],
    spargs: dict[str, str],
    root: Path,
    live: bool,
) -> tuple[dict[str, Any], Path | None, bool]:
    """Run the spiders in one process (run lock held) after checking the archive opens; the
    run report, where it was written, and whether the crawl failed to start."""
    from postcrawl import runs
    from postcrawl.commands.crawl import check_archive

    problem = check_archive(root)
    if problem:
        raise CliError(problem)
    started = datetime.now(UTC)
    settings.set("POSTCRAWL_RUN_REPORT_WRITE", False, priority="cmdline")
    _set_up_logging(settings, overrides, root, names, live, started)
    process, crawlers = _run_crawlers(settings, names, spargs, live)
    report = runs.make_report(
        [entry_of(c) for c in crawlers],
        root=root,
        name=names[0] if len(names) == 1 else "crawl",
        started=started,
    )
    path = runs.finish_report(
        report,
        root,
        notify_command=settings.get("POSTCRAWL_NOTIFY_COMMAND"),
        notify_url=settings.get("POSTCRAWL_NOTIFY_URL"),
        notify_when=settings.get("POSTCRAWL_NOTIFY_ON") or "problems",
    )
    return report, path, bool(process.bootstrap_failed)


def _set_up_logging(
    settings: Any,
    overrides: dict[str, str],
    root: Path,
    names: list[str],
    live: bool,
    started: datetime,
) -> None:
    from postcrawl import runs

    if live and "LOG_FILE" not in overrides:
        # The live table owns the terminal; the log goes to a file beside the reports.
        log_file = root / "logs" / f"{runs.utc_stamp(started)}-crawl.log"
        log_file.parent.mkdir(parents=True, exist_ok=True)
        settings.set("LOG_FILE", str(log_file), priority="cmdline")
        print(f"postcrawl: crawling {', '.join(names)}; log: {log_file}")
    # Scrapy installs its own log handler (LOG_LEVEL, LOG_FILE); the postcrawl command's
    # plain one would print every record a second time, at every level.
    for handler in logging.getLogger().handlers[:]:
        logging.getLogger().removeHandler(handler)


def _run_crawlers(
    settings: Any, names: list[str], spargs: dict[str, str], live: bool
) -> tuple[Any, list[Any]]:
    """Crawl with every spider named, showing progress, until all have finished."""
    from scrapy.crawler import CrawlerProcess

    process = CrawlerProcess(settings)
    crawlers = []
    for name in names:
        crawler = process.create_crawler(name)
        crawlers.append(crawler)
        process.crawl(crawler, **spargs)
    progress = Progress(
        crawlers, live=live, interval=settings.getfloat("POSTCRAWL_PROGRESS_INTERVAL", 30.0)
    )
    progress.start()
    try:
        process.start()
    finally:
        progress.stop()
    return process, crawlers


def _report_outcome(
    report: dict[str, Any], path: Path | None, *, live: bool, bootstrap_failed: bool
) -> int:
    """Print the run report and where it is; the exit status (1: a spider broken)."""
    print_report(report, live=live)
    print(f"report: {path}" if path else "report: not written (see the log)")
    if report["status"] == "broken" or bootstrap_failed:
        broken = [e["spider"] for e in report["spiders"] if e["status"] == "broken"]
        print(f"postcrawl: broken: {', '.join(broken) or 'the crawl'}", file=sys.stderr)
        return 1
    return 0


def entry_of(crawler: Any) -> dict[str, Any]:
    """A crawler's part of the report, from its RunReport extension (or, if it never got that
    far, from its stats with the reason)."""
    from postcrawl import runs
    from postcrawl.extensions import RunReport

    name = crawler.spidercls.name
    extensions = getattr(getattr(crawler, "extensions", None), "middlewares", ())
    for ext in extensions:
        if isinstance(ext, RunReport) and ext.entry is not None:
            return ext.entry
    stats = crawler.stats.get_stats() if crawler.stats is not None else {}
    return runs.spider_entry(name, stats, problem=f"{name}: the crawl did not run")


# -- progress --------------------------------------------------------------------------------
def progress_row(crawler: Any, now: float, began: float) -> dict[str, Any]:
    stats = crawler.stats.get_stats() if crawler.stats is not None else {}

    def n(key: str) -> int:
        value = stats.get(key, 0)
        return int(value) if isinstance(value, int | float) else 0

    elapsed = now - began
    fetched = n("postcrawl/spider/articles_fetched")
    return {
        "spider": crawler.spidercls.name,
        "lists": n("postcrawl/list/pages")
        + n("postcrawl/api/pages")
        + n("postcrawl/spider/list_pages"),
        # A distributed worker stores nothing: its new articles are those sent to the archiver.
        "new": n("postcrawl/store/stored") + n("postcrawl/stream/articles"),
        "duplicate": n("postcrawl/dedupe/duplicate")
        + n("postcrawl/dedupe/near-duplicate")
        + n("postcrawl/dedupe/claimed"),
        "failed": n("postcrawl/failed"),
        "elapsed": elapsed,
        "rate": fetched / elapsed * 60 if elapsed > 0 else 0.0,
        "done": stats.get("finish_reason") is not None,
    }


class Progress:
    """A live rich table on a terminal, else plain lines every *interval* seconds.

    rich rather than tqdm: the display is a multi-row table (one row per site, several
    counters each) redrawn in place, which rich's ``Live`` does; tqdm draws one bar per line
    for one counter and would need one bar per site per counter.
    """

    def __init__(self, crawlers: list[Any], *, live: bool, interval: float) -> None:
        self.crawlers = crawlers
        self.live = live
        self.interval = 1.0 if live else max(interval, 0.1)
        self.began = time.monotonic()
        self._loop: Any = None
        self._live: Any = None

    def rows(self) -> list[dict[str, Any]]:
        now = time.monotonic()
        return [progress_row(c, now, self.began) for c in self.crawlers]

    def table(self) -> Any:
        from rich.table import Table

        table = Table(title="postcrawl crawl", title_justify="left")
        for column in ("site", "lists read", "new", "duplicate", "failed", "elapsed", "per min"):
            table.add_column(column, justify="left" if column == "site" else "right")
        for row in self.rows():
            table.add_row(
                row["spider"] + (" ✓" if row["done"] else ""),
                str(row["lists"]),
                str(row["new"]),
                str(row["duplicate"]),
                str(row["failed"]),
                f"{row['elapsed']:.0f} s",
                f"{row['rate']:.0f}",
            )
        return table

    def tick(self) -> None:
        if self._live is not None:
            self._live.update(self.table(), refresh=True)
            return
        for row in self.rows():
            print(
                f"progress {row['spider']}: lists {row['lists']}, new {row['new']}, "
                f"duplicate {row['duplicate']}, failed {row['failed']}, "
                f"{row['elapsed']:.0f} s, {row['rate']:.0f} articles/min"
                + (", done" if row["done"] else ""),
                flush=True,
            )

    def start(self) -> None:
        from twisted.internet import task

        if self.live:
            from rich.live import Live

            self._live = Live(self.table(), auto_refresh=False, transient=False)
            self._live.start()
        self._loop = task.LoopingCall(self.tick)
        self._loop.start(self.interval, now=False)

    def stop(self) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        if self._live is not None:
            self._live.update(self.table(), refresh=True)
            self._live.stop()
            self._live = None


def print_report(report: dict[str, Any], *, live: bool) -> None:
    """The run report as a plain table (about 110 columns wide: a rich table squeezed into an
    80-column terminal truncates every header), with the findings under it."""
    from postcrawl import runs

    print(runs.plain_table(report))
