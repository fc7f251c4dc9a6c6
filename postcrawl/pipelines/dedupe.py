"""Step 3: an article already archived (same body, a near-duplicate, or the page its 原文链接
names) is not stored again; its URL joins the archived article's provenance."""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

from postcrawl.items import ArticleItem
from postcrawl.pipelines import ArchiveStep, item_site, to_extracted


class DedupePipeline(ArchiveStep):
    """Asks :meth:`postcrawl.archive.ArchiveStore.find_match`; a copy is recorded as a sighting
    and dropped (``postcrawl/dedupe/duplicate``, ``…/near-duplicate``, ``…/claimed``). An
    official page whose repost was archived first passes on (``…/replaces``): the
    store makes it the stored article. The store re-checks under the archive lock, so two
    processes racing on one article still make one file."""

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        adapter = ItemAdapter(item)
        site = item_site(adapter)
        article = to_extracted(adapter)
        match = self.archive.find_match(article)
        if match is None:
            self.stats.inc_value("postcrawl/dedupe/new")
            return item
        if match.superseded_by(site.official):
            self.stats.inc_value("postcrawl/dedupe/replaces")
            return item
        result = self.archive.add_sighting(
            article,
            crawled_at=adapter.get("fetched_at"),
            official=site.official,
            relation=match.relation,
            similarity=match.similarity,
            body_hash=match.body_hash,
        )
        adapter["path"] = result.path
        self.stats.inc_value(f"postcrawl/dedupe/{match.relation}")
        raise DropItem(
            f"{adapter['url']} is a {match.relation} of {result.path} "
            f"(similarity {match.similarity:.2f})",
            log_level="INFO",
        )
