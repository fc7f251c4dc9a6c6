"""Step 3: an article already archived (same body, a near-duplicate, or the page its 原文链接
names) is not stored again; its URL joins the archived article's provenance."""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any, Self

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from postcrawl.extensions import note_failure
from postcrawl.items import ArticleItem
from postcrawl.pipelines import (
    ArchiveStep,
    archive_for,
    item_article,
    item_site,
    listed_url,
    record_aliases,
)

logger = logging.getLogger(__name__)


class DedupePipeline(ArchiveStep):
    """Asks :meth:`postcrawl.archive.ArchiveStore.find_match`; a copy is recorded as a sighting
    and dropped (``postcrawl/dedupe/duplicate``, ``…/near-duplicate``, ``…/claimed``). An
    official page whose repost was archived first passes on (``…/replaces``): the
    store makes it the stored article. The store re-checks under the archive lock, so two
    processes racing on one article still make one file.

    One body for many URLs of one site in one run is suspicious (a notice or a menu read as
    the article): past ``POSTCRAWL_SUSPICIOUS_HASH_URLS`` distinct URLs, a further copy is not
    recorded (not marked seen) but counted as a failure (``…/suspicious``), retried next run."""

    suspicious_urls = 3

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        step = cls(crawler.stats, archive_for(crawler))
        step.suspicious_urls = crawler.settings.getint("POSTCRAWL_SUSPICIOUS_HASH_URLS", 3)
        return step

    def _urls_of(self, site: str, body_hash: str) -> set[str]:
        if not hasattr(self, "_run_urls"):
            self._run_urls: defaultdict[tuple[str, str], set[str]] = defaultdict(set)
        return self._run_urls[(site, body_hash)]

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        adapter = ItemAdapter(item)
        site = item_site(adapter)
        article = item_article(adapter)
        checkpoint = self.archive.checkpoint()
        match = self.archive.find_match(article)
        if match is None:
            adapter["unmatched_at"] = checkpoint
            self.stats.inc_value("postcrawl/dedupe/new")
            self._urls_of(site.name, article.body_hash).add(adapter["url"])
            return item
        urls = self._urls_of(site.name, match.body_hash)
        urls.add(adapter["url"])
        if self.suspicious_urls and len(urls) > self.suspicious_urls:
            self.stats.inc_value("postcrawl/dedupe/suspicious")
            why = (
                f"suspicious duplicate: {len(urls)} URLs of {site.name} have the body "
                f"{match.body_hash} this run; not recorded"
            )
            note_failure(self.stats, listed_url(adapter), why)
            logger.warning("%s: %s", adapter["url"], why)
            raise DropItem(f"{adapter['url']}: {why}")
        if match.superseded_by(site.official):
            self.stats.inc_value("postcrawl/dedupe/replaces")
            return item
        result = self.archive.add_sighting(
            article,
            crawled_at=adapter["page"].fetched_at,
            official=site.official,
            relation=match.relation,
            similarity=match.similarity,
            body_hash=match.body_hash,
        )
        adapter["path"] = result.path
        aliases = record_aliases(self.archive, adapter, match.body_hash, site.official)
        self.stats.inc_value("postcrawl/dedupe/redirect_aliases", aliases)
        self.stats.inc_value(f"postcrawl/dedupe/{match.relation}")
        raise DropItem(
            f"{adapter['url']} is a {match.relation} of {result.path} "
            f"(similarity {match.similarity:.2f})",
            log_level="INFO",
        )
