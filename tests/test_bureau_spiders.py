"""Every bureau spider, without the network: its start URLs, its list parsing and its article
parsing, called directly with response objects. Parametrized over the site table."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse, TextResponse
from scrapy.spiderloader import SpiderLoader
from scrapy.utils.project import get_project_settings
from scrapy.utils.test import get_crawler

from postcrawl.extraction import PageHints, extract_article
from postcrawl.frontier import Watermark
from postcrawl.items import ArticleItem, ListWalkDone
from postcrawl.mirror.bureau import BureauMirror
from postcrawl.pipelines import archive_for
from postcrawl.sites import SITES
from postcrawl.sites.bureaus import BUREAUS, Bureau
from postcrawl.spiders.bureau import BUREAU_SPIDERS, BureauSpider
from tests.conftest import fixture_named

IDS = [b.spider_name for b in BUREAUS]
MIRROR = "http://127.0.0.1:9"  # never contacted: responses are built in the test


def make_spider(bureau: Bureau, data: Path, **kwargs: Any) -> BureauSpider:
    crawler = get_crawler(BUREAU_SPIDERS[bureau.spider_name], {"POSTCRAWL_DATA_DIR": str(data)})
    spider = crawler.spidercls.from_crawler(crawler, **kwargs)
    assert isinstance(spider, BureauSpider)
    return spider


async def _collect(spider: BureauSpider) -> list[Request]:
    return [request async for request in spider.start()]


def test_scrapy_list_shows_every_bureau() -> None:
    loader = SpiderLoader.from_settings(get_project_settings())
    names = set(loader.list())
    assert {b.spider_name for b in BUREAUS} <= names
    assert len(BUREAUS) == 32 and "gd_spb" in names and "spb" in names
    assert loader.load("gd_spb").site.official


@pytest.mark.parametrize("bureau", BUREAUS, ids=IDS)
def test_spider_starts_at_its_channels(bureau: Bureau, tmp_path: Path) -> None:
    spider = make_spider(bureau, tmp_path)
    cls = type(spider)
    assert cls.name == bureau.spider_name and cls.__module__ == "postcrawl.spiders.bureau"
    assert spider.site is SITES[bureau.spider_name] and spider.site.official
    urls = [r.url for r in asyncio.run(_collect(spider))]
    expected = []
    for channel in bureau.channels:
        if channel.api_id:
            expected.append(
                f"https://{bureau.domain}/common/search/{channel.api_id}?_isAgg=true&_isJson=true"
                "&_pageSize=50&_template=index&_rangeTimeGte=&_channelName=&page=1"
            )
        else:
            expected.append(
                f"https://{bureau.domain}/{bureau.prefix}/{channel.path}/common_list.shtml"
            )
    assert urls == expected
    # On a mirror the same paths are fetched from the mirror's root.
    mirrored = make_spider(bureau, tmp_path, base_url=MIRROR + "/")
    assert [r.url for r in asyncio.run(_collect(mirrored))] == [
        u.replace(f"https://{bureau.domain}", MIRROR) for u in expected
    ]
    archive_for(spider.crawler).close()
    archive_for(mirrored.crawler).close()


@pytest.mark.parametrize("bureau", BUREAUS, ids=IDS)
def test_spider_reads_its_list_page(bureau: Bureau, tmp_path: Path) -> None:
    spider = make_spider(bureau, tmp_path, base_url=MIRROR)
    mirror = BureauMirror(bureau, articles=30, page_size=10, faults=False)
    channel = bureau.channels[0]
    path = mirror.list_path(channel, 1)
    response = HtmlResponse(MIRROR + path, body=mirror.list_pages(channel)[path])
    walk = spider.new_walk(f"list:{channel.path}")
    out = list(spider.parse_list(response, channel=channel, page=1, walk=walk))
    articles = [r for r in out if r.callback == spider.parse_article]
    pages = [r for r in out if r.callback == spider.parse_list]
    listed = mirror.channel_articles(channel)[:10]
    assert [r.url for r in articles] == [MIRROR + a.listed_path for a in listed]
    hints = [r.cb_kwargs["hints"] for r in articles]
    assert [(h.title, h.published) for h in hints] == [(a.title, a.day) for a in listed]
    assert [r.url for r in pages] == [MIRROR + mirror.list_path(channel, 2)]
    assert pages[0].cb_kwargs == {"channel": channel, "page": 2, "walk": walk}
    assert walk.head is not None and walk.head.url == f"https://{bureau.domain}{listed[0].listed_path}"
    archive_for(spider.crawler).close()


@pytest.mark.parametrize("bureau", BUREAUS, ids=IDS)
def test_spider_parses_an_article_page_of_its_shape(bureau: Bureau, tmp_path: Path) -> None:
    fx = fixture_named("gd_spb", "004_original")
    spider = make_spider(bureau, tmp_path, base_url=MIRROR)
    path = f"/{bureau.prefix}/c100057/c100061/202310/10855d1563a94a318b34d4c76ceb3d03.shtml"
    response = HtmlResponse(
        MIRROR + path,
        body=fx.html.read_bytes(),
        headers={"Content-Type": "text/html; charset=utf-8"},
        request=Request(MIRROR + path),
    )
    hints = PageHints(title="列表标题", published="2023-10-25")
    (item,) = spider.parse_article(response, hints=hints, list_url=MIRROR + "/x/common_list.shtml")
    assert isinstance(item, ArticleItem)
    # The archive records the real site's URL, not the mirror's.
    assert item.url == f"https://{bureau.domain}{path}"
    assert item.list_url == f"https://{bureau.domain}/x/common_list.shtml"
    assert (item.site, item.encoding, item.hint_published) == (
        bureau.spider_name,
        "utf-8",
        "2023-10-25",
    )
    article = extract_article(item.body, item.url, site=spider.site, hints=hints)
    assert article.title == fx.expected["title"]
    assert article.published == "2023-10-25"  # the list's date wins
    assert article.paragraphs == fx.expected["paragraphs"]
    archive_for(spider.crawler).close()


def _response(url: str, body: bytes, **kw: Any) -> HtmlResponse:
    return HtmlResponse(url, body=body, request=Request(url), **kw)


def test_empty_200_is_a_counted_failure_and_stubs_are_followed(tmp_path: Path) -> None:
    gd = next(b for b in BUREAUS if b.code == "gd")
    spider = make_spider(gd, tmp_path, base_url=MIRROR)
    stats = spider.crawler.stats
    assert (
        list(spider.parse_article(_response(MIRROR + "/a/202401/x.shtml", b""), PageHints())) == []
    )
    assert stats.get_value("postcrawl/failed") == 1
    assert "empty 200" in stats.get_value("postcrawl/failures")[0]
    assert not spider.seen.url_seen("https://gd.spb.gov.cn/a/202401/x.shtml")  # retried next run

    stub = b'<script>window.location.href="/gdsyzglj/c100057/c100063/202401/y.shtml"</script>'
    (request,) = spider.parse_article(
        _response(MIRROR + "/gdsyzglj/c100057/c100058/202401/s.shtml", stub),
        PageHints(published="2024-01-15"),
    )
    assert request.url == MIRROR + "/gdsyzglj/c100057/c100063/202401/y.shtml"
    assert request.callback == spider.parse_article
    assert request.cb_kwargs["hints"].published == "2024-01-15"
    assert request.meta["postcrawl_aliases"] == [
        "https://gd.spb.gov.cn/gdsyzglj/c100057/c100058/202401/s.shtml"
    ]
    # A list page that is a stub is followed as a list.
    channel = gd.channels[0]
    list_stub = (
        b'<script>window.location.href="/gdsyzglj/c100057/c100061/common_list.shtml"</script>'
    )
    (follow,) = spider.parse_list(
        _response(MIRROR + "/gdsyzglj/c100057/index.shtml", list_stub),
        channel=channel,
        page=1,
        walk=spider.new_walk("list:stub"),
    )
    assert follow.callback == spider.parse_list
    assert follow.url == MIRROR + "/gdsyzglj/c100057/c100061/common_list.shtml"
    archive_for(spider.crawler).close()


def test_known_entries_are_skipped_and_paging_stops_only_at_a_watermark(tmp_path: Path) -> None:
    gd = next(b for b in BUREAUS if b.code == "gd")
    mirror = BureauMirror(gd, articles=40, page_size=10, faults=False)
    channel = gd.channels[0]
    path = mirror.list_path(channel, 1)
    page = mirror.list_pages(channel)[path]
    listed = mirror.channel_articles(channel)[:10]
    real = [f"https://gd.spb.gov.cn{a.listed_path}" for a in listed]
    key = f"list:{channel.path}"

    def parse(spider: Any) -> list[Any]:
        walk = spider.new_walk(key)
        return list(spider.parse_list(_response(MIRROR + path, page), channel, 1, walk))

    spider = make_spider(gd, tmp_path, base_url=MIRROR)
    for url in real[1:]:
        spider.seen.mark(url, None, "stored", None)
    # One new entry: fetched, and the next page is still read.
    assert [r.url for r in parse(spider)] == [
        MIRROR + listed[0].listed_path,
        MIRROR + mirror.list_path(channel, 2),
    ]
    spider.seen.mark(real[0], None, "stored", None)
    # Every entry known, but no walk of this list ever completed: the deeper pages may hold
    # entries nobody listed yet (an interrupted first run), so paging goes on.
    assert [r.url for r in parse(spider)] == [MIRROR + mirror.list_path(channel, 2)]
    assert spider.crawler.stats.get_value("postcrawl/list/stopped_at_watermark") is None
    # A complete walk that began at the 4th entry: this page reaches it, so the walk stops,
    # and records its own head as the new watermark.
    spider.frontier.complete_walk(f"gd_spb:{key}", Watermark(real[3], listed[3].day))
    (done,) = parse(spider)
    assert isinstance(done, ListWalkDone)
    assert (done.list_key, done.head_url) == (f"gd_spb:{key}", real[0])
    assert spider.crawler.stats.get_value("postcrawl/list/stopped_at_watermark") == 1
    archive_for(spider.crawler).close()

    full = make_spider(gd, tmp_path, base_url=MIRROR, full="1")
    assert len(parse(full)) == 11
    archive_for(full.crawler).close()

    # since: entries older than the day are not fetched; a page of only old entries ends it.
    since = make_spider(gd, tmp_path, base_url=MIRROR, full="1", since=listed[4].day)
    assert [r.url for r in parse(since)] == [MIRROR + a.listed_path for a in listed[:5]] + [
        MIRROR + mirror.list_path(channel, 2)
    ]
    old = make_spider(gd, tmp_path, base_url=MIRROR, full="1", since="2030-01-01")
    assert parse(old) == []  # no watermark either: a since-limited walk is not complete
    archive_for(since.crawler).close()
    archive_for(old.crawler).close()


def test_api_pages_and_fallback(tmp_path: Path) -> None:
    national = BUREAUS[0]
    channel = national.channels[0]
    assert channel.api_id
    mirror = BureauMirror(national, articles=120, faults=False)
    spider = make_spider(national, tmp_path, base_url=MIRROR)
    (first,) = [r for r in asyncio.run(_collect(spider)) if r.cb_kwargs["channel"] == channel]
    key = first.url[len(MIRROR) :]
    body = mirror.api_pages(channel)[key]
    response = TextResponse(first.url, body=body, request=first)
    out = list(spider.parse_api(response, **first.cb_kwargs))
    articles = [r for r in out if r.callback == spider.parse_article]
    listed = mirror.channel_articles(channel)[:50]
    # http:// URLs of the real site are fetched from the mirror.
    assert [r.url for r in articles] == [MIRROR + a.listed_path for a in listed]
    assert articles[0].cb_kwargs["hints"].source == "国家邮政局"
    assert articles[0].cb_kwargs["hints"].author is None  # "null"
    (next_page,) = [r for r in out if r.callback == spider.parse_api]
    assert next_page.url.endswith("&page=2") and next_page.cb_kwargs["counted"] == 50
    # Not JSON (an error page): the static list is read instead.
    broken = TextResponse(first.url, body=b"<html>error</html>", request=first)
    (fallback,) = spider.parse_api(broken, **first.cb_kwargs)
    assert fallback.url == MIRROR + national.list_path(channel)
    assert spider.crawler.stats.get_value("postcrawl/api/fallback") == 1
    archive_for(spider.crawler).close()
