"""The bureau mirror's pages, from the templates in ``postcrawl/mirror/sites/bureau/``: article
pages, the home page with its navigation, static lists, "more" pages and the JSON search API."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta, timezone
from functools import cache
from html import escape
from string import Template
from typing import Any

from postcrawl.bureau_lists import API_PAGE_SIZE, api_url
from postcrawl.mirror.bureau_articles import ArticleSet, MirrorArticle
from postcrawl.mirror.bureau_layout import MirrorChannel, MirrorLayout, hex_id, site_text
from postcrawl.sites.bureaus import Bureau

CHINA_TIME = timezone(timedelta(hours=8))


@cache
def template(name: str) -> Template:
    """A page template of ``sites/bureau/``, read once."""
    return Template(site_text(name))


@dataclass(frozen=True)
class BureauPages:
    """Renders the pages of one bureau mirror: its articles in *article_set*, laid out by
    *layout*; a static list shows *page_size* rows; ``nav=False`` leaves out the navigation."""

    bureau: Bureau
    layout: MirrorLayout
    article_set: ArticleSet
    page_size: int
    nav: bool = True

    def site_vars(self) -> dict[str, str]:
        return {
            "site_name": self.bureau.display_name,
            "domain": self.bureau.domain,
            "prefix": self.layout.prefix,
        }

    def article_page(self, article: MirrorArticle) -> tuple[bytes, str]:
        """The HTML of an article page and its Content-Type."""
        charset = "gb2312" if article.fault == "gb18030" else "utf-8"
        name = {"cms": "article.html", "trs": "article_trs.html"}.get(
            article.shape, "article_disclosure.html"
        )
        html = template(name).substitute(
            self.site_vars(),
            charset=charset,
            title=escape(article.title),
            date=article.day,
            # The CMS's PubDate meta is the page's generation time, not the publication date.
            generated=f"{article.published + timedelta(days=9):%Y-%m-%d %H:%M:%S}",
            source=self.bureau.display_name,
            channel_label=article.channel.label,
            channel_path=article.channel.path,
            paragraphs="\n".join(
                f'<p style="text-indent: 2em;">{escape(p)}</p>' for p in article.paragraphs
            ),
            attachments=_attachments(article),
            index_no=f"bm51190001/{article.published:%Y}-{article.key:05d}",
            doc_no=f"{self.bureau.province}邮管〔{article.published:%Y}〕{article.key % 90 + 1}号",
        )
        if charset == "gb2312":
            return html.encode("gb18030"), "text/html"
        return html.encode("utf-8"), "text/html; charset=utf-8"

    def nav_bar(self, relative: bool = False) -> str:
        """The navigation bar: top entries, and sub-menus under a text-less parent. On the home
        page (*relative*) some links are relative to it, as the CMS mixes both forms."""
        if not self.nav:
            return ""
        items = [f'<li><a href="{self.layout.home_path}">首页</a></li>']
        groups: dict[str, list[str]] = {}
        for channel in self.layout.channels:
            # Links are relative to the home page where they can be (the CMS mixes both).
            href = (
                f"{channel.path}/common_list.shtml"
                if relative and channel.holds_articles and "/" in channel.path
                else self.layout.list_path(channel)
            )
            link = f'<li><a href="{href}">{escape(channel.label)}</a></li>'
            if channel.nav_group:
                groups.setdefault(channel.nav_group, []).append(link)
            else:
                items.append(link)
        for group, links in groups.items():
            items.append(
                f'<li class="has-sub"><a href="javascript:;" title="{escape(group)}"></a>'
                f'<ul class="sub">{"".join(links)}</ul></li>'
            )
        return '<div class="nav"><ul class="w1200 clearfix">\n' + "\n".join(items) + "\n</ul></div>"

    def home_page(self) -> bytes:
        """The home page: navigation, and a box of recent rows per channel."""
        boxes = [
            f'<div class="box"><div class="box-title"><h3>{escape(c.label)}</h3>'
            f'<a class="more" href="{self.layout.list_path(c)}">更多&gt;&gt;</a></div><ul>\n'
            f"{_rows(self.article_set.in_channel(c)[:3])}\n</ul></div>"
            for c in self.layout.article_channels
            if self.nav
        ]
        html = template("index.html").substitute(
            self.site_vars(), nav=self.nav_bar(relative=True), boxes="\n".join(boxes)
        )
        return html.encode("utf-8")

    def list_page(self, channel: MirrorChannel) -> bytes:
        """A channel's static list: its newest rows and its "more" link."""
        articles = self.article_set.in_channel(channel)[: self.page_size]
        more = ""
        if channel.holds_articles:  # an "about us" list has neither rows nor a more-link
            href = escape(self.layout.more_path(channel))
            more = f'<a class="more" href="{href}" target="_blank">更多</a>'
        html = template("list.html").substitute(
            self.site_vars(),
            nav=self.nav_bar(),
            channel_label=channel.label,
            channel_path=channel.path,
            rows=_rows(articles),
            more=more,
        )
        return html.encode("utf-8")

    def more_page(self, channel: MirrorChannel) -> bytes:
        """A channel's "more" page: a shell the API fills, or every row where it lists them."""
        articles = self.article_set.in_channel(channel) if channel.more_lists_rows else []
        html = template("listmore.html").substitute(
            self.site_vars(),
            channel_label=channel.label,
            channel_id=channel.channel_id,
            rows=_rows(articles),
        )
        return html.encode("utf-8")

    def api_pages(self, channel: MirrorChannel) -> dict[str, bytes]:
        """The JSON search API answers of a channel (one past the end: an empty page)."""
        articles = self.article_set.in_channel(channel)
        pages: dict[str, bytes] = {}
        count = len(articles) // API_PAGE_SIZE + 2
        for page in range(1, count + 1):
            chunk = articles[(page - 1) * API_PAGE_SIZE : page * API_PAGE_SIZE]
            results = [_api_result(self.bureau, channel, a) for a in chunk]
            payload = {"code": 200, "data": {"total": len(articles), "results": results}}
            key = api_url("", channel.channel_id, page)
            pages[key] = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        return pages


def _attachments(article: MirrorArticle) -> str:
    """The attachment box of an article page (empty without an attachment)."""
    if not article.attachment:
        return ""
    name = escape(article.attachment.rsplit("/", 1)[-1])
    return (
        f'<div class="fujian"><p>附件：</p><ul><li><a href="{escape(article.attachment)}"'
        f' target="_blank">{name}</a></li></ul></div>'
    )


def _rows(articles: list[MirrorArticle]) -> str:
    """List rows: a link with the title, and the day."""
    return "\n".join(
        f'        <li><a href="{a.listed_path}" target="_blank"><p>{escape(a.title)}</p>'
        f"<span>{a.day}</span></a></li>"
        for a in articles
    )


def _api_result(bureau: Bureau, channel: MirrorChannel, article: MirrorArticle) -> dict[str, Any]:
    """One row of the search API's answer."""
    a = article
    return {
        "manuscriptId": hex_id("m", a.key),
        "title": a.title,
        "subTitle": "",
        # The API answers with http:// URLs of the real site.
        "url": f"http://{bureau.domain}{a.listed_path}",
        # Epoch milliseconds of the China-time publication moment.
        "publishedTime": int(a.published.replace(tzinfo=CHINA_TIME).timestamp() * 1000),
        "publishedTimeStr": f"{a.published:%Y-%m-%d %H:%M:%S}",
        "channelCodeName": channel.code,
        "channelName": channel.label,
        "content": a.paragraphs[0][:60],
        "resList": [],
        "domainMetaList": [
            {
                "resultList": [
                    {"key": "source", "value": bureau.display_name},
                    {"key": "author", "value": "null"},
                    {"key": "wh", "value": "null"},
                ]
            }
        ],
    }
