"""The crawl's archive: one :class:`ArchiveStore` per crawler, shared by the spider (which
reads what is seen and pending), the frontier middleware and the pipeline steps, and closed
when the engine stops. The last crawler of a process to close its archive ends the crawl:
:func:`finish_crawl` merges the full-text index's segments then."""

from __future__ import annotations

import logging
import weakref

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.utils.defer import deferred_from_coro

from postcrawl import index
from postcrawl.archive import ArchiveStore
from postcrawl.extensions import ARCHIVE_ERROR_KEY
from postcrawl.paths import data_dir_setting

logger = logging.getLogger(__name__)

_ARCHIVES: weakref.WeakKeyDictionary[Crawler, ArchiveStore] = weakref.WeakKeyDictionary()


def archive_for(crawler: Crawler) -> ArchiveStore:
    """The crawl's one :class:`ArchiveStore` (root ``POSTCRAWL_DATA_DIR``), closed with the spider."""
    store = _ARCHIVES.get(crawler)
    if store is None:
        root = data_dir_setting(crawler.settings)
        store = ArchiveStore(root, fsync=crawler.settings.getbool("POSTCRAWL_FSYNC", True))
        _ARCHIVES[crawler] = store

        def close(*_: object) -> None:
            if _ARCHIVES.pop(crawler, None) is None:
                return
            # `postcrawl crawl --all` runs every site's crawler in one process, each with its
            # own store; the crawl ends when the last of them closes. A crawl stopped for an
            # archive error (a full disk) leaves the index as it is.
            still_open = any(s.root.resolve() == store.root.resolve() for s in _ARCHIVES.values())
            failed = crawler.stats is not None and crawler.stats.get_value(ARCHIVE_ERROR_KEY)
            try:
                if not still_open and not failed:
                    finish_crawl(store)
            finally:
                store.close()

        # engine_stopped comes after every spider_closed handler, some of which still use
        # the archive (the frontier's failure count, the run summary).
        crawler.signals.connect(close, signal=signals.engine_stopped, weak=False)
    return store


def finish_crawl(store: ArchiveStore) -> index.FtsOptimize:
    """What a crawl's end does to the archive: merge the full-text index into one segment
    (:func:`postcrawl.index.optimize_fts`) if articles were added since that was last done,
    holding the archive lock. A crawl commits one article per transaction, which leaves the
    index in many segments, and every search lookup seeks in each; merged, searches between
    crawls read one. It rewrites the whole full-text index: about a minute and a half at
    200,000 articles on the 2-core benchmark machine (``benchmarks/corpus.py``)."""
    result = index.optimize_fts(store.conn, store.locked())
    if result.optimized:
        logger.info(
            "crawl end: full-text index merged (%d new articles) in %.1f s",
            result.new_articles,
            result.seconds,
        )
    return result


def stop_for_archive_error(crawler: Crawler, error: str) -> None:
    """Close the crawl (finish reason ``archive_error``) once the archive cannot be written:
    every further write would fail the same way. The error goes into the stats for the run
    summary and the crawl command's exit status."""
    assert crawler.stats is not None
    if crawler.stats.get_value(ARCHIVE_ERROR_KEY):
        return
    logger.error("%s; stopping the crawl", error)
    crawler.stats.set_value(ARCHIVE_ERROR_KEY, error)
    if crawler.engine is not None:
        deferred_from_coro(crawler.engine.close_spider_async(reason="archive_error"))
