"""The crawl's archive: one :class:`ArchiveStore` per crawler, shared by the spider (which
reads what is seen and pending), the frontier middleware and the pipeline steps, and closed
when the engine stops. The last crawler of a process to close its archive ends the crawl:
:func:`finish_crawl` merges the full-text index's segments then.

The seen store and the crawl frontier are chosen by settings, the way Scrapy chooses its
``DUPEFILTER_CLASS``: ``POSTCRAWL_SEEN_STORE`` (a :class:`~postcrawl.seen.SeenStore`) and
``POSTCRAWL_FRONTIER_STORE`` (a :class:`~postcrawl.frontier.Frontier`). The defaults live inside
the archive's ``index.sqlite3``; another class (the Redis ones of distributed mode) is built
with its ``from_crawler``, once per crawler, and the archive marks every write in that seen
store too. A distributed worker or ``postcrawl enqueue`` (``POSTCRAWL_DISTRIBUTED_ROLE``) never
opens the archive: it may run on another host than the archive's.
"""

from __future__ import annotations

import logging
import weakref
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.misc import build_from_crawler, load_object

from postcrawl import index
from postcrawl.archive import ArchiveStore
from postcrawl.extensions import ARCHIVE_ERROR_KEY
from postcrawl.frontier import Frontier, SqliteFrontier
from postcrawl.paths import data_dir_setting
from postcrawl.seen import SeenStore, SqliteSeenStore

logger = logging.getLogger(__name__)

_ARCHIVES: weakref.WeakKeyDictionary[Crawler, ArchiveStore] = weakref.WeakKeyDictionary()
# Seen stores and frontiers that do not live in the archive, per crawler: kind -> instance.
_STATES: weakref.WeakKeyDictionary[Crawler, dict[str, Any]] = weakref.WeakKeyDictionary()
# Roles of distributed mode that must not touch the archive directory.
_NO_ARCHIVE_ROLES = ("worker", "enqueue")


def archive_for(crawler: Crawler) -> ArchiveStore:
    """The crawl's one :class:`ArchiveStore` (root ``POSTCRAWL_DATA_DIR``), closed with the spider."""
    store = _ARCHIVES.get(crawler)
    if store is None:
        role = crawler.settings.get("POSTCRAWL_DISTRIBUTED_ROLE")
        if role in _NO_ARCHIVE_ROLES:
            raise RuntimeError(f"a distributed {role} does not open the archive")
        root = data_dir_setting(crawler.settings)
        # Another seen store is marked with every write: by the archive's commit, or (the
        # distributed archiver) by the archiver itself, a batch at a time after the commits,
        # so no Redis round trip happens inside the archive's lock.
        shared = _seen_class(crawler) is not SqliteSeenStore and role != "archiver"
        seen = seen_for(crawler) if shared else None
        store = ArchiveStore(
            root, seen=seen, fsync=crawler.settings.getbool("POSTCRAWL_FSYNC", True)
        )
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


def _seen_class(crawler: Crawler) -> type:
    return load_object(crawler.settings.get("POSTCRAWL_SEEN_STORE") or SqliteSeenStore)


def _frontier_class(crawler: Crawler) -> type:
    return load_object(crawler.settings.get("POSTCRAWL_FRONTIER_STORE") or SqliteFrontier)


def _state(crawler: Crawler, kind: str, cls: type) -> Any:
    """The crawler's one instance of *cls* (built with its ``from_crawler``), closed when the
    engine stops."""
    states = _STATES.setdefault(crawler, {})
    if kind not in states:
        states[kind] = instance = build_from_crawler(cls, crawler)

        def close(*_: object) -> None:
            if _STATES.get(crawler, {}).pop(kind, None) is not None:
                instance.close()

        crawler.signals.connect(close, signal=signals.engine_stopped, weak=False)
    return states[kind]


def seen_for(crawler: Crawler) -> SeenStore:
    """The crawl's seen store (``POSTCRAWL_SEEN_STORE``): the archive's own by default."""
    cls = _seen_class(crawler)
    if cls is SqliteSeenStore:
        return archive_for(crawler).seen
    return _state(crawler, "seen", cls)


def frontier_for(crawler: Crawler) -> Frontier:
    """The crawl frontier (``POSTCRAWL_FRONTIER_STORE``): the archive's own by default."""
    cls = _frontier_class(crawler)
    if cls is SqliteFrontier:
        return archive_for(crawler).frontier
    return _state(crawler, "frontier", cls)


def finish_crawl(store: ArchiveStore) -> index.FtsOptimize:
    """What a crawl's end does to the archive: merge the full-text index into one segment
    (:func:`postcrawl.index.optimize_fts`) once the articles added since that was last done
    are a share of the archive, holding the archive lock. Each group commit adds a segment,
    and every search lookup seeks in each; merged, searches between crawls read one. It
    rewrites the whole full-text index: about a minute and a half at 200,000 articles on the
    2-core benchmark machine (``benchmarks/corpus.py``), hence the share."""
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
