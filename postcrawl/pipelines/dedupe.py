"""Step 3: an article already archived (same normalized body) is not stored again."""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector

from postcrawl.archive import ArchiveStore
from postcrawl.items import ArticleItem
from postcrawl.pipelines import archive_for, item_site, to_extracted


class DedupePipeline:
    """Drops an article whose body hash is archived, recording its URL in the provenance
    (``postcrawl/dedupe/duplicate``). The store re-checks under the archive lock, so two
    processes racing on one article still make one file."""

    def __init__(self, stats: StatsCollector, archive: ArchiveStore) -> None:
        self.stats = stats
        self.archive = archive

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupePipeline:
        return cls(crawler.stats, archive_for(crawler))

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        adapter = ItemAdapter(item)
        body_hash = adapter["body_hash"]
        if self.archive.seen.hash_seen(body_hash):
            site = item_site(adapter)
            result = self.archive.add_sighting(
                to_extracted(adapter), crawled_at=adapter.get("fetched_at"), official=site.official
            )
            adapter["path"] = result.path
            self.stats.inc_value("postcrawl/dedupe/duplicate")
            raise DropItem(f"{adapter['url']} is a duplicate of {result.path}", log_level="INFO")
        self.stats.inc_value("postcrawl/dedupe/new")
        return item
