"""Every saved page, extracted by the pipeline's own functions, against its expected JSON.

One test parametrized over all sites (as Fundus does): adding a site's fixture adds a case.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from postcrawl.article_text import normalize_extracted
from postcrawl.boilerplate import RULES, chrome_rule
from postcrawl.chinese_text import traditional_count
from postcrawl.extraction import Extracted, extract_article
from postcrawl.sites import SITES, PageRules, site_for_url
from postcrawl.sites.bureaus import BUREAUS
from tests.conftest import Fixture, fixture_named, page_fixtures

FIELDS = ("site", "title", "published", "source", "author", "original_url")
FIXTURES = page_fixtures()


def read(fx: Fixture) -> Extracted:
    """The fixture page read as the crawl reads it: with its site's rules for the page's
    generation (:meth:`Site.for_path`), then normalized."""
    site = site_for_url(fx.url).for_path(urlsplit(fx.url).path)
    return normalize_extracted(extract_article(fx.html.read_bytes(), fx.url, site=site))


def test_every_site_rule_set_has_a_fixture() -> None:
    """As Fundus does for publishers: every set of page rules a site row uses (each page
    generation's, for a versioned site) is exercised by at least one saved page, and every
    site outside the bureau family (which shares one rule set) has saved pages of its own.
    A new site row without a fixture fails here instead of going untested."""
    covered = {site_for_url(fx.url).for_path(urlsplit(fx.url).path).rules for fx in FIXTURES}
    needed = {}
    for site in SITES.values():
        for rules in [v.rules for v in site.versions] or [site.rules]:
            if rules != PageRules():
                needed.setdefault(rules, site.name)
    missing = sorted(name for rules, name in needed.items() if rules not in covered)
    assert missing == [], f"page rules with no fixture (see tests/fixtures/README.md): {missing}"
    family = {b.spider_name for b in BUREAUS}
    with_pages = {fx.html.parent.name for fx in FIXTURES}
    assert sorted(set(SITES) - family - with_pages) == []


@pytest.mark.parametrize("fx", FIXTURES, ids=[f.id for f in FIXTURES])
def test_extraction_matches_expected(fx: Fixture) -> None:
    article = read(fx)
    got = {name: getattr(article, name) for name in FIELDS}
    want = {name: fx.expected.get(name) for name in FIELDS}
    assert got == want
    assert article.paragraphs == fx.expected["paragraphs"]
    if "attachments" in fx.expected:
        assert article.attachments == fx.expected["attachments"]


@pytest.mark.parametrize("fx", FIXTURES, ids=[f.id for f in FIXTURES])
def test_no_chrome_reaches_the_body(fx: Fixture) -> None:
    article = read(fx)
    for paragraph in article.paragraphs:
        assert chrome_rule(paragraph) is None, paragraph
        assert paragraph != article.title
        assert traditional_count(paragraph) == 0, paragraph
        assert "(yáng)" not in paragraph and "ǎ" not in paragraph


def test_fixture_set_covers_every_seed_site() -> None:
    sites = {fx.html.parent.name for fx in FIXTURES}
    assert {"dezhou", "e0734", "sxrb", "txyddy", "gd_spb"} <= sites


# One row per chrome rule, in RULES order: its name, whether it ends the article, a line it
# must match, and a near-miss (article text that looks like it) it must not match.
RULE_EXAMPLES = [
    ("banner", False, "欢迎访问山西省邮政管理局网站", "省局领导欢迎访问团一行到来"),
    ("breadcrumb", False, "当前位置：首页 > 新闻动态", "网点位置调整的通知"),
    ("breadcrumb", False, "首页 > 新闻中心 > 行业动态", "新闻中心 > 行业动态"),
    ("share", False, "分享到：微信 微博", "欢迎大家分享到朋友圈"),
    ("share", False, "扫一扫在手机打开当前页", "在手机上办理邮寄业务"),
    ("print", False, "【打印】 【关闭】", "打印机采购公告"),
    ("rolling", False, "推荐阅读", "推荐阅读：邮政快递年度报告"),
    ("hot-list", True, "今日热搜：", "今日热搜榜单显示快递业务增长"),
    ("repost-link", True, "原文链接：http://gd.spb.gov.cn/a.shtml", "原文链接已失效"),
    ("disclaimer", True, "【免责声明】本网转载的文章", "企业发布免责声明"),
    ("disclaimer", True, "凡本网未注明来源的作品", "快件面单注明来源地"),
    ("disclaimer", True, "未经本网授权，不得转载", "未经授权不得进入分拣场地"),
    ("disclaimer", True, "转载请注明出处", "授权代办点正式发布营业时间"),
    ("disclaimer", False, "如涉及作品内容、版权等问题", "无法联系到收件人"),
    ("contact", False, "联系电话：0351-1234567", "联系电话畅通是服务的基础"),
    ("contact", False, "违法和不良信息举报电话：12377", "举报违法寄递行为"),
    ("copyright", False, "版权所有：山西省邮政管理局", "版权保护工作座谈会召开"),
    ("copyright", False, "晋ICP备05001234号", "ICP许可管理办法"),
    ("sponsor", False, "主办单位：山西省邮政管理局", "省局主办的培训班顺利结业。"),
    ("editor", False, "（责任编辑：王宇）", "编辑部召开会议"),
    ("counter", False, "浏览次数：1024", "浏览次数大幅增加"),
]


def test_every_rule_has_an_example_table_row() -> None:
    assert [(r.name, r.tail) for r in RULES] == [(name, tail) for name, tail, _, _ in RULE_EXAMPLES]
    for rule in RULES:
        assert rule.name and rule.pattern.pattern


@pytest.mark.parametrize(
    ("index", "line", "near_miss"),
    [(i, line, miss) for i, (_, _, line, miss) in enumerate(RULE_EXAMPLES)],
    ids=[f"{i}-{row[0]}" for i, row in enumerate(RULE_EXAMPLES)],
)
def test_rule_matches_its_example_and_not_its_near_miss(
    index: int, line: str, near_miss: str
) -> None:
    rule = RULES[index]
    assert rule.pattern.search(line), line
    assert chrome_rule(line) is not None, line
    assert not rule.pattern.search(near_miss), near_miss
    assert chrome_rule(near_miss) is None, near_miss  # no other rule drops it either


@settings(max_examples=600, deadline=None)
@given(data=st.data())
def test_a_rule_matches_only_lines_holding_one_of_its_needles(data: st.DataObject) -> None:
    """``needles`` lets chrome_rule skip a rule's search: every line the pattern matches must
    hold one of them. The lines are drawn from the pattern itself (hypothesis's from_regex,
    case variants included for rules that ignore case)."""
    index = data.draw(st.sampled_from([i for i, r in enumerate(RULES) if r.needles]))
    rule = RULES[index]
    line = data.draw(st.from_regex(rule.pattern))
    assert rule.pattern.search(line)
    assert any(needle in line for needle in rule.needles), (rule.name, line)
    assert chrome_rule(line) is not None or len(line) >= 240, line


def test_repost_and_original_hash_the_same() -> None:
    repost = fixture_named("txyddy", "004_txyddy_repost")
    original = fixture_named("gd_spb", "004_original")
    a = normalize_extracted(extract_article(repost.html.read_bytes(), repost.url))
    b = normalize_extracted(extract_article(original.html.read_bytes(), original.url))
    assert a.body_hash == b.body_hash
    assert a.original_url == original.url
    assert a.site == "txyddy" and b.site == "gd_spb"


def test_pubdate_meta_loses_to_the_visible_date() -> None:
    fx = fixture_named("gd_spb", "004_original")
    assert 'name="PubDate" content="2023-11-02' in fx.html.read_text(encoding="utf-8")
    article = extract_article(fx.html.read_bytes(), fx.url)
    assert article.published == "2023-10-26"


def test_list_hint_date_outranks_the_page() -> None:
    from postcrawl.extraction import PageHints

    fx = fixture_named("gd_spb", "004_original")
    article = extract_article(
        fx.html.read_bytes(), fx.url, hints=PageHints(published="2023-10-25 18:00:00")
    )
    assert article.published == "2023-10-25 18:00:00"


def test_trafilatura_fallback_when_no_site_rule_matches() -> None:
    fx = fixture_named("txyddy", "004_txyddy_repost")
    # The same page under an unknown host: no site rules, trafilatura on the whole page.
    article = normalize_extracted(
        extract_article(fx.html.read_bytes(), "http://unknown.example/a.html")
    )
    assert article.method == "trafilatura"
    assert article.site == "generic"
    # Date and source come from the page's meta line, found without a site rule.
    assert (article.published, article.source) == ("2023-10-26", "广东省邮政管理局")
    assert article.paragraphs[0] == fx.expected["paragraphs"][0]
    for paragraph in article.paragraphs:
        assert chrome_rule(paragraph) is None, paragraph


def test_disclosure_issuer_is_the_source() -> None:
    fx = fixture_named("spb", "disclosure_page")
    page = fx.html.read_bytes().replace(
        "<em>国家邮政局</em>".encode(), "<em>国家邮政局政策法规司</em>".encode()
    )
    assert page != fx.html.read_bytes()
    assert extract_article(page, fx.url).source == "国家邮政局政策法规司"


def test_issuer_on_a_shared_line_stops_at_the_next_label() -> None:
    from postcrawl.metaline import parse_meta_line

    meta = parse_meta_line("发布机构:国家邮政局 发文字号:全国邮管〔2023〕78号")
    assert meta is not None and meta.source == "国家邮政局"
