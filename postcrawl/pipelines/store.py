"""Step 4: write the article file, the manifest line and the index rows."""

from __future__ import annotations

import logging
from typing import Any

from itemadapter import ItemAdapter

from postcrawl.items import ArticleItem
from postcrawl.pipelines import ArchiveStep, item_site, to_extracted

logger = logging.getLogger(__name__)


class StorePipeline(ArchiveStep):
    """Archives the item (:meth:`postcrawl.archive.ArchiveStore.add`) and sets ``item.path``.

    Counts ``postcrawl/store/stored`` and ``postcrawl/store/duplicate`` (an article another
    process stored between the dedupe check and this one).
    """

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        adapter = ItemAdapter(item)
        site = item_site(adapter)
        result = self.archive.add(
            to_extracted(adapter),
            crawled_at=adapter.get("fetched_at"),
            official=site.official,
            province=site.province,
        )
        adapter["path"] = result.path
        self.stats.inc_value(f"postcrawl/store/{result.status}")
        if result.status == "stored":
            logger.info("archived %s -> %s", adapter["url"], result.path)
        return item
