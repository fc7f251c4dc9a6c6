"""Extensions: the end-of-run summary."""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

FAILURES_KEY = "postcrawl/failures"
MAX_LISTED_FAILURES = 200


def note_failure(stats: StatsCollector, url: str, reason: str) -> None:
    """Count a URL the crawl could not archive and keep it for the run summary."""
    stats.inc_value("postcrawl/failed")
    failures: list[str] = stats.get_value(FAILURES_KEY) or []
    if len(failures) < MAX_LISTED_FAILURES:
        failures.append(f"{url} ({reason})")
        stats.set_value(FAILURES_KEY, failures)


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
            if k.startswith("postcrawl/") and k != FAILURES_KEY and isinstance(v, int | float)
        }
        lines = ["postcrawl run summary:"]
        lines += [f"  {key}: {value}" for key, value in counts.items()] or ["  nothing archived"]
        failures = stats.get(FAILURES_KEY) or []
        if failures:
            lines.append(f"  failed URLs ({stats.get('postcrawl/failed', len(failures))}):")
            lines += [f"    {f}" for f in failures]
        return "\n".join(lines)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        logger.info("%s\n  finish reason: %s", self.summary(), reason)
