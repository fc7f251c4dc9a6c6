"""The topic step in process (no crawl): general news sites keep only postal articles.

A real :class:`ArchiveStore` in a temporary folder receives the skips; the crawler comes from
Scrapy's ``get_crawler``, as in a crawl. The subprocess crawls in test_aggregator_crawl.py run
the same step end to end.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from postcrawl.archive.manifest import read_manifest
from postcrawl.extraction import Extracted
from postcrawl.items import ArticleItem, FetchedPage
from postcrawl.pipelines.topic import TopicPipeline
from postcrawl.sites import SITES
from tests.conftest import fixture_named

OFF_TOPIC_URL = "http://www.e0734.com/index.php?a=show&catid=707&id=999999"
OFF_TOPIC_TITLE = "衡阳市召开2024年全市安全生产工作会议"
OFF_TOPIC_TEXT = [
    "会议强调，要压实安全生产责任，深入开展隐患排查整治。",
    "各县市区负责人参加会议。",
]


@pytest.fixture
def topic(archive_root: Path) -> Iterator[tuple[TopicPipeline, Any]]:
    crawler = get_crawler(
        settings_dict={"POSTCRAWL_DATA_DIR": str(archive_root), "POSTCRAWL_FSYNC": False}
    )
    step = TopicPipeline.from_crawler(crawler)
    yield step, crawler
    step.archive.close()


def _item(site: str, url: str, title: str, paragraphs: list[str]) -> ArticleItem:
    """An item as it leaves NormalizePipeline (title and paragraphs filled in)."""
    article = Extracted(url=url, site=site, title=title, paragraphs=paragraphs)
    page = FetchedPage(body=b"", fetched_at="2024-06-01T08:00:00Z")
    return ArticleItem(url=url, site=site, page=page, article=article)


def _skips(root: Path) -> list[tuple[str, str, str]]:
    return [
        (r["url"], r["site"], r["reason"])
        for r in read_manifest(root)
        if r and r.get("event") == "skip"
    ]


def test_off_topic_article_is_dropped_counted_and_recorded_as_skipped(
    topic: tuple[TopicPipeline, Any], archive_root: Path
) -> None:
    step, crawler = topic
    assert SITES["e0734"].topic_keywords  # a general news site: the filter applies
    item = _item("e0734", OFF_TOPIC_URL, OFF_TOPIC_TITLE, OFF_TOPIC_TEXT)
    with pytest.raises(DropItem, match="is not about posts or parcels") as info:
        step.process_item(item)
    assert OFF_TOPIC_URL in str(info.value)
    assert crawler.stats.get_value("postcrawl/topic/dropped") == 1
    assert crawler.stats.get_value("postcrawl/topic/kept") is None
    assert _skips(archive_root) == [(OFF_TOPIC_URL, "e0734", "off-topic")]
    skip = next(r for r in read_manifest(archive_root) if r and r.get("event") == "skip")
    assert skip["crawled_at"] == "2024-06-01T08:00:00Z"
    # The URL counts as seen, so an incremental crawl does not fetch it again.
    assert step.archive.seen.url_seen(OFF_TOPIC_URL)


@pytest.mark.parametrize(
    ("title", "paragraphs"),
    [
        (OFF_TOPIC_TITLE.replace("安全生产", "快递"), OFF_TOPIC_TEXT),  # keyword in the title
        (OFF_TOPIC_TITLE, [*OFF_TOPIC_TEXT, "会上通报了全市邮政行业安全情况。"]),  # in the body
        (OFF_TOPIC_TITLE, [*OFF_TOPIC_TEXT, "會上通報了全市郵政行業安全情況。"]),  # traditional
    ],
    ids=["title", "body", "traditional-body"],
)
def test_postal_article_passes_and_is_counted(
    topic: tuple[TopicPipeline, Any], archive_root: Path, title: str, paragraphs: list[str]
) -> None:
    step, crawler = topic
    item = _item("e0734", OFF_TOPIC_URL, title, paragraphs)
    before = replace(item)
    assert step.process_item(item) is item
    assert item == before
    assert crawler.stats.get_value("postcrawl/topic/kept") == 1
    assert crawler.stats.get_value("postcrawl/topic/dropped") is None
    assert _skips(archive_root) == []
    assert not step.archive.seen.url_seen(OFF_TOPIC_URL)


def test_the_saved_e0734_page_is_on_topic(topic: tuple[TopicPipeline, Any]) -> None:
    step, crawler = topic
    fx = fixture_named("e0734", "001_e0734_traditional")
    item = _item("e0734", fx.url, fx.expected["title"], fx.expected["paragraphs"])
    assert step.process_item(item) is item
    assert crawler.stats.get_value("postcrawl/topic/kept") == 1


def test_site_without_keywords_passes_untouched(
    topic: tuple[TopicPipeline, Any], archive_root: Path
) -> None:
    step, crawler = topic
    assert SITES["gd_spb"].topic_keywords == ()  # a bureau: everything it publishes is kept
    url = "https://gd.spb.gov.cn/gdyzglj/c100060/c100078/202406/abc.shtml"
    item = _item("gd_spb", url, OFF_TOPIC_TITLE, OFF_TOPIC_TEXT)
    before = replace(item)
    assert step.process_item(item) is item
    assert item == before
    assert crawler.stats.get_value("postcrawl/topic/kept") is None
    assert crawler.stats.get_value("postcrawl/topic/dropped") is None
    assert _skips(archive_root) == []
    assert not step.archive.seen.url_seen(url)
