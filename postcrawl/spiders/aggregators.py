"""Spiders for the sites that repost bureau news (sites.md §2): one shared list crawler.

:class:`AggregatorSpider` walks a site's :class:`postcrawl.sites.aggregators.Listing` (list
pages, rows, pager) and requests each article the archive has not seen; every site is then a
four-line subclass naming its row and listing. Which articles are kept (the topic filter) and
how a repost joins its original (near-duplicate detection) are pipeline steps, not spider code.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.http import Response

from postcrawl.dates import find_datetime
from postcrawl.extraction import PageHints
from postcrawl.sites.aggregators import (
    DEZHOU,
    DEZHOU_LISTING,
    E0734,
    E0734_LISTING,
    SXRB,
    SXRB_LISTING,
    TXYDDY,
    TXYDDY_LISTING,
    Listing,
)
from postcrawl.spiders.base import ArchiveSpider, ListWalk
from postcrawl.textnorm import clean_line

logger = logging.getLogger(__name__)


def path_and_query(url: str) -> str:
    """The part of *url* a listing's ``article_path`` pattern is matched against."""
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


class AggregatorSpider(ArchiveSpider):
    """Crawls a site's list pages, newest first, and yields the articles not yet archived.

    Paging stops at ``max_pages``, at a page whose rows are all known and at or past the
    watermark of an earlier complete walk (``-a full=1`` pages on) or at rows older than
    ``-a since=``.
    """

    listing: ClassVar[Listing]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._article_path = re.compile(self.listing.article_path)

    async def start_lists(self) -> AsyncIterator[Any]:
        for path in self.listing.start_paths:
            yield self.list_request(self.url(path), 1, self.new_walk(path))

    def list_request(self, url: str, page: int, walk: ListWalk) -> scrapy.Request:
        """A request for one list page (*page* counts from 1 per start path)."""
        return scrapy.Request(
            url,
            callback=self.parse_list,
            errback=self.on_error,
            cb_kwargs={"page": page, "walk": walk},
        )

    def parse_list(self, response: Response, page: int, walk: ListWalk) -> Iterator[Any]:
        """Article requests for the rows of one list page, then the next page."""
        self.crawler.stats.inc_value("postcrawl/spider/list_pages")
        rows = []
        for css in self.listing.rows:
            rows = response.css(css)
            if rows:
                break
        if not rows:
            self.crawler.stats.inc_value("postcrawl/spider/empty_list")
            logger.warning("no list rows at %s (selectors %s)", response.url, self.listing.rows)
            return
        entries = [e for row in rows if (e := self._row_entry(response, row)) is not None]
        wanted, verdict = self.page_verdict(walk, [(url, listed) for url, _, listed in entries])
        for position in wanted:
            url, hints, _ = entries[position]
            yield self.article_request(url, hints, list_url=response.url)
        next_url = self._next_page(response) if verdict == "more" else None
        if next_url and page < self.listing.max_pages:
            yield self.list_request(next_url, page + 1, walk)
            return
        # The end of the list, caught up, or max_pages (as deep as this site is walked).
        if verdict != "since" and (done := walk.done()) is not None:
            yield done

    def _row_entry(self, response: Response, row: Any) -> tuple[str, PageHints, str | None] | None:
        """The real article URL of a list row, its title as a hint, and the listed date.

        The listed date is only used for ``since``: these lists give the day, while the
        article page's meta line gives the time too, so it is not passed as a hint (hints
        outrank the page)."""
        for link in row.css("a[href]"):
            absolute = urljoin(response.url, link.attrib["href"].strip())
            url = self.canonical(absolute)
            if not self._article_path.match(path_and_query(url)):
                continue
            title = clean_line(" ".join(link.css("::text").getall())) or None
            published = find_datetime(" ".join(row.css("::text").getall()))
            return url, PageHints(title=title), published
        return None

    def _next_page(self, response: Response) -> str | None:
        wanted = {t.lower() for t in self.listing.next_texts}
        for css in self.listing.next_page:
            for link in response.css(css):
                text = clean_line(" ".join(link.css("::text").getall())).lower()
                href = link.attrib.get("href", "").strip()
                if text in wanted and href and not href.startswith("javascript"):
                    return urljoin(response.url, href)
        return None


class TxyddySpider(AggregatorSpider):
    """通讯邮递调研网 (txyddy.org.cn): 行业动态 and 社会监督; reposts carry 原文链接."""

    name = "txyddy"
    site = TXYDDY
    listing = TXYDDY_LISTING
    default_base_url = "http://www.txyddy.org.cn"


class E0734Spider(AggregatorSpider):
    """中国衡阳新闻网 (www.e0734.com), simplified or traditional-with-pinyin pages alike."""

    name = "e0734"
    site = E0734
    listing = E0734_LISTING
    default_base_url = "http://www.e0734.com"


class SxrbSpider(AggregatorSpider):
    """山西新闻网 (news.sxrb.com): 2019 ``sxxww/xwpd`` and 2022–23 ``GB/<col>`` pages."""

    name = "sxrb"
    site = SXRB
    listing = SXRB_LISTING
    default_base_url = "http://news.sxrb.com"


class DezhouSpider(AggregatorSpider):
    """德州发布 items as the news portal (dzxw.net) reposts them."""

    name = "dezhou"
    site = DEZHOU
    listing = DEZHOU_LISTING
    default_base_url = "http://www.dzxw.net"
