"""Item pipelines, one step each, in ``ITEM_PIPELINES`` order: extract → normalize → dedupe → store.

Each counts what it does in ``postcrawl/<step>/...`` stats and drops with a reason.
"""

from __future__ import annotations

import dataclasses
import logging
import weakref
from pathlib import Path
from typing import Self
from urllib.parse import urlsplit

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector
from scrapy.utils.defer import deferred_from_coro

from postcrawl.archive import ArchiveStore
from postcrawl.extraction import Extracted
from postcrawl.sites import SITES, Site, site_for_url

logger = logging.getLogger(__name__)

_ARCHIVES: weakref.WeakKeyDictionary[Crawler, ArchiveStore] = weakref.WeakKeyDictionary()


def archive_for(crawler: Crawler) -> ArchiveStore:
    """The crawl's one :class:`ArchiveStore` (root ``POSTCRAWL_DATA_DIR``), closed with the spider."""
    store = _ARCHIVES.get(crawler)
    if store is None:
        root = Path(crawler.settings.get("POSTCRAWL_DATA_DIR") or "data")
        store = ArchiveStore(root, fsync=crawler.settings.getbool("POSTCRAWL_FSYNC", True))
        _ARCHIVES[crawler] = store

        def close(*_: object) -> None:
            if _ARCHIVES.pop(crawler, None) is not None:
                store.close()

        # engine_stopped comes after every spider_closed handler, some of which still use
        # the archive (the frontier's failure count, the run summary).
        crawler.signals.connect(close, signal=signals.engine_stopped, weak=False)
    return store


def stop_for_archive_error(crawler: Crawler, error: str) -> None:
    """Close the crawl (finish reason ``archive_error``) once the archive cannot be written:
    every further write would fail the same way. The error goes into the stats for the run
    summary and the crawl command's exit status."""
    from postcrawl.extensions import ARCHIVE_ERROR_KEY  # the extensions import this package

    assert crawler.stats is not None
    if crawler.stats.get_value(ARCHIVE_ERROR_KEY):
        return
    logger.error("%s; stopping the crawl", error)
    crawler.stats.set_value(ARCHIVE_ERROR_KEY, error)
    if crawler.engine is not None:
        deferred_from_coro(crawler.engine.close_spider_async(reason="archive_error"))


class ArchiveStep:
    """Base of the steps that read or write the archive (topic, dedupe, store): the crawl's
    stats and its one :class:`ArchiveStore`."""

    def __init__(self, stats: StatsCollector, archive: ArchiveStore) -> None:
        self.stats = stats
        self.archive = archive

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler.stats, archive_for(crawler))


def item_site(adapter: ItemAdapter) -> Site:
    """The site row of an item: by its ``site`` name, else by its URL; for a site with page
    generations (sxrb), the row with the rules of the generation the item's URL path belongs
    to (:meth:`Site.for_path`), so each page is read with its own layout's rules."""
    site = SITES.get(adapter.get("site") or "") or site_for_url(adapter["url"])
    return site.for_path(urlsplit(adapter["url"]).path)


# The item fields that mirror :class:`Extracted` (the item also carries what was fetched).
_EXTRACTED_FIELDS = tuple(
    f.name for f in dataclasses.fields(Extracted) if f.name not in {"method", "dropped"}
)


def update_item(adapter: ItemAdapter, article: Extracted) -> None:
    """Copy a plain-module result back onto the item."""
    for name in _EXTRACTED_FIELDS:
        adapter[name] = getattr(article, name)


def to_extracted(adapter: ItemAdapter) -> Extracted:
    """The plain-module view of an item that has been through extraction."""
    values = {name: adapter.get(name) for name in _EXTRACTED_FIELDS}
    values["normalized_body"] = values["normalized_body"] or ""
    values["body_hash"] = values["body_hash"] or ""
    values["attachments"] = list(values["attachments"] or [])
    values["paragraphs"] = list(values["paragraphs"] or [])
    values["title"] = values["title"] or ""
    return Extracted(**values)
