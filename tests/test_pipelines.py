"""The four pipeline steps in a real Scrapy crawler (no network): counts, drops, archive."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from postcrawl.items import ArticleItem
from postcrawl.pipelines.dedupe import DedupePipeline
from postcrawl.pipelines.extract import ExtractPipeline
from postcrawl.pipelines.normalize import NormalizePipeline
from postcrawl.pipelines.store import StorePipeline
from postcrawl.settings import ITEM_PIPELINES
from tests.conftest import fixture_named


@pytest.fixture
def chain(archive_root: Path) -> tuple[Any, list[Any]]:
    crawler = get_crawler(
        settings_dict={"POSTCRAWL_DATA_DIR": str(archive_root), "POSTCRAWL_FSYNC": False}
    )
    steps = [
        cls.from_crawler(crawler)
        for cls in (ExtractPipeline, NormalizePipeline, DedupePipeline, StorePipeline)
    ]
    return crawler, steps


def _run(steps: list[Any], item: ArticleItem) -> ArticleItem:
    for step in steps:
        item = step.process_item(item)
    return item


def _item(site: str, stem: str, **hints: Any) -> ArticleItem:
    fx = fixture_named(site, stem)
    return ArticleItem(url=fx.url, site=site, body=fx.html.read_bytes(), **hints)


def test_pipelines_are_ordered_extract_normalize_topic_dedupe_store() -> None:
    order = sorted(ITEM_PIPELINES, key=ITEM_PIPELINES.__getitem__)
    assert [name.rsplit(".", 1)[1] for name in order] == [
        "ExtractPipeline",
        "NormalizePipeline",
        "TopicPipeline",
        "DedupePipeline",
        "StorePipeline",
    ]


def test_traditional_page_is_archived_simplified(
    chain: tuple[Any, list[Any]], archive_root: Path
) -> None:
    crawler, steps = chain
    item = _run(steps, _item("e0734", "001_e0734_traditional"))
    assert item.path and item.path.startswith("2024/03/30/000_")
    assert item.body == b""  # the raw page is not carried past extraction
    text = (archive_root / item.path).read_text(encoding="utf-8")
    assert text.startswith(
        "衡阳市邮政普遍服务监督管理工作暨一季度政企联席会召开\n\n2024-03-30 11:44:32 - 中国衡阳新闻网\n\n"
    )
    stats = crawler.stats.get_stats()
    assert stats["postcrawl/normalize/traditional"] == 1
    assert stats["postcrawl/store/stored"] == 1


def test_chrome_drops_are_counted_by_rule(chain: tuple[Any, list[Any]]) -> None:
    crawler, steps = chain
    _run(steps, _item("dezhou", "000_dezhou_portal"))
    stats = crawler.stats.get_stats()
    assert stats["postcrawl/extract/chrome/headline-copy"] == 2  # the two image-caption copies
    assert stats["postcrawl/extract/chrome/meta"] == 1  # 转自:德州发布


def test_repost_after_original_is_dropped_as_duplicate(
    chain: tuple[Any, list[Any]], archive_root: Path
) -> None:
    crawler, steps = chain
    _run(steps, _item("gd_spb", "004_original"))
    with pytest.raises(DropItem, match="duplicate"):
        _run(steps, _item("txyddy", "004_txyddy_repost"))
    assert len(list(archive_root.rglob("*.txt"))) == 1
    stats = crawler.stats.get_stats()
    assert stats["postcrawl/dedupe/duplicate"] == 1 and stats["postcrawl/dedupe/new"] == 1


def test_page_without_article_is_a_counted_drop(
    chain: tuple[Any, list[Any]], archive_root: Path
) -> None:
    crawler, steps = chain
    for body in (b"", b"\x00\x01binary" * 10):
        with pytest.raises(DropItem, match="no article"):
            _run(steps, ArticleItem(url="https://gd.spb.gov.cn/x.shtml", site="gd_spb", body=body))
    stats = crawler.stats.get_stats()
    assert stats["postcrawl/extract/dropped/empty"] == 1
    assert stats["postcrawl/extract/dropped/binary"] == 1
    assert not list(archive_root.rglob("*.txt"))


def test_list_hints_reach_the_archive(chain: tuple[Any, list[Any]], archive_root: Path) -> None:
    _, steps = chain
    item = _run(steps, _item("gd_spb", "004_original", hint_published="2023-10-26 17:05:00"))
    assert item.published == "2023-10-26 17:05:00"
    assert (
        (archive_root / item.path)
        .read_text(encoding="utf-8")
        .split("\n")[2]
        .startswith("2023-10-26 17:05:00 - ")
    )
