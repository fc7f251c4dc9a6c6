"""A dropped item is logged in one line (URL and reason), not with every paragraph."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from scrapy import Spider
from scrapy.exceptions import DropItem
from scrapy.logformatter import LogFormatter
from scrapy.utils.log import logformatter_adapter
from scrapy.utils.misc import load_object
from scrapy.utils.test import get_crawler

from postcrawl import settings as project_settings
from postcrawl.extraction import Extracted
from postcrawl.items import ArticleItem, FetchedPage
from postcrawl.logformatter import OneLineLogFormatter

URL = "https://gd.spb.gov.cn/gdsyzglj/c100057/c100061/202310/10855d15.shtml"
PARAGRAPHS = ["近日,河源市邮政管理局召开政企联席会议。", "会议强调,邮政企业要做好普遍服务。"]


@pytest.fixture
def spider() -> Spider:
    """A spider whose crawler has the project's logging settings."""
    settings = {
        k: getattr(project_settings, k) for k in ("LOG_FORMATTER", "DEFAULT_DROPITEM_LOG_LEVEL")
    }
    crawler = get_crawler(settings_dict=settings)
    crawler.spider = crawler._create_spider("gd_test")
    return crawler.spider


@pytest.fixture
def formatter(spider: Spider) -> LogFormatter:
    """The formatter the project settings name, made as Scrapy makes it."""
    return load_object(spider.crawler.settings["LOG_FORMATTER"]).from_crawler(spider.crawler)


def logged(
    formatter: LogFormatter, spider: Spider, item: Any, exc: BaseException
) -> tuple[int, str]:
    """The level and text Scrapy's scraper would log for *item* dropped with *exc*."""
    level, msg, args = logformatter_adapter(formatter.dropped(item, exc, None, spider))
    return level, msg % args


def article() -> ArticleItem:
    article = Extracted(url=URL, site="gd_spb", title="政企联席会", paragraphs=PARAGRAPHS)
    return ArticleItem(url=URL, site="gd_spb", page=FetchedPage(b"<html>"), article=article)


def test_the_project_uses_the_one_line_formatter(formatter: LogFormatter) -> None:
    assert isinstance(formatter, OneLineLogFormatter)


def test_a_dropped_duplicate_is_one_line_with_url_and_reason(
    formatter: LogFormatter, spider: Spider
) -> None:
    # As DedupePipeline drops: the reason names the URL, so it is not repeated.
    reason = f"{URL} is a duplicate of 2023/10/26/000_6b8396d9948b8e00.txt (similarity 1.00)"
    level, text = logged(formatter, spider, article(), DropItem(reason, log_level="INFO"))
    assert text == f"Dropped: {reason}"
    assert level == logging.INFO
    # Scrapy's own formatter logs the whole item, paragraphs and all: what this replaces.
    _, scrapy_text = logged(LogFormatter(), spider, article(), DropItem(reason, log_level="INFO"))
    assert PARAGRAPHS[0] in scrapy_text and "\n" in scrapy_text


def test_a_reason_without_the_url_gets_it(formatter: LogFormatter, spider: Spider) -> None:
    level, text = logged(formatter, spider, article(), DropItem("not about posts\nor parcels"))
    assert text == f"Dropped {URL}: not about posts or parcels"
    assert level == logging.INFO  # DEFAULT_DROPITEM_LOG_LEVEL, as in Scrapy
    for paragraph in PARAGRAPHS:
        assert paragraph not in text
    _, text = logged(formatter, spider, {"title": "no url"}, DropItem(""))
    assert text == "Dropped: DropItem"
    level, _ = logged(formatter, spider, article(), DropItem("bad", log_level="WARNING"))
    assert level == logging.WARNING
