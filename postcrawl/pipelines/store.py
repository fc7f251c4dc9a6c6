"""Step 4: write the article file, the manifest line and the index rows."""

from __future__ import annotations

import logging
from typing import Any, Self

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector

from postcrawl.archive import ArchiveError, ArchiveStore
from postcrawl.extensions import ARCHIVE_ERROR_KEY
from postcrawl.items import ArticleItem, SkippedPage
from postcrawl.pipelines import (
    ArchiveStep,
    archive_for,
    item_article,
    item_site,
    record_aliases,
    stop_for_archive_error,
)

logger = logging.getLogger(__name__)


class StorePipeline(ArchiveStep):
    """Archives the item (:meth:`postcrawl.archive.ArchiveStore.add`) and sets ``item.path``.

    Counts ``postcrawl/store/stored`` and ``postcrawl/store/duplicate`` (an article another
    process stored between the dedupe check and this one). Records the URLs that redirected to
    the page (``…/redirect_aliases``) and the pages a spider skipped (:class:`SkippedPage`).

    When the archive cannot be written (a full disk, an I/O error, a read-only file system) the
    crawl closes at once with the reason ``archive_error`` and the error in the stats: nothing
    is half-written, the URL stays pending in the frontier, and the next run archives it.
    """

    def __init__(
        self, stats: StatsCollector, archive: ArchiveStore, crawler: Crawler | None = None
    ) -> None:
        super().__init__(stats, archive)
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler.stats, archive_for(crawler), crawler)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, SkippedPage):
            self.archive.record_skip(item.url, item.site, item.reason, crawled_at=item.fetched_at)
            self.stats.inc_value("postcrawl/store/skipped_pages")
            return item
        if not isinstance(item, ArticleItem):
            return item
        adapter = ItemAdapter(item)
        site = item_site(adapter)
        if self.stats.get_value(ARCHIVE_ERROR_KEY):
            raise DropItem(f"not archived (the archive failed): {adapter['url']}")
        try:
            result = self.archive.add(
                item_article(adapter),
                crawled_at=adapter["page"].fetched_at,
                official=site.official,
                province=site.province,
                unmatched_at=adapter.get("unmatched_at"),
            )
            aliases = record_aliases(self.archive, adapter, result.body_hash, site.official)
        except ArchiveError as exc:
            if self.crawler is not None:
                stop_for_archive_error(self.crawler, str(exc))
            raise DropItem(f"not archived (the archive failed): {adapter['url']}") from None
        adapter["path"] = result.path
        self.stats.inc_value(f"postcrawl/store/{result.status}")
        self.stats.inc_value("postcrawl/store/redirect_aliases", aliases)
        if result.status == "stored":
            logger.info("archived %s -> %s", adapter["url"], result.path)
        return item
