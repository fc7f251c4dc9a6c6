"""Sites that repost bureau news (sites.md §2), one row each, with how each lists its articles.

The page rules read the article pages (fixtures in ``tests/fixtures/<site>/``); a
:class:`Listing` tells :class:`postcrawl.spiders.aggregators.AggregatorSpider` where the lists
are, which rows hold article links and how to reach the next page. General news sites carry
``topic_keywords``: only postal articles are archived from them.
"""

from __future__ import annotations

from dataclasses import dataclass

from postcrawl.sites.model import PageRules, Site

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
class Listing:
    """How a site lists its articles.

    ``start_paths`` are list pages on the site's root (the mirror's, in tests); ``rows``
    selects one entry per article; ``article_path`` is a regular expression that the path (and
    query) of an article link matches, so navigation links in a row are ignored;
    ``next_page`` selects the pager's links, of which the one whose text is in
    ``next_texts`` is followed, at most ``max_pages`` pages per start path.
    """

    start_paths: tuple[str, ...]
    rows: tuple[str, ...]
    article_path: str
    next_page: tuple[str, ...] = ()
    next_texts: tuple[str, ...] = ("下一页", "下页", "下一頁", "下頁", "next", ">")
    max_pages: int = 100


TXYDDY = Site(
    name="txyddy",
    display_name="通讯邮递调研网",
    domain="txyddy.org.cn",
    kind="aggregator",
    rules=PageRules(
        body=("div.content", "div.article-content", "div.main_left"),
        title=("h1.title", "div.main_left h1", "h1"),
        meta=("div.info",),
        remove=("script", "style", "div.share"),
        chrome_lines=("通讯邮递调研网",),
    ),
)
# Every section of this site is about posts and telecoms: no topic filter.
TXYDDY_LISTING = Listing(
    start_paths=("/hydt/", "/shjd/"),
    rows=("div.list ul li", "ul.list li"),
    # DedeCMS-style article paths: /shjd/2023/1026/8812.html
    article_path=r"^/[a-z]+/\d{4}/\d{4}/\d+\.html$",
    next_page=("div.pages a", "div.page a"),
)

E0734 = Site(
    name="e0734",
    display_name="中国衡阳新闻网",
    domain="e0734.com",
    kind="aggregator",
    rules=PageRules(
        body=("div.article div.content", "div.content"),
        title=("div.article h1", "h1"),
        meta=("div.article div.info", "div.info"),
        remove=("script", "style", "div.share", "div.bdsharebuttonbox"),
        chrome_lines=("衡阳新闻网", "中国衡阳新闻网", "滚动新闻"),
    ),
    topic_keywords=POSTAL_KEYWORDS,
)
E0734_LISTING = Listing(
    # 新闻中心 > 本土 (catid 707 holds the seed article).
    start_paths=("/index.php?a=lists&catid=707",),
    rows=("ul.list li", "div.list ul li"),
    article_path=r"^/index\.php\?a=show&catid=\d+&id=\d+$",
    next_page=("div.pages a", "div.page a"),
)

SXRB = Site(
    name="sxrb",
    display_name="山西新闻网",
    domain="sxrb.com",
    kind="aggregator",
    rules=PageRules(
        body=("div.rm_txt_con", "div.art_txt", "div.box_con"),
        # 2019 pages: div.catalog_main p.art_tit; 2022–23 pages: the h1 of the article column.
        title=("div.catalog_main p.art_tit", "div.rm_txt h1", "h1", "p.art_tit"),
        header=("h3.pre", "h4.pre", "h4.sub", "h2.sub", "div.kicker", ".pre", ".sub"),
        meta=("div.col-1-1", "h3.art_info span", "div.box01 div.fl"),
        remove=("script", "style", "div.editer", "div.edit", "div.share"),
        chrome_lines=("山西新闻网",),
    ),
    topic_keywords=POSTAL_KEYWORDS,
)
SXRB_LISTING = Listing(
    # 2022–23 column lists GB/<col>/index<N>.html (314064 党建+); 2019 sxxww/xwpd/<col>/.
    start_paths=("/GB/314064/index.html", "/sxxww/xwpd/sxyw/index.shtml"),
    rows=("div.mod_bd ul li", "div.list_14 ul li", "ul.list_14 li"),
    article_path=r"^/(GB/\d+/\d+\.html|sxxww/xwpd/\w+/\d+\.shtml)$",
    next_page=("div.page_n a", "div.pages a", "div.page a"),
)

DEZHOU = Site(
    name="dezhou",
    display_name="德州发布",
    domain="dzxw.net",
    kind="aggregator",
    rules=PageRules(
        body=("div.article-content",),
        title=("div.article-title h1", "h1"),
        meta=("div.article-meta",),
        remove=("script", "style", "div.hot-search", "div.share"),
    ),
    topic_keywords=POSTAL_KEYWORDS,
)
DEZHOU_LISTING = Listing(
    # The portal's 德州发布 column.
    start_paths=("/11/",),
    rows=("div.news-list ul li", "ul.news-list li"),
    article_path=r"^/news/\d{4}-\d{2}/\d{2}/content_\d+\.html$",
    next_page=("div.pages a", "div.page a"),
)

AGGREGATORS: tuple[Site, ...] = (TXYDDY, E0734, SXRB, DEZHOU)
LISTINGS: dict[str, Listing] = {
    "txyddy": TXYDDY_LISTING,
    "e0734": E0734_LISTING,
    "sxrb": SXRB_LISTING,
    "dezhou": DEZHOU_LISTING,
}
