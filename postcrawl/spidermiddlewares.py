"""Spider middleware: the crawl frontier records what the lists show, before it is fetched."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterable
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from postcrawl.archive import is_fatal
from postcrawl.crawl_archive import frontier_for, stop_for_archive_error
from postcrawl.extensions import ARCHIVE_ERROR_KEY
from postcrawl.frontier import Frontier, Listed, Watermark
from postcrawl.items import ListWalkDone
from postcrawl.spiders.base import LISTED_META


class FrontierMiddleware:
    """Records every article request a list callback yields as *listed* in the crawl frontier
    (so a kill before it is fetched loses nothing), and each :class:`ListWalkDone` as the list's
    new watermark. Counts ``postcrawl/frontier/listed`` and ``…/walks_completed``.

    Off with ``POSTCRAWL_FRONTIER_ENABLED = False`` (a crawl then relies on list paging alone).
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self._frontier: Frontier | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FrontierMiddleware:
        if not crawler.settings.getbool("POSTCRAWL_FRONTIER_ENABLED", True):
            raise NotConfigured
        return cls(crawler)

    @property
    def frontier(self) -> Frontier:
        if self._frontier is None:
            self._frontier = frontier_for(self.crawler)
        return self._frontier

    def _handle(self, output: Any) -> bool:
        """Record what *output* says; whether it goes on to the engine. When the archive
        cannot be written (a full disk) the crawl stops and nothing more is scheduled or
        recorded: above all no walk's completion, whose entries may not all have been."""
        if self.crawler.stats.get_value(ARCHIVE_ERROR_KEY):
            return False
        try:
            return self._record(output)
        except (OSError, sqlite3.OperationalError) as exc:
            if not is_fatal(exc):
                raise
            stop_for_archive_error(self.crawler, f"cannot write the crawl frontier: {exc}")
            return False

    def _record(self, output: Any) -> bool:
        stats = self.crawler.stats
        if isinstance(output, ListWalkDone):
            self.frontier.complete_walk(
                output.list_key, Watermark(output.head_url, output.head_published)
            )
            stats.inc_value("postcrawl/frontier/walks_completed")
            return False
        if isinstance(output, Request):
            listed = output.meta.get(LISTED_META)
            if isinstance(listed, Listed):
                self.frontier.add(listed)
                stats.inc_value("postcrawl/frontier/listed")
        return True

    def process_spider_output(
        self, response: Response, result: Iterable[Any]
    ) -> Iterable[Any]:
        for output in result:
            if self._handle(output):
                yield output

    async def process_spider_output_async(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        async for output in result:
            if self._handle(output):
                yield output
