"""Item pipelines, one step each, in ``ITEM_PIPELINES`` order: extract → normalize → dedupe → store.

Each counts what it does in ``postcrawl/<step>/...`` stats and drops with a reason.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Self
from urllib.parse import urlsplit

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector

from postcrawl.archive import ArchiveStore
from postcrawl.crawl_archive import archive_for, stop_for_archive_error
from postcrawl.extraction import Extracted
from postcrawl.items import FetchedPage
from postcrawl.sites import SITES, Site, site_for_url

__all__ = [
    "ArchiveStep",
    "archive_for",
    "item_article",
    "item_site",
    "listed_url",
    "record_aliases",
    "stop_for_archive_error",
]

logger = logging.getLogger(__name__)


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


def item_article(adapter: ItemAdapter) -> Extracted:
    """The article an earlier step read out of the item's page."""
    article = adapter.get("article")
    if article is None:  # a step ordered before extraction in ITEM_PIPELINES
        raise DropItem(f"{adapter['url']}: no article extracted (is ExtractPipeline on?)")
    return article


def listed_url(adapter: ItemAdapter) -> str:
    """The URL the frontier knows the item by (the list's, before redirects)."""
    return adapter["page"].listed_url or adapter["url"]


def record_aliases(
    archive: ArchiveStore, adapter: ItemAdapter, body_hash: str, official: bool
) -> int:
    """Record the URLs that redirected to the item's page as URLs of the archived article
    *body_hash* (relation ``redirect``), so the next run does not fetch them again."""
    page: FetchedPage = adapter["page"]
    article = item_article(adapter)
    for alias in page.aliases:
        archive.add_sighting(
            dataclasses.replace(article, url=alias),
            crawled_at=page.fetched_at,
            official=official,
            relation="redirect",
            body_hash=body_hash,
        )
    return len(page.aliases)
