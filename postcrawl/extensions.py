"""Extensions: the end-of-run summary and the stats file."""

from __future__ import annotations

import json
import logging
from pathlib import Path
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
