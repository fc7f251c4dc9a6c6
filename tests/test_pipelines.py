"""The four pipeline steps in a real Scrapy crawler (no network): counts, drops, archive."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from postcrawl.extraction import PageHints
from postcrawl.items import ArticleItem, FetchedPage, SkippedPage
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


def _item(site: str, stem: str, hints: PageHints | None = None) -> ArticleItem:
    fx = fixture_named(site, stem)
    page = FetchedPage(body=fx.html.read_bytes())
    return ArticleItem(url=fx.url, site=site, page=page, hints=hints or PageHints())


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
    assert item.page.body == b""  # the raw page is not carried past extraction
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
            _run(
                steps,
                ArticleItem(
                    url="https://gd.spb.gov.cn/x.shtml", site="gd_spb", page=FetchedPage(body)
                ),
            )
    stats = crawler.stats.get_stats()
    assert stats["postcrawl/extract/dropped/empty"] == 1
    assert stats["postcrawl/extract/dropped/binary"] == 1
    assert not list(archive_root.rglob("*.txt"))


def test_list_hints_reach_the_archive(chain: tuple[Any, list[Any]], archive_root: Path) -> None:
    _, steps = chain
    item = _run(steps, _item("gd_spb", "004_original", PageHints(published="2023-10-26 17:05:00")))
    assert item.article is not None and item.article.published == "2023-10-26 17:05:00"
    assert (
        (archive_root / item.path)
        .read_text(encoding="utf-8")
        .split("\n")[2]
        .startswith("2023-10-26 17:05:00 - ")
    )


# A 2022-23 sxrb page (page rule V2: title div.jz, meta div.left1, body div#rwb_zw) whose
# side column shows an older article in the 2019 template's markup (h3.art_info: the V1 meta
# line). Its date line names no source. Invented text.
SXRB_V2_WITH_V1_TEASER = """<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8" />
<title>我省启动寄递渠道安全专项整治--山西要闻--山西新闻网</title></head>
<body>
<div class="header"><a href="http://www.sxrb.com/">山西新闻网</a></div>
<div class="w1000 clearfix">
  <div class="jz">我省启动寄递渠道安全专项整治</div>
  <div class="left1">2023年04月12日10:05</div>
  <div id="rwb_zw">
    <p>本报讯 省邮政管理局近日印发通知，在全省启动寄递渠道安全专项整治，为期三个月，重点检查收寄验视、实名收寄和过机安检三项制度的落实情况。</p>
    <p>通知要求，各市邮政管理局要会同公安、国家安全等部门开展联合检查，对发现的问题建立台账、限期整改，确保寄递渠道安全畅通。</p>
    <div class="editer">(责编：赵磊)</div>
  </div>
  <div class="right">
    <h2>往期回顾</h2>
    <p class="art_tit"><a href="/sxxww/xwpd/sxyw/7744100.shtml">全省邮政业安全生产工作会议在太原召开</a></p>
    <h3 class="art_info"><span>2019年5月10日</span><span>来源：山西晚报</span><span>作者：王强</span></h3>
  </div>
</div>
<div class="footer w1000"><p>山西新闻网版权所有，未经书面授权禁止使用</p></div>
</body></html>
"""


def test_a_versioned_site_is_read_with_the_rules_of_its_page_generation(
    chain: tuple[Any, list[Any]], archive_root: Path
) -> None:
    """The crawl reads an sxrb 2022-23 page with the V2 rules alone: the merged rules of every
    generation would also take the 2019 meta line of the side column (its source and author)."""
    crawler, steps = chain
    url = "http://news.sxrb.com/GB/314063/10233456.html"
    item = _run(
        steps,
        ArticleItem(url=url, site="sxrb", page=FetchedPage(SXRB_V2_WITH_V1_TEASER.encode("utf-8"))),
    )
    article = item.article
    assert article is not None and article.title == "我省启动寄递渠道安全专项整治"
    assert article.published == "2023-04-12 10:05"
    assert article.source == "山西新闻网"  # the page names none: the site's name, not the teaser's
    assert article.author is None
    assert item.path and item.path.startswith("2023/04/12/")
    text = (archive_root / item.path).read_text(encoding="utf-8")
    assert "山西晚报" not in text and "王强" not in text
    assert crawler.stats.get_value("postcrawl/extract/method/selector") == 1


def test_redirect_aliases_and_skipped_pages_are_recorded_by_the_store(
    chain: tuple[Any, list[Any]], archive_root: Path
) -> None:
    crawler, steps = chain
    fx = fixture_named("gd_spb", "004_original")
    old = "http://gd.spb.gov.cn/xw/201905/t20190510_1828821.html"
    stub = "https://gd.spb.gov.cn/gdsyzglj/c100057/c100058/202310/stub.shtml"
    page = FetchedPage(body=fx.html.read_bytes(), aliases=(old, stub))
    item = _run(steps, ArticleItem(url=fx.url, site="gd_spb", page=page))
    assert item.article is not None
    conn = sqlite3.connect(archive_root / "index.sqlite3")
    rows = dict(conn.execute("SELECT url, relation FROM urls").fetchall())
    assert rows == {fx.url: "stored", old: "redirect", stub: "redirect"}
    seen = {url for (url,) in conn.execute("SELECT url FROM seen")}
    assert {old, stub} <= seen  # not fetched again
    # A stub to an archived article: recorded as skipped, so it is not fetched again either.
    other = "https://gd.spb.gov.cn/gdsyzglj/c100057/c100058/202311/stub2.shtml"
    skipped = SkippedPage(other, "gd_spb", f"redirect stub to {fx.url}")
    assert _run(steps, skipped) is skipped  # type: ignore[arg-type]
    status = conn.execute("SELECT status FROM seen WHERE url = ?", (other,)).fetchone()
    assert status == ("skipped",)
    stats = crawler.stats.get_stats()
    assert stats["postcrawl/store/redirect_aliases"] == 2
    assert stats["postcrawl/store/skipped_pages"] == 1
