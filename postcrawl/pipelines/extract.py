"""Step 1: read the article out of the fetched page."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector

from postcrawl.extensions import note_failure
from postcrawl.extraction import ExtractionError, extract_article
from postcrawl.items import ArticleItem, FetchedPage
from postcrawl.pipelines import item_site, listed_url

logger = logging.getLogger(__name__)


class ExtractPipeline:
    """Runs :func:`postcrawl.extraction.extract_article` on the fetched page and sets
    ``item.article``; drops pages with no
    article (``postcrawl/extract/dropped/<kind>``) and frees the raw body once read."""

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractPipeline:
        return cls(crawler.stats)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        adapter = ItemAdapter(item)
        site = item_site(adapter)
        page: FetchedPage = adapter["page"]
        try:
            extracted = extract_article(
                page.body, adapter["url"], site=site, hints=adapter["hints"], encoding=page.encoding
            )
        except ExtractionError as exc:
            self.stats.inc_value(f"postcrawl/extract/dropped/{exc.kind}")
            listed = listed_url(adapter)
            if exc.kind == "boilerplate":
                # Navigation, a maintenance notice…: never archived, never marked seen. A
                # failure that waiting may cure (transient): retried next run.
                note_failure(self.stats, listed, str(exc))
                logger.warning("dropped %s: %s", adapter["url"], exc)
                raise DropItem(f"not an article at {adapter['url']}: {exc}") from None
            # A failure like a 404: retried next run, given up after repeated runs.
            note_failure(self.stats, listed, f"no article: {exc}")
            raise DropItem(f"no article at {adapter['url']}: {exc}") from None
        self.stats.inc_value("postcrawl/extract/articles")
        self.stats.inc_value(f"postcrawl/extract/method/{extracted.method}")
        for rule, count in extracted.dropped.items():
            self.stats.inc_value(f"postcrawl/extract/chrome/{rule}", count)
        if extracted.published is None:
            self.stats.inc_value("postcrawl/extract/undated")
        adapter["article"] = extracted
        # The page is read: do not carry megabytes through the other steps.
        adapter["page"] = dataclasses.replace(page, body=b"")
        return item
