"""Spider middleware: the crawl frontier records what the lists show, before it is fetched."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import reactor
from twisted.internet.threads import deferToThreadPool
from twisted.python.threadpool import ThreadPool

from postcrawl import index
from postcrawl.archive import INDEX, is_fatal
from postcrawl.crawl_archive import archive_for, frontier_for, stop_for_archive_error
from postcrawl.extensions import ARCHIVE_ERROR_KEY
from postcrawl.frontier import Frontier, Listed, SqliteFrontier, Watermark
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
        # Writes go through one thread of their own: a write waits while the pipeline
        # process commits a group (SQLite has one writer at a time), and the reactor must not
        # wait with it. One thread keeps them in order.
        self._writer: ThreadPool | None = None
        self._thread_frontier: Frontier | None = None
        crawler.signals.connect(self._stop_writer, signal=signals.engine_stopped)

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

    async def process_spider_output(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        outputs = [output async for output in result]
        if self.crawler.stats.get_value(ARCHIVE_ERROR_KEY):
            return
        writes, kept = self._writes(outputs)
        if writes:
            try:
                if reactor.running:  # type: ignore[attr-defined]
                    await maybe_deferred_to_future(
                        deferToThreadPool(reactor, self._thread_pool(), self._write, writes)
                    )
                else:  # driven outside a crawl (a test): no thread to hand over to
                    self._write(writes, self.frontier)
            except (OSError, sqlite3.OperationalError) as exc:
                if not is_fatal(exc):
                    raise
                # Nothing more is scheduled or recorded: above all no walk's completion,
                # whose entries may not all have been.
                stop_for_archive_error(self.crawler, f"cannot write the crawl frontier: {exc}")
                return
        stats = self.crawler.stats
        for write in writes:
            if isinstance(write, ListWalkDone):
                stats.inc_value("postcrawl/frontier/walks_completed")
            else:
                stats.inc_value("postcrawl/frontier/listed", len(write))
        for output in kept:
            yield output

    @staticmethod
    def _writes(outputs: list[Any]) -> tuple[list[list[Listed] | ListWalkDone], list[Any]]:
        """What a callback's *outputs* record, in order, and the outputs that go on. The
        listed URLs between two walk completions are one write (a write per URL cost the
        reactor more than the download); a walk's completion comes after its entries."""
        writes: list[list[Listed] | ListWalkDone] = []
        kept: list[Any] = []
        listed: list[Listed] = []
        for output in outputs:
            if isinstance(output, ListWalkDone):
                if listed:
                    writes.append(listed)
                    listed = []
                writes.append(output)
                continue
            if isinstance(output, Request):
                entry = output.meta.get(LISTED_META)
                if isinstance(entry, Listed):
                    listed.append(entry)
            kept.append(output)
        if listed:
            writes.append(listed)
        return writes, kept

    def _write(
        self, writes: list[list[Listed] | ListWalkDone], frontier: Frontier | None = None
    ) -> None:
        """Record *writes* (in the writer thread, unless a *frontier* is given)."""
        frontier = frontier or self._thread_frontier
        if frontier is None:
            frontier = self.frontier
            if isinstance(frontier, SqliteFrontier):  # a SQLite connection is one thread's
                root = archive_for(self.crawler).root
                frontier = SqliteFrontier(index.connect(root / INDEX))
            self._thread_frontier = frontier
        for write in writes:
            if isinstance(write, ListWalkDone):
                frontier.complete_walk(
                    write.list_key, Watermark(write.head_url, write.head_published)
                )
            else:
                frontier.add_many(write)

    def _thread_pool(self) -> ThreadPool:
        if self._writer is None:
            self._writer = ThreadPool(minthreads=1, maxthreads=1, name="frontier-writer")
            self._writer.start()
        return self._writer

    def _stop_writer(self) -> None:
        if self._writer is not None:
            # The thread's connection is closed in the thread (SQLite wants its own thread);
            # stop() runs what is queued before it ends the thread.
            self._writer.callInThread(self._close_thread_frontier)
            self._writer.stop()
            self._writer = None

    def _close_thread_frontier(self) -> None:
        frontier, self._thread_frontier = self._thread_frontier, None
        if isinstance(frontier, SqliteFrontier) and frontier is not self._frontier:
            frontier.conn.close()
