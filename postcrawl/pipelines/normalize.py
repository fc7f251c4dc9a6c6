"""Step 2: simplified Chinese, tidy text, the normalized body and its hash."""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector

from postcrawl.article_text import normalize_extracted
from postcrawl.chinese_text import is_traditional
from postcrawl.extensions import note_failure
from postcrawl.extraction import ExtractionError
from postcrawl.items import ArticleItem
from postcrawl.pipelines import item_article, listed_url


class NormalizePipeline:
    """Runs :func:`postcrawl.article_text.normalize_extracted`; counts traditional pages converted."""

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NormalizePipeline:
        return cls(crawler.stats)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        adapter = ItemAdapter(item)
        article = item_article(adapter)
        if is_traditional(article.title + "".join(article.paragraphs)):
            self.stats.inc_value("postcrawl/normalize/traditional")
        try:
            normalized = normalize_extracted(article)
        except ExtractionError as exc:
            self.stats.inc_value(f"postcrawl/normalize/dropped/{exc.kind}")
            note_failure(self.stats, listed_url(adapter), f"no article: {exc}")
            raise DropItem(f"nothing left of {adapter['url']} after normalization") from None
        adapter["article"] = normalized
        self.stats.inc_value("postcrawl/normalize/articles")
        return item
