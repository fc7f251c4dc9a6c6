"""Sites that repost bureau news (sites.md §2), one row each."""

from __future__ import annotations

from postcrawl.sites.model import PageRules, Site

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
)

SXRB = Site(
    name="sxrb",
    display_name="山西新闻网",
    domain="sxrb.com",
    kind="aggregator",
    rules=PageRules(
        body=("div.rm_txt_con", "div.art_txt", "div.box_con"),
        title=("h1", "p.art_tit"),
        header=("h3.pre", "h4.pre", "h4.sub", "h2.sub", "div.kicker", ".pre", ".sub"),
        meta=("div.col-1-1", "h3.art_info", "div.box01 div.fl"),
        remove=("script", "style", "div.editer", "div.edit", "div.share"),
        chrome_lines=("山西新闻网",),
    ),
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
)

AGGREGATORS: tuple[Site, ...] = (TXYDDY, E0734, SXRB, DEZHOU)
