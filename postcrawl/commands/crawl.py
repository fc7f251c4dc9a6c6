"""``scrapy crawl NAME``, as Scrapy's, plus what an unattended run needs.

Before starting: an unknown spider, an unknown ``-a`` argument or a bad value is one clear
line (exit 2, Scrapy's usage error), and an archive that cannot be opened (a corrupt index)
is one line naming the fix (exit 1). After the run: a crawl that could not do its job — the
archive failed, no answer from the site at all, closed early (a signal, an error; not a
``CLOSESPIDER_*`` limit), or a run report whose status is ``broken`` (the monitors of
:mod:`postcrawl.runs`: no list rows, no articles, boilerplate instead of articles, …) — ends
with one line saying why and exit status 1.

One crawl at a time per archive root (:mod:`postcrawl.runlock`): while another holds
``<data>/.run.lock`` this one exits 75 with a line naming it, or waits for it with
``-s POSTCRAWL_RUN_LOCK_WAIT=True``.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path
from typing import Any

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError

from postcrawl.archive import ArchiveError, ArchiveStore
from postcrawl.extensions import ARCHIVE_ERROR_KEY
from postcrawl.paths import data_dir_setting
from postcrawl.runlock import RunLock, RunLocked
from postcrawl.spiders.base import SpiderArgumentError


def run_problem(stats: dict[str, Any], name: str) -> str | None:
    """Why a finished crawl did not do its job, in one line; ``None`` when it did."""
    reason = stats.get("finish_reason")
    if stats.get(ARCHIVE_ERROR_KEY):
        return f"{name}: stopped, the archive could not be written: {stats[ARCHIVE_ERROR_KEY]}"
    responses = stats.get("downloader/response_count", 0)
    errors = stats.get("downloader/exception_count", 0)
    if responses == 0 and errors:
        kinds = sorted(
            key.rsplit("/", 1)[-1].rsplit(".", 1)[-1]
            for key in stats
            if key.startswith("downloader/exception_type_count/")
        )
        return (
            f"{name}: no answer from the site ({errors} requests failed: {', '.join(kinds)}); "
            "check the network, or the address given with -a base_url="
        )
    # closespider_* are limits the operator set (CLOSESPIDER_ITEMCOUNT, …): a finish too.
    if reason not in (None, "finished") and not str(reason).startswith("closespider_"):
        return f"{name}: the crawl ended early ({reason})"
    return None


class Command(ScrapyCrawl):
    """Scrapy's ``crawl`` with checks before and a verdict after."""

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            super().run(args, opts)  # Scrapy's own usage errors
            return
        assert self.crawler_process is not None
        name = args[0]
        try:
            spidercls = self.crawler_process.spider_loader.load(name)
        except KeyError:
            raise UsageError(
                f"no spider named {name!r} (`scrapy list` shows them)", print_help=False
            ) from None
        check = getattr(spidercls, "check_arguments", None)
        if check is not None:
            try:
                check(dict(opts.spargs))
            except SpiderArgumentError as exc:
                raise UsageError(str(exc), print_help=False) from None
        assert self.settings is not None
        from postcrawl.cli import CliError
        from postcrawl.cli.crawl import refuse_distributed

        try:
            refuse_distributed(self.settings)
        except CliError as exc:
            raise UsageError(str(exc), print_help=False) from None
        root = data_dir_setting(self.settings)
        lock = RunLock(root, wait=self.settings.getbool("POSTCRAWL_RUN_LOCK_WAIT"))
        try:
            lock.acquire()
        except RunLocked as exc:
            print(f"postcrawl: {exc}", file=sys.stderr)
            self.exitcode = exc.code
            return
        try:
            self.exitcode = self._crawl(name, root, opts)
        finally:
            lock.release()

    def _crawl(self, name: str, root: Path, opts: argparse.Namespace) -> int:
        assert self.crawler_process is not None
        problem = check_archive(root)
        if problem:
            print(f"postcrawl: {problem}", file=sys.stderr)
            return 1
        crawler: Crawler = self._create_crawler(name)
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            return 1
        assert crawler.stats is not None
        stats = crawler.stats.get_stats()
        problem = run_problem(stats, name)
        if problem:
            print(f"postcrawl: {problem}", file=sys.stderr)
            return 1
        if stats.get("postcrawl/run/status") == "broken":
            findings = "; ".join(
                f.removeprefix("broken: ")
                for f in stats.get("postcrawl/run/findings") or []
                if f.startswith("broken: ")
            )
            print(f"postcrawl: {name}: the run is broken: {findings}", file=sys.stderr)
            return 1
        return 0


def check_archive(root: Path) -> str | None:
    """Open the archive once (recovering it from a crash if needed); a line naming the fix
    when it cannot be opened."""
    try:
        with ArchiveStore(root, fsync=False):
            return None
    except sqlite3.DatabaseError as exc:
        return (
            f"the index of the archive at {root} cannot be read ({exc}): "
            f"run `postcrawl reindex --data-dir {root}` to rebuild it from the manifest"
        )
    except (ArchiveError, OSError) as exc:
        return f"the archive at {root} cannot be opened for writing: {exc}"
