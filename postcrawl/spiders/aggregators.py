"""Spiders for the sites that repost bureau news: one shared list crawler.

:class:`AggregatorSpider` walks a site's :class:`postcrawl.sites.aggregators.Listing` (list
pages, rows, pager) and requests each article the archive has not seen; every row of
:data:`postcrawl.sites.aggregators.AGGREGATOR_ROWS` gets a generated subclass (``scrapy crawl
sxrb``), so a new site is a row, not a copied class. Which articles are kept (the topic filter)
and how a repost joins its original (near-duplicate detection) are pipeline steps.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import scrapy
from scrapy.http import Response

from postcrawl.chinese_text import clean_line
from postcrawl.dates import find_datetime
from postcrawl.extraction import PageHints
from postcrawl.sites.aggregators import AGGREGATOR_ROWS, Aggregator, Listing
from postcrawl.spiders.base import ArchiveSpider
from postcrawl.spiders.listwalk import ListWalk

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
            yield self.list_request(self.roots.fetch(path), 1, self.new_walk(path))

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
        next_url = self._next_page(response, page) if verdict == "more" else None
        if next_url and page < self.listing.max_pages:
            yield self.list_request(next_url, page + 1, walk)
            return
        # The end of the list, caught up, or max_pages (as deep as this site is walked).
        yield from walk.finish(verdict)

    def _row_entry(self, response: Response, row: Any) -> tuple[str, PageHints, str | None] | None:
        """The real article URL of a list row, its title as a hint, and the listed date.

        The listed date is only used for ``since``: these lists give the day, while the
        article page's meta line gives the time too, so it is not passed as a hint (hints
        outrank the page)."""
        for link in row.css("a[href]"):
            absolute = urljoin(response.url, link.attrib["href"].strip())
            url = self.roots.real_url(absolute)
            if not self._article_path.match(path_and_query(url)):
                continue
            title = clean_line(" ".join(link.css("::text").getall())) or None
            published = find_datetime(" ".join(row.css("::text").getall()))
            return url, PageHints(title=title), published
        return None

    def _next_page(self, response: Response, page: int) -> str | None:
        """The pager's next link, else (a CMS that numbers pages in the query) the same list
        with the page parameter one higher."""
        wanted = {t.lower() for t in self.listing.next_texts}
        for css in self.listing.next_page:
            for link in response.css(css):
                text = clean_line(" ".join(link.css("::text").getall())).lower()
                href = link.attrib.get("href", "").strip()
                if text in wanted and href and not href.startswith("javascript"):
                    return urljoin(response.url, href)
        if self.listing.page_param:
            return with_query_param(response.url, self.listing.page_param, str(page + 1))
        return None


def with_query_param(url: str, name: str, value: str) -> str:
    """*url* with the query parameter *name* set to *value* (appended when absent)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != name]
    query.append((name, value))
    return urlunsplit(parts._replace(query=urlencode(query)))


def _spider_class(row: Aggregator) -> type[AggregatorSpider]:
    """The spider of one aggregator row: ``sxrb`` → ``SxrbSpider``."""
    class_name = row.name.capitalize() + "Spider"
    return type(
        class_name,
        (AggregatorSpider,),
        {
            "name": row.name,
            "site": row.site,
            "listing": row.listing,
            "default_base_url": row.base_url,
            # Scrapy's spider loader lists classes whose __module__ is the module it imports.
            "__module__": __name__,
            "__qualname__": class_name,
            "__doc__": row.summary,
        },
    )


AGGREGATOR_SPIDERS: dict[str, type[AggregatorSpider]] = {
    row.name: _spider_class(row) for row in AGGREGATOR_ROWS
}
globals().update({cls.__name__: cls for cls in AGGREGATOR_SPIDERS.values()})
