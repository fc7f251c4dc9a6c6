"""Sites that repost bureau news, one :class:`Aggregator` row each: the site (how its article
pages read), where its lists are and how they page, and its real root.

The page rules read the article pages (fixtures in ``tests/fixtures/<site>/``); a
:class:`Listing` tells :class:`postcrawl.spiders.aggregators.AggregatorSpider` where the lists
are, which rows hold article links and how to reach the next page. General news sites carry
``topic_keywords``: only postal articles are archived from them. A site whose pages changed
layout over the years has one :class:`~postcrawl.sites.model.RuleVersion` per generation.

Every fact says how well it is supported (see ``docs/sites.md``): ``# seen`` where a public
crawler or capture shows it, ``# seen-weak`` (machine-made dumps only), ``# guess`` otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

from postcrawl.sites.model import Evidence, PageRules, RuleVersion, Site, merged_rules

# What makes an article on a general news site one for this archive (simplified Chinese).
POSTAL_KEYWORDS: tuple[str, ...] = (
    "邮政",
    "快递",
    "寄递",
    "邮管局",
    "快件",
    "邮路",
    "邮局",
    "揽投",
    "集邮",
    "邮票",
)


@dataclass(frozen=True)
class ListStart:
    """One list a crawl starts from: its path on the site's root and what it holds."""

    path: str
    label: str
    evidence: Evidence = "guess"


@dataclass(frozen=True)
class Listing:
    """How a site lists its articles.

    ``starts`` are list pages on the site's root (the mirror's, in tests); ``rows`` selects
    one entry per article; ``article_path`` is a regular expression that the path (and query)
    of an article link matches, so navigation links in a row are ignored. The next page is the
    pager link (``next_page`` selectors) whose text is in ``next_texts``; where the CMS numbers
    its list pages with a query parameter instead (``page_param``), the next page is the same
    URL with that parameter one higher, until a page lists no article. At most ``max_pages``
    pages per start.
    """

    starts: tuple[ListStart, ...]
    rows: tuple[str, ...]
    article_path: str
    next_page: tuple[str, ...] = ()
    next_texts: tuple[str, ...] = ("下一页", "下页", "下一頁", "下頁", "next", ">")
    page_param: str | None = None
    max_pages: int = 100
    evidence: Evidence = "guess"  # of the rows / pager shape

    @property
    def start_paths(self) -> tuple[str, ...]:
        return tuple(start.path for start in self.starts)


@dataclass(frozen=True)
class Aggregator:
    """One aggregator, completely: its site row, its lists and the root a live crawl uses.
    The spider ``scrapy crawl <site.name>`` is generated from it."""

    site: Site
    listing: Listing
    base_url: str
    summary: str  # the spider's one-line description

    @property
    def name(self) -> str:
        return self.site.name


TXYDDY = Aggregator(
    site=Site(
        name="txyddy",
        display_name="通讯邮递调研网",
        domain="txyddy.org.cn",
        # guess: no HTML capture of this site is known; the seeds give its text only.
        rules=PageRules(
            body=("div.content", "div.article-content", "div.main_left"),
            title=("h1.title", "div.main_left h1", "h1"),
            meta=("div.info",),
            remove=("script", "style", "div.share"),
            chrome_lines=("通讯邮递调研网",),
        ),
    ),
    # Every section of this site is about posts and telecoms: no topic filter.
    listing=Listing(
        starts=(ListStart("/hydt/", "行业动态"), ListStart("/shjd/", "社会监督")),  # guess
        rows=("div.list ul li", "ul.list li"),
        # DedeCMS-style article paths: /shjd/2023/1026/8812.html (guess)
        article_path=r"^/[a-z]+/\d{4}/\d{4}/\d+\.html$",
        next_page=("div.pages a", "div.page a"),
    ),
    base_url="http://www.txyddy.org.cn",
    summary="通讯邮递调研网 (txyddy.org.cn): 行业动态 and 社会监督; reposts carry 原文链接.",
)

E0734 = Aggregator(
    site=Site(
        name="e0734",
        display_name="中国衡阳新闻网",
        domain="e0734.com",
        # guess: the article layout (the seed gives the text and its chrome lines only).
        rules=PageRules(
            body=("div.article div.content", "div.content"),
            title=("div.article h1", "h1"),
            meta=("div.article div.info", "div.info"),
            remove=("script", "style", "div.share", "div.bdsharebuttonbox"),
            chrome_lines=("衡阳新闻网", "中国衡阳新闻网", "滚动新闻"),
        ),
        topic_keywords=POSTAL_KEYWORDS,
    ),
    listing=Listing(
        # 新闻中心 > 本土: catid 707 holds the seed article (seen: its URL).
        starts=(ListStart("/index.php?a=lists&catid=707", "本土", "seen"),),
        rows=("ul.list li", "div.list ul li"),  # guess
        # index.php?a=show&catid=N&id=N (seen); an older crawler shows /html/2… paths (seen).
        article_path=r"^/(index\.php\?a=show&catid=\d+&id=\d+|html/2\d{3}[/\w-]*\.html?)$",
        next_page=("div.pages a", "div.page a"),
        # The CMS's list-URL rule: index.php?a=lists&catid=N&page=N (seen-weak).
        page_param="page",
        evidence="seen-weak",
    ),
    base_url="http://www.e0734.com",
    summary="中国衡阳新闻网 (www.e0734.com), simplified or traditional-with-pinyin pages alike.",
)

# 山西新闻网 relaunched its news pages: one rule set per page generation, chosen by URL.
SXRB_V1 = RuleVersion(
    name="V1 (2019): sxxww/xwpd/<col>/<id>.shtml",
    url_pattern=r"^/sxxww/xwpd/\w+/\d+\.shtml$",
    rules=PageRules(
        title=("div.catalog_main p.art_tit",),  # seen
        meta=("h3.art_info span",),  # seen: YYYY年M月D日, then the source
        body=("div.art_txt",),  # seen
        remove=("script", "style", "div.editer", "div.art_share"),
        chrome_lines=("山西新闻网",),
    ),
)
SXRB_V2 = RuleVersion(
    name="V2 (2022-23): GB/<col>/<id>.html",
    url_pattern=r"^/GB/\d+/\d+\.html$",
    rules=PageRules(
        # seen (a 2023 crawler's configuration): div.jz, div#rwb_zw, div.left1. The second
        # selector of each is the layout of the traditional-rendered seed page (guess).
        title=("div.jz", "div.rm_txt h1"),
        header=("h3.pre", "h4.pre", "h4.sub", "h2.sub", "div.kicker"),
        meta=("div.left1", "div.col-1-1"),  # seen: YYYY年MM月DD日HH:MM and 来源：
        body=("div#rwb_zw", "div.rm_txt_con"),
        # Inside div#rwb_zw (seen): (责编：…), 原标题, the pager of long articles.
        remove=("script", "style", "div.editer", "div.title_o", "div.zdfy", "div.share"),
        chrome_lines=("山西新闻网",),
    ),
)
SXRB = Aggregator(
    site=Site(
        name="sxrb",
        display_name="山西新闻网",
        domain="sxrb.com",
        versions=(SXRB_V1, SXRB_V2),
        rules=merged_rules((SXRB_V1, SXRB_V2)),
        topic_keywords=POSTAL_KEYWORDS,
    ),
    listing=Listing(
        starts=(
            # GB/<col>/index<N>.html lists (seen); 314064 is 国内新闻, not 党建+ (seen).
            ListStart("/GB/314064/index.html", "国内新闻", "seen"),
            # 2019 columns seen: sx, ty, ylxw, shxw (index.shtml, index_<N>.shtml).
            ListStart("/sxxww/xwpd/sx/index.shtml", "山西", "seen"),
        ),
        # 2022–23 rows div.mod_bd ul li (seen); 2019 rows ul.list li (seen).
        rows=("div.mod_bd ul li", "ul.list li"),
        article_path=r"^/(GB/\d+/\d+\.html|sxxww/xwpd/\w+/\d+\.shtml)$",
        next_page=("div.page_n a", "div.pages a", "div.page a"),  # guess
        evidence="seen",
    ),
    base_url="http://news.sxrb.com",
    summary="山西新闻网 (news.sxrb.com): 2019 ``sxxww/xwpd`` and 2022–23 ``GB/<col>`` pages.",
)

# 德州新闻网 (Dezhou, Shandong). The old row crawled dzxw.net, which is 达州 (Dazhou, Sichuan):
# never crawl an unrelated city. The portal that carried the 德州发布 seed is still unknown.
DEZHOU = Aggregator(
    site=Site(
        name="dezhou",
        display_name="德州新闻网",
        domain="dezhoudaily.com",  # seen
        # guess: no capture of the article layout (the seed gives text and chrome lines).
        rules=PageRules(
            body=("div.article-content",),
            title=("div.article-title h1", "h1"),
            meta=("div.article-meta",),
            remove=("script", "style", "div.hot-search", "div.share"),
        ),
        topic_keywords=POSTAL_KEYWORDS,
    ),
    listing=Listing(
        # guess: the home page lists the recent articles; no list page is known.
        starts=(ListStart("/", "首页"),),
        rows=("li", "div.news-list div.item"),
        article_path=r"^/p/\d+\.html$",  # seen: /p/1568473.html
        max_pages=1,
    ),
    base_url="http://www.dezhoudaily.com",
    summary="德州新闻网 (www.dezhoudaily.com): 德州发布 items among the city's news.",
)

AGGREGATOR_ROWS: tuple[Aggregator, ...] = (TXYDDY, E0734, SXRB, DEZHOU)
AGGREGATORS: tuple[Site, ...] = tuple(row.site for row in AGGREGATOR_ROWS)
