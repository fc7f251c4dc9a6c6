"""The bureau CMS's home pages, list pages, search API answers and redirect stubs, read without
Scrapy. The discovery pages are saved fixtures in ``tests/fixtures/discovery/`` (real shapes,
invented text)."""

from __future__ import annotations

import json

import pytest

from postcrawl.bureau_lists import (
    ChannelLink,
    ListingError,
    MoreLink,
    api_url,
    channel_codes,
    discover_channels,
    find_more_link,
    is_article_url,
    js_redirect_target,
    parse_api_page,
    parse_list_page,
)
from tests.conftest import FIXTURES, fixture_named

DISCOVERY = FIXTURES / "discovery"


def _page(name: str) -> bytes:
    return (DISCOVERY / name).read_bytes()


LIST_URL = "https://gd.spb.gov.cn/gdsyzglj/c100057/c100061/common_list.shtml"
LIST_PAGE = """<html><head><meta charset="utf-8"></head><body>
<div class="nav"><ul><li><a href="/gdsyzglj/index.shtml">首页</a></li>
<li><a href="/gdsyzglj/c100057/common_list.shtml">工作动态</a></li></ul></div>
<div class="list"><ul>
<li><a href="/gdsyzglj/c100057/c100061/202310/10855d1563a94a318b34d4c76ceb3d03.shtml"><p>河源、梅州、茂名、潮州局召开三季度政企联席会</p><span>2023-10-26</span></a></li>
<li><a href="202309/aaaa.shtml" title="韶关局开展监督检查">韶关局开展…</a><span>2023-09-01</span></li>
<li><a href="http://gd.spb.gov.cn/xwzx/201905/t20190510_1828821.html">旧文章<span>2019-05-10</span></a></li>
<li><a href="https://www.spb.gov.cn/gjyzj/c100276/202310/ffff.shtml"><p>国家局要闻</p><span>2023-10-20</span></a></li>
</ul></div>
<div class="page"><a href="common_list.shtml">首页</a> <a href="common_list_2.shtml">下一页</a></div>
</body></html>"""


def test_list_page_entries_dates_titles_and_next_page() -> None:
    page = parse_list_page(LIST_PAGE.encode(), LIST_URL)
    assert [(e.url, e.title, e.published) for e in page.entries] == [
        (
            "https://gd.spb.gov.cn/gdsyzglj/c100057/c100061/202310/10855d1563a94a318b34d4c76ceb3d03.shtml",
            "河源、梅州、茂名、潮州局召开三季度政企联席会",
            "2023-10-26",
        ),
        (
            "https://gd.spb.gov.cn/gdsyzglj/c100057/c100061/202309/aaaa.shtml",
            "韶关局开展监督检查",
            "2023-09-01",
        ),
        ("http://gd.spb.gov.cn/xwzx/201905/t20190510_1828821.html", "旧文章", "2019-05-10"),
        ("https://www.spb.gov.cn/gjyzj/c100276/202310/ffff.shtml", "国家局要闻", "2023-10-20"),
    ]
    assert page.next_url == "https://gd.spb.gov.cn/gdsyzglj/c100057/c100061/common_list_2.shtml"


def test_last_list_page_has_no_next() -> None:
    html = LIST_PAGE.replace('<a href="common_list_2.shtml">下一页</a>', "")
    assert parse_list_page(html.encode(), LIST_URL).next_url is None


def test_empty_list_page_is_an_error_not_a_crash() -> None:
    with pytest.raises(ListingError) as info:
        parse_list_page(b"  ", LIST_URL)
    assert info.value.kind == "empty"


@pytest.mark.parametrize(
    ("url", "article"),
    [
        ("https://gd.spb.gov.cn/gdsyzglj/c100057/c100061/202310/10855d.shtml", True),
        ("http://www.spb.gov.cn/xw/dtxx_15079/201905/t20190510_1828821.html", True),
        ("https://gd.spb.gov.cn/gdsyzglj/c100057/c100061/common_list.shtml", False),
        ("https://gd.spb.gov.cn/gdsyzglj/index.shtml", False),
        ("https://gd.spb.gov.cn/gdsyzglj/c100057/c100061/202310/files/a.pdf", False),
    ],
)
def test_article_url_shapes(url: str, article: bool) -> None:
    assert is_article_url(url) is article


def test_js_redirect_stub() -> None:
    stub = b'<script>window.location.href="/gjyzj/c100276/common_list.shtml"</script>'
    assert (
        js_redirect_target(stub, "https://www.spb.gov.cn/gjyzj/index.shtml")
        == "https://www.spb.gov.cn/gjyzj/c100276/common_list.shtml"
    )
    # A real page that happens to have a location script is not a stub.
    page = fixture_named("gd_spb", "004_original").html.read_bytes()
    assert js_redirect_target(page + stub, "https://gd.spb.gov.cn/") is None
    assert js_redirect_target(b"<html><body>hello</body></html>", "https://gd.spb.gov.cn/") is None


def _api_answer(results: list[dict[str, object]], total: int) -> bytes:
    return json.dumps({"data": {"total": total, "results": results}}, ensure_ascii=False).encode()


def test_api_page_entries_and_null_metadata() -> None:
    body = _api_answer(
        [
            {
                "title": " 国家邮政局召开党组会议 ",
                "url": "http://www.spb.gov.cn/gjyzj/c100276/202310/abc.shtml",
                "publishedTime": 1698278400000,
                "publishedTimeStr": "2023-10-26 08:00:00",
                "domainMetaList": [
                    {
                        "resultList": [
                            {"key": "source", "value": "国家邮政局办公室"},
                            {"key": "author", "value": "null"},
                        ]
                    }
                ],
            },
            # No publishedTimeStr: the epoch (China time) is used.
            {"title": "第二篇", "url": "/gjyzj/c100276/202310/def.shtml", "publishedTime": 0},
            {"title": "no url"},
        ],
        total=120,
    )
    page = parse_api_page(body, api_url("https://www.spb.gov.cn", "a6" * 16, 1))
    assert page.total == 120
    first, second = page.entries
    assert first.url == "http://www.spb.gov.cn/gjyzj/c100276/202310/abc.shtml"
    assert (first.title, first.published, first.source, first.author) == (
        "国家邮政局召开党组会议",
        "2023-10-26 08:00:00",
        "国家邮政局办公室",
        None,
    )
    assert second.url == "https://www.spb.gov.cn/gjyzj/c100276/202310/def.shtml"
    assert second.published is None  # epoch 0 is 1970: not a plausible date
    assert second.source is None


def test_api_error_page_is_reported() -> None:
    with pytest.raises(ListingError) as info:
        parse_api_page(b"<html>502 Bad Gateway</html>", "https://www.spb.gov.cn/common/search/x")
    assert info.value.kind == "not-json"


def test_api_url_keeps_the_site_parameter_order() -> None:
    assert api_url("https://www.spb.gov.cn/", "de7de12df24948b98dcb8420d3777c04", 3) == (
        "https://www.spb.gov.cn/common/search/de7de12df24948b98dcb8420d3777c04?_isAgg=true"
        "&_isJson=true&_pageSize=50&_template=index&_rangeTimeGte=&_channelName=&page=3"
    )


# -- discovery -------------------------------------------------------------------------------


def test_home_page_names_its_channels_any_prefix_any_depth() -> None:
    home = "https://www.spb.gov.cn/gjyzj/index.shtml"
    channels = discover_channels(_page("spb_home.html"), home)
    root = "https://www.spb.gov.cn/gjyzj/"
    assert channels == [
        ChannelLink(root + "c100015/c100016/common_list.shtml", "行业运行"),
        # A relative link, resolved against the home page.
        ChannelLink(root + "c100015/c100017/common_list.shtml", "工作动态"),
        # A parent menu entry without text: still a list, with no label.
        ChannelLink(root + "c100009/common_list.shtml", ""),
        # Linked again from a "更多" box with a query and a fragment: one channel.
        ChannelLink(root + "c100009/c100012/common_list.shtml", "政策法规标准"),
        ChannelLink(root + "c100276/common_list.shtml", "统计信息"),
        # An image link: the title attribute is the label.
        ChannelLink(root + "c100278/common_list.shtml", "快递发展指数"),
    ]
    # The footer's lists of other bureaus are not this site's channels.
    assert not any("gd.spb.gov.cn" in c.url for c in channels)
    assert channels[3].codes == ("c100009", "c100012") and channels[3].prefix == "gjyzj"


def test_home_page_of_a_bureau_whose_prefix_drops_the_s() -> None:
    channels = discover_channels(_page("xz_home.html"), "https://xz.spb.gov.cn/")
    assert [(c.prefix, c.codes, c.label) for c in channels] == [
        ("xzyzglj", ("c100065", "c100066"), "工作动态"),
        ("xzyzglj", ("c100065", "c100067"), "通知公告"),
    ]


def test_a_page_without_navigation_names_no_channel() -> None:
    assert discover_channels(b"<html><body><p>hello</p></body></html>", "https://x.cn/") == []
    with pytest.raises(ListingError):
        discover_channels(b"", "https://x.cn/")


def test_list_page_rows_and_its_more_link_with_the_channel_id() -> None:
    url = "https://hb.spb.gov.cn/hubsyzglj/c100068/c100112/common_list.shtml"
    page = parse_list_page(_page("hb_list.html"), url)
    assert len(page.entries) == 10
    # The rows live under another channel's path than the list's own.
    assert all("/hubsyzglj/c104687/c104691/202512/" in e.url for e in page.entries)
    assert page.entries[0].published == "2025-12-28" and page.entries[0].title
    assert page.more == MoreLink(
        "https://hb.spb.gov.cn/hubsyzglj/c100068/c100112/common_listmores.shtml"
        "?channelId=442538b4702e42a1b20f32cbafa4aab4&code=c104693",
        "442538b4702e42a1b20f32cbafa4aab4",
        "c104693",
    )
    assert page.next_url is None


def test_more_link_in_a_script_is_found_too() -> None:
    url = "https://www.spb.gov.cn/gjyzj/c100276/common_list.shtml"
    page = parse_list_page(_page("spb_list_c100276.html"), url)
    assert len(page.entries) == 10
    assert all(channel_codes(e.url) == ("c100015", "c100016") for e in page.entries)
    assert page.more is not None
    assert (page.more.channel_id, page.more.code) == ("ce2d4d5628314ff7a81553529fb7f6a0", "c100276")
    assert page.more.url.startswith("https://www.spb.gov.cn/gjyzj/c100037/c100150/common_listmore")


def test_a_more_link_without_a_channel_id_is_no_more_link() -> None:
    url = "https://sh.spb.gov.cn/shsyzglj/c100057/c100058/common_list.shtml"
    page = parse_list_page(_page("sh_list_no_id.html"), url)
    assert [e.published for e in page.entries] == ["2025-12-05"]
    assert page.more is None
    assert find_more_link("<p>no links</p>", url) is None
