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

from postcrawl.bureau_lists import api_url
from postcrawl.extraction import PageHints, extract_article
from postcrawl.frontier import Watermark
from postcrawl.items import ArticleItem, ListWalkDone
from postcrawl.mirror.bureau import BureauMirror, invented_layout
from postcrawl.pipelines import archive_for
from postcrawl.siteroots import SiteRoots
from postcrawl.sites import SITES
from postcrawl.sites.bureaus import BUREAUS, Bureau
from postcrawl.spiders.bureau import (
    BUREAU_SPIDERS,
    BureauSpider,
    ChannelSelection,
    DiscoveredChannel,
)
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
    # The national bureau, 31 provinces and the Hangzhou city bureau.
    assert len(BUREAUS) == 33 and {"gd_spb", "spb", "zjhz_spb"} <= names
    assert loader.load("gd_spb").site.official


@pytest.mark.parametrize("bureau", BUREAUS, ids=IDS)
def test_spider_starts_at_its_home_page(bureau: Bureau, tmp_path: Path) -> None:
    spider = make_spider(bureau, tmp_path)
    cls = type(spider)
    assert cls.name == bureau.spider_name and cls.__module__ == "postcrawl.spiders.bureau"
    assert spider.site is SITES[bureau.spider_name] and spider.site.official
    (home,) = asyncio.run(_collect(spider))
    assert home.url == f"https://{bureau.domain}/" and home.callback == spider.parse_home
    # On a mirror the home page is fetched from the mirror's root.
    mirrored = make_spider(bureau, tmp_path, base_url=MIRROR + "/")
    assert [r.url for r in asyncio.run(_collect(mirrored))] == [MIRROR + "/"]
    assert mirrored.roots == SiteRoots(f"https://{bureau.domain}", MIRROR)
    assert mirrored.allowed_domains == ["127.0.0.1"]
    archive_for(spider.crawler).close()
    archive_for(mirrored.crawler).close()


@pytest.mark.parametrize("bureau", BUREAUS, ids=IDS)
def test_spider_discovers_channels_and_reads_a_list(bureau: Bureau, tmp_path: Path) -> None:
    spider = make_spider(bureau, tmp_path, base_url=MIRROR)
    mirror = BureauMirror(bureau, articles=60, faults=False, layout=invented_layout(bureau.code))
    home_path = f"/{mirror.prefix}/index.shtml"
    lists = list(spider.parse_home(_response(MIRROR + home_path, mirror.home_page())))
    # Every list of the navigation, the one without articles too (it is read to know).
    assert sorted(r.url for r in lists) == sorted(
        MIRROR + mirror.list_path(c) for c in mirror.layout.channels
    )
    channel = mirror.channels[0]
    (request,) = [r for r in lists if r.url == MIRROR + mirror.list_path(channel)]
    out = list(
        spider.parse_list(_response(request.url, mirror.list_page(channel)), **request.cb_kwargs)
    )
    articles = [r for r in out if r.callback == spider.parse_article]
    listed = mirror.channel_articles(channel)[:10]
    assert [r.url for r in articles] == [MIRROR + a.listed_path for a in listed]
    hints = [r.cb_kwargs["hints"] for r in articles]
    assert [(h.title, h.published) for h in hints] == [(a.title, a.day) for a in listed]
    (api,) = [r for r in out if r.callback == spider.parse_api]
    assert api.url == MIRROR + api_url("", channel.channel_id, 1)
    assert api.cb_kwargs["channel"].code == channel.code
    # The list's rows are the first page of the channel's walk, which the API continues.
    walk = api.cb_kwargs["walk"]
    assert walk.key == f"{bureau.spider_name}:api:{channel.channel_id}"
    assert walk.head is not None
    assert walk.head.url == f"https://{bureau.domain}{listed[0].listed_path}"
    # Every article request carries its frontier entry (recorded before it is fetched).
    assert all(r.meta.get("postcrawl_listed") is not None for r in articles)
    archive_for(spider.crawler).close()


@pytest.mark.parametrize("bureau", BUREAUS, ids=IDS)
def test_spider_parses_an_article_page_of_its_shape(bureau: Bureau, tmp_path: Path) -> None:
    fx = fixture_named("gd_spb", "004_original")
    spider = make_spider(bureau, tmp_path, base_url=MIRROR)
    path = f"/{bureau.hint_prefix}/c100057/c100061/202310/10855d1563a94a318b34d4c76ceb3d03.shtml"
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
    assert item.page.list_url == f"https://{bureau.domain}/x/common_list.shtml"
    assert (item.site, item.page.encoding, item.hints.published) == (
        bureau.spider_name,
        "utf-8",
        "2023-10-25",
    )
    article = extract_article(item.page.body, item.url, site=spider.site, hints=hints)
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
    channel = DiscoveredChannel("https://gd.spb.gov.cn/gdsyzglj/c100057/index.shtml", "x")
    list_stub = (
        b'<script>window.location.href="/gdsyzglj/c100057/c100061/common_list.shtml"</script>'
    )
    (follow,) = spider.parse_list(
        _response(MIRROR + "/gdsyzglj/c100057/index.shtml", list_stub), channel=channel
    )
    assert follow.callback == spider.parse_list
    assert follow.url == MIRROR + "/gdsyzglj/c100057/c100061/common_list.shtml"
    archive_for(spider.crawler).close()


def _channel(mirror: BureauMirror) -> tuple[DiscoveredChannel, str, bytes]:
    channel = mirror.channels[0]
    path = mirror.list_path(channel)
    return (
        DiscoveredChannel("https://gd.spb.gov.cn" + path, channel.label),
        path,
        mirror.list_page(channel),
    )


def test_known_entries_are_skipped_and_paging_stops_only_at_a_watermark(tmp_path: Path) -> None:
    gd = next(b for b in BUREAUS if b.code == "gd")
    mirror = BureauMirror(gd, articles=40, faults=False)
    listed = mirror.channel_articles(mirror.channels[0])[:10]
    real = [f"https://gd.spb.gov.cn{a.listed_path}" for a in listed]
    channel_id = mirror.channels[0].channel_id
    api_first = MIRROR + api_url("", channel_id, 1)
    key = f"gd_spb:api:{channel_id}"

    def parse(spider: Any) -> list[Any]:
        # Each call stands for a run's first sight of the channel.
        spider._paged_ids.clear()
        channel, path, page = _channel(mirror)
        return list(spider.parse_list(_response(MIRROR + path, page), channel=channel))

    spider = make_spider(gd, tmp_path, base_url=MIRROR)
    for url in real[1:]:
        spider.seen.mark(url, None, "stored", None)
    # One new entry: fetched, and the API is still paged.
    assert [r.url for r in parse(spider)] == [MIRROR + listed[0].listed_path, api_first]
    spider.seen.mark(real[0], None, "stored", None)
    # Every static row known, but no walk of the channel ever completed: the API may hold
    # entries nobody listed yet (an interrupted first run), so it is paged all the same.
    assert [r.url for r in parse(spider)] == [api_first]
    assert spider.crawler.stats.get_value("postcrawl/list/stopped_at_watermark") is None
    # A complete walk that began at the 4th entry: the list's rows reach it, so the API is not
    # paged, and the walk records its own head as the new watermark.
    spider.frontier.complete_walk(key, Watermark(real[3], listed[3].day))
    (done,) = parse(spider)
    assert isinstance(done, ListWalkDone)
    assert (done.list_key, done.head_url) == (key, real[0])
    assert spider.crawler.stats.get_value("postcrawl/list/stopped_at_watermark") == 1
    archive_for(spider.crawler).close()

    full = make_spider(gd, tmp_path, base_url=MIRROR, full="1")
    assert len(parse(full)) == 11
    archive_for(full.crawler).close()

    # since: entries older than the day are not fetched; a page of only old entries ends it.
    since = make_spider(gd, tmp_path, base_url=MIRROR, full="1", since=listed[4].day)
    assert [r.url for r in parse(since)] == [MIRROR + a.listed_path for a in listed[:5]] + [
        api_first
    ]
    old = make_spider(gd, tmp_path, base_url=MIRROR, full="1", since="2030-01-01")
    assert parse(old) == []  # no watermark either: a since-limited walk is not complete
    archive_for(since.crawler).close()
    archive_for(old.crawler).close()


def test_api_pages_and_fallback(tmp_path: Path) -> None:
    national = BUREAUS[0]
    mirror = BureauMirror(national, articles=180, faults=False)
    spider = make_spider(national, tmp_path, base_url=MIRROR)
    channel, path, page = _channel(mirror)
    (first,) = [
        r
        for r in spider.parse_list(_response(MIRROR + path, page), channel=channel)
        if r.callback == spider.parse_api
    ]
    key = first.url[len(MIRROR) :]
    body = mirror.api_pages(mirror.channels[0])[key]
    response = TextResponse(first.url, body=body, request=first)
    out = list(spider.parse_api(response, **first.cb_kwargs))
    articles = [r for r in out if r.callback == spider.parse_article]
    listed = mirror.channel_articles(mirror.channels[0])[:50]
    # http:// URLs of the real site are fetched from the mirror.
    assert [r.url for r in articles] == [MIRROR + a.listed_path for a in listed]
    assert articles[0].cb_kwargs["hints"].source == "国家邮政局"
    assert articles[0].cb_kwargs["hints"].author is None  # "null"
    (next_page,) = [r for r in out if r.callback == spider.parse_api]
    assert next_page.url.endswith("&page=2") and next_page.cb_kwargs["counted"] == 50
    stats = spider.crawler.stats
    assert stats.get_value("postcrawl/discovery/api_ok") == 1
    # Not JSON (an error page): the more page is read for the rows it may list.
    broken = TextResponse(first.url, body=b"<html>error</html>", request=first)
    (fallback,) = spider.parse_api(broken, **first.cb_kwargs)
    assert fallback.url == MIRROR + mirror.more_path(mirror.channels[0])
    assert fallback.cb_kwargs["more"] is True
    assert stats.get_value("postcrawl/api/fallback") == 1
    assert stats.get_value("postcrawl/discovery/api_fallback") == 1
    archive_for(spider.crawler).close()


def test_channel_selection() -> None:
    sel = ChannelSelection.parse("通知公告,c100061")
    assert sel.wants({"通知公告", "c100058"}) and sel.wants({"工作动态", "c100061"})
    assert not sel.wants({"统计信息", "c100276"})
    drop = ChannelSelection.parse("-统计信息")
    assert drop.wants({"工作动态"}) and not drop.wants({"统计信息", "c100276"})
    assert ChannelSelection.parse(None).wants({"anything"})


def test_home_without_navigation_uses_the_row_hints(tmp_path: Path) -> None:
    national = BUREAUS[0]
    spider = make_spider(national, tmp_path, base_url=MIRROR)
    out = list(
        spider.parse_home(_response(MIRROR + "/gjyzj/index.shtml", b"<html><body>x</body></html>"))
    )
    lists = [r.url for r in out if r.callback == spider.parse_list]
    apis = [r.url for r in out if r.callback == spider.parse_api]
    assert lists == [MIRROR + national.list_path(c) for c in national.channels if c.path]
    # 行业要闻 is known only by its API id: the API is paged directly.
    assert apis == [MIRROR + api_url("", "a630715264f14e0aafa4ab2a945fd6da", 1)]
    assert spider.crawler.stats.get_value("postcrawl/discovery/hints_used") == 1
    archive_for(spider.crawler).close()


def test_unreadable_listings_are_listing_errors_not_crashes(tmp_path: Path) -> None:
    """An empty home page falls back to the row's hints; an empty list page is a counted
    failure of that list (both raise ListingError inside the spider)."""
    gd = next(b for b in BUREAUS if b.code == "gd")
    spider = make_spider(gd, tmp_path, base_url=MIRROR)
    stats = spider.crawler.stats
    out = list(spider.parse_home(_response(MIRROR + "/", b"")))
    assert out and all(r.callback in (spider.parse_list, spider.parse_api) for r in out)
    assert stats.get_value("postcrawl/discovery/hints_used") == 1
    channel = DiscoveredChannel("https://gd.spb.gov.cn/gdsyzglj/c100057/common_list.shtml", "x")
    url = MIRROR + "/gdsyzglj/c100057/common_list.shtml"
    assert list(spider.parse_list(_response(url, b"  "), channel=channel)) == []
    assert stats.get_value("postcrawl/failed") == 1
    (failure,) = stats.get_value("postcrawl/failures")
    assert "list page: empty page" in failure and channel.list_url in failure
    archive_for(spider.crawler).close()
