"""Step 2b (between normalize and dedupe): keep only postal articles from general news sites."""

from __future__ import annotations

import logging
from typing import Any

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

from postcrawl.items import ArticleItem
from postcrawl.pipelines import ArchiveStep, item_article, item_site
from postcrawl.topic import matched_keyword

logger = logging.getLogger(__name__)


class TopicPipeline(ArchiveStep):
    """Drops an article whose site has ``topic_keywords`` and whose title and body name none
    of them (``postcrawl/topic/dropped``), recording its URL as skipped so incremental crawls
    do not fetch it again. Sites without keywords pass untouched."""

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        adapter = ItemAdapter(item)
        site = item_site(adapter)
        article = item_article(adapter)
        keyword = matched_keyword(article.title, article.paragraphs, site.topic_keywords)
        if keyword is None:
            self.archive.record_skip(
                adapter["url"], site.name, "off-topic", crawled_at=adapter["page"].fetched_at
            )
            self.stats.inc_value("postcrawl/topic/dropped")
            raise DropItem(f"{adapter['url']} is not about posts or parcels", log_level="INFO")
        if keyword:
            self.stats.inc_value("postcrawl/topic/kept")
        return item
