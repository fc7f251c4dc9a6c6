"""Extensions: the end-of-run summary and the stats file."""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector

from postcrawl.frontier import Frontier
from postcrawl.paths import data_dir_setting
from postcrawl.wording import plural

logger = logging.getLogger(__name__)

FAILURES_KEY = "postcrawl/failures"
FAILED_URLS_KEY = "postcrawl/failed_urls"  # url -> reason, every failure of the run
OUTSTANDING_KEY = "postcrawl/frontier/outstanding_urls"
GIVEN_UP_KEY = "postcrawl/frontier/given_up_urls"
ARCHIVE_ERROR_KEY = "postcrawl/archive_error"
MAX_LISTED_FAILURES = 200


def note_failure(stats: StatsCollector, url: str, reason: str) -> None:
    """Count a URL the crawl could not archive and keep it for the run summary and the
    frontier (which retries it next run, and gives it up after repeated failures)."""
    record_failure = getattr(stats, "record_failure", None)
    if record_failure is not None:  # the pipeline process: the crawl process keeps the list
        record_failure(url, reason)
        return
    stats.inc_value("postcrawl/failed")
    failed: dict[str, str] = stats.get_value(FAILED_URLS_KEY) or {}
    failed[url] = reason
    stats.set_value(FAILED_URLS_KEY, failed)
    failures: list[str] = stats.get_value(FAILURES_KEY) or []
    if len(failures) < MAX_LISTED_FAILURES:
        failures.append(f"{url} ({reason})")
        stats.set_value(FAILURES_KEY, failures)


class FrontierAtRunEnd:
    """Base of the extensions that update the crawl frontier when a spider closes: off with
    the frontier (``POSTCRAWL_FRONTIER_ENABLED``), and silent after an archive error (the
    frontier may not be writable, and a half-finished run must not record anything)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("POSTCRAWL_FRONTIER_ENABLED", True):
            raise NotConfigured
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_closed(self, spider: Spider, reason: str) -> None:
        from postcrawl.crawl_archive import frontier_for  # it imports this module

        site = getattr(getattr(spider, "site", None), "name", None)
        if site is None or self.crawler.stats.get_value(ARCHIVE_ERROR_KEY):
            return
        self.run_ended(spider, reason, site, frontier_for(self.crawler))

    def run_ended(self, spider: Spider, reason: str, site: str, frontier: Frontier) -> None:
        """What to record for *site*'s run that ended with *reason*."""
        raise NotImplementedError


class FrontierFailures(FrontierAtRunEnd):
    """At the end of a run, counts each failed URL in the crawl frontier (given up after
    ``POSTCRAWL_GIVE_UP_RUNS`` runs in a row for permanent failures such as HTTP 404,
    ``POSTCRAWL_GIVE_UP_TRANSIENT_RUNS`` for others; 0: never) and puts every failure still
    outstanding — this run's and earlier runs' — into the stats for the run summary."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        settings = crawler.settings
        self.give_up_runs = settings.getint("POSTCRAWL_GIVE_UP_RUNS", 3)
        self.transient_runs = settings.getint("POSTCRAWL_GIVE_UP_TRANSIENT_RUNS", 10)

    def run_ended(self, spider: Spider, reason: str, site: str, frontier: Frontier) -> None:
        stats = self.crawler.stats
        run_id = f"{stats.get_value('start_time')}-{os.getpid()}"
        given_up = frontier.record_failures(
            stats.get_value(FAILED_URLS_KEY) or {},
            run_id,
            give_up_runs=self.give_up_runs,
            transient_runs=self.transient_runs,
        )
        outstanding = frontier.outstanding(site)
        stats.set_value("postcrawl/frontier/outstanding", len(outstanding))
        stats.set_value("postcrawl/frontier/given_up", len(given_up))
        stats.set_value(
            OUTSTANDING_KEY,
            [f"{e.url} ({e.last_reason}; failed {plural(e.failures, 'run')})" for e in outstanding][
                :MAX_LISTED_FAILURES
            ],
        )
        stats.set_value(GIVEN_UP_KEY, [f"{url} ({why})" for url, why in given_up])


class DiscoveryRecorder(FrontierAtRunEnd):
    """Keeps what a bureau spider discovered (``postcrawl/discovery/channel_list``) in the
    archive at the end of a run, so the next runs go straight to the channel lists (one request
    per channel) until ``POSTCRAWL_REDISCOVER_DAYS`` have passed. Only a complete discovery is
    kept: a run that finished, found the lists through the home page's navigation and crawled
    every channel (no ``-a channels=``). A remembered list that fails makes the next run
    discover the site again."""

    def run_ended(self, spider: Spider, reason: str, site: str, frontier: Frontier) -> None:
        stats = self.crawler.stats
        channels = stats.get_value("postcrawl/discovery/channel_list") or []
        failed = stats.get_value(FAILED_URLS_KEY) or {}
        if stats.get_value("postcrawl/discovery/remembered"):
            lists = {str(c.get("list")) for c in frontier.channels(site)[0]}
            if lists & set(failed):
                logger.warning("%s: a remembered channel list failed; rediscovering next run", site)
                frontier.save_channels(site, [])
            return
        selection = getattr(spider, "selection", None)
        complete = (
            reason == "finished"
            and channels
            and all(c.get("source") == "navigation" for c in channels)
            and not (selection and (selection.include or selection.exclude))
        )
        if complete:
            frontier.save_channels(site, channels)
            stats.set_value("postcrawl/discovery/remembered_for_next_run", len(channels))


class RunSummary:
    """Logs one summary at the end of a crawl: what was archived, skipped, dropped and failed.

    Off with ``POSTCRAWL_SUMMARY_ENABLED = False``.
    """

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunSummary:
        if not crawler.settings.getbool("POSTCRAWL_SUMMARY_ENABLED", True):
            raise NotConfigured
        ext = cls(crawler.stats)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def summary(self) -> str:
        """The summary text of the stats so far."""
        stats: dict[str, Any] = self.stats.get_stats()
        counts = {
            k: v
            for k, v in sorted(stats.items())
            if k.startswith("postcrawl/") and isinstance(v, int | float)
        }
        lines = ["postcrawl run summary:"]
        lines += [f"  {key}: {value}" for key, value in counts.items()] or ["  nothing archived"]
        if stats.get(ARCHIVE_ERROR_KEY):
            lines.append(f"  ARCHIVE ERROR, the crawl stopped: {stats[ARCHIVE_ERROR_KEY]}")
        failures = stats.get(FAILURES_KEY) or []
        if failures:
            lines.append(
                f"  failed URLs this run ({stats.get('postcrawl/failed', len(failures))}):"
            )
            lines += [f"    {f}" for f in failures]
        outstanding = stats.get(OUTSTANDING_KEY) or []
        if outstanding:
            lines.append(
                f"  failures still outstanding, retried next run "
                f"({stats.get('postcrawl/frontier/outstanding', len(outstanding))}):"
            )
            lines += [f"    {f}" for f in outstanding]
        given_up = stats.get(GIVEN_UP_KEY) or []
        if given_up:
            lines.append(f"  given up this run ({len(given_up)}):")
            lines += [f"    {f}" for f in given_up]
        return "\n".join(lines)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        # WARNING, not INFO: the summary is what an operator reads, also under -L WARNING.
        logger.warning("%s\n  finish reason: %s", self.summary(), reason)


class StatsFile:
    """Writes the crawl's final stats as one JSON object to ``POSTCRAWL_STATS_FILE`` when the
    spider closes (for tests and operators' monitoring). Off when the setting is empty."""

    def __init__(self, stats: StatsCollector, path: Path) -> None:
        self.stats = stats
        self.path = path

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StatsFile:
        path = crawler.settings.get("POSTCRAWL_STATS_FILE")
        if not path:
            raise NotConfigured
        ext = cls(crawler.stats, Path(path))
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = dict(self.stats.get_stats())
        stats.setdefault("finish_reason", reason)
        text = json.dumps(stats, ensure_ascii=False, indent=2, sort_keys=True, default=str)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(self.path.name + ".tmp")
            tmp.write_text(text + "\n", encoding="utf-8")
            tmp.replace(self.path)  # readers never see half a file
        except OSError as exc:
            logger.error("cannot write the stats file %s: %s", self.path, exc)


class RunReport:
    """The run report and its monitors (:mod:`postcrawl.runs`), at spider close: the figures,
    a status (``ok``/``degraded``/``broken``) with its findings in the stats
    (``postcrawl/run/status``, ``postcrawl/run/findings``), the report written to
    ``<data>/runs/<UTC stamp>-<spider>.json``, the index's ``runs`` table reloaded, the table
    logged, and the notification sent (``POSTCRAWL_NOTIFY_COMMAND``, ``POSTCRAWL_NOTIFY_URL``).

    ``postcrawl crawl`` sets ``POSTCRAWL_RUN_REPORT_WRITE = False`` and writes one report for
    all its spiders from :attr:`entry`. Off with ``POSTCRAWL_RUN_REPORT_ENABLED = False``.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.started = datetime.now(UTC)
        self.entry: dict[str, Any] | None = None
        self.report_path: Path | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunReport:
        if not crawler.settings.getbool("POSTCRAWL_RUN_REPORT_ENABLED", True):
            raise NotConfigured
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        self.started = datetime.now(UTC)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        from postcrawl import runs
        from postcrawl.commands.crawl import run_problem  # the command imports this module

        settings = self.crawler.settings
        stats = self.crawler.stats
        final = dict(stats.get_stats())
        final["finish_reason"] = reason
        root = data_dir_setting(settings)
        self.entry = runs.spider_entry(
            spider.name,
            final,
            finish_reason=reason,
            thresholds=runs.thresholds_from(settings),
            root=root,
            problem=run_problem(final, spider.name),
        )
        stats.set_value("postcrawl/run/status", self.entry["status"])
        stats.set_value(
            "postcrawl/run/findings",
            [f"{f['severity']}: {f['rule']}: {f['message']}" for f in self.entry["findings"]],
        )
        if not settings.getbool("POSTCRAWL_RUN_REPORT_WRITE", True):
            return
        report = runs.make_report([self.entry], root=root, name=spider.name, started=self.started)
        self.report_path = runs.finish_report(
            report,
            root,
            notify_command=settings.get("POSTCRAWL_NOTIFY_COMMAND"),
            notify_url=settings.get("POSTCRAWL_NOTIFY_URL"),
            notify_when=settings.get("POSTCRAWL_NOTIFY_ON") or "problems",
        )
        stats.set_value("postcrawl/run/report", str(self.report_path) if self.report_path else None)
        log = logger.warning if report["status"] == "ok" else logger.error
        log("run report %s:\n%s", self.report_path, runs.plain_table(report))
