"""Paging a bureau channel's whole history through the CMS's JSON search API
(:class:`SearchApiPaging`, a mixin of :class:`postcrawl.spiders.bureau.BureauSpider`).

A channel whose list's "more" link names its 32-hex id is one walk, ``api:<channel id>``: the
list's static rows are its first page, then ``/common/search/<channel id>?…&page=N`` pages on
(:func:`postcrawl.bureau_lists.api_url`) until the count reaches ``data.total``, a page is
empty, or the walk is caught up (:meth:`postcrawl.spiders.listwalk.ListWalking.page_verdict`).
Only one list per channel walks its API in a run. Where the first API page fails (an HTTP error,
an answer that is not the API's JSON) the list's static rows stand and its "more" page is read
in case it lists older rows itself; a later page that fails is a counted failure.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from postcrawl.bureau_lists import ListingError, api_url, parse_api_page
from postcrawl.extensions import note_failure
from postcrawl.siteroots import SiteRoots
from postcrawl.spiders.base import failure_reason
from postcrawl.spiders.discovery import DiscoveredChannel
from postcrawl.spiders.listwalk import ListWalk

logger = logging.getLogger(__name__)


class SearchApiPaging:
    """The search-API walk of a channel. The spider sets the attributes below and provides
    ``new_walk`` (:class:`postcrawl.spiders.listwalk.ListWalking`), ``entry_requests``,
    ``list_request`` and ``channel_discovered``."""

    roots: SiteRoots
    crawler: Any  # scrapy.crawler.Crawler
    # Channel ids whose API a list of this run walks already.
    _paged_ids: set[str]

    def api_walk(self, channel: DiscoveredChannel) -> ListWalk | None:
        """The walk ``api:<channel id>`` of a channel, or ``None`` when another list of the same
        channel walks it already in this run."""
        assert channel.channel_id is not None
        if channel.channel_id in self._paged_ids:
            return None
        self._paged_ids.add(channel.channel_id)
        return self.new_walk(f"api:{channel.channel_id}")

    def api_request(
        self, channel: DiscoveredChannel, page: int, counted: int, walk: ListWalk
    ) -> scrapy.Request:
        """A request for page *page* of a channel's JSON search API."""
        assert channel.channel_id is not None
        return scrapy.Request(
            api_url(self.roots.crawled, channel.channel_id, page),
            callback=self.parse_api,
            errback=self.on_api_error,
            cb_kwargs={"channel": channel, "page": page, "counted": counted, "walk": walk},
        )

    def parse_api(
        self,
        response: Response,
        channel: DiscoveredChannel,
        page: int,
        counted: int,
        walk: ListWalk,
    ) -> Iterable[Any]:
        """One API page: its article requests, then the next page until ``data.total``."""
        stats = self.crawler.stats
        stats.inc_value("postcrawl/api/pages")
        try:
            result = parse_api_page(response.body, response.url)
        except ListingError as exc:
            yield from self._api_failed(channel, page, response.url, str(exc))
            return
        if page == 1:
            channel.api = "yes"
            self.channel_discovered(channel)
        requests, verdict = self.entry_requests(result.entries, response.url, walk)
        yield from requests
        counted += len(result.entries)
        if verdict == "more" and counted < result.total:
            yield self.api_request(channel, page + 1, counted, walk)
        else:
            yield from walk.finish(verdict)

    def on_api_error(self, failure: Failure) -> Iterable[scrapy.Request]:
        """The API failed for good: page 1 falls back to the more page; later pages count."""
        request = failure.request  # type: ignore[attr-defined]
        kwargs = request.cb_kwargs
        reason = failure_reason(failure)
        yield from self._api_failed(kwargs["channel"], kwargs["page"], request.url, reason)

    def _api_failed(
        self, channel: DiscoveredChannel, page: int, url: str, reason: str
    ) -> Iterable[scrapy.Request]:
        if page != 1:
            note_failure(self.crawler.stats, self.roots.real_url(url), f"search API: {reason}")
            return
        self.crawler.stats.inc_value("postcrawl/api/fallback")
        logger.warning("search API failed (%s) for %s; keeping the static rows", reason, url)
        channel.api = "no"
        self.channel_discovered(channel)
        # The list's static rows are requested already; the more page may list older ones.
        if channel.more_url:
            yield self.list_request(self.roots.link(channel.more_url), channel, more=True)
        elif channel.source == "hint" and channel.list_url.startswith("http"):
            yield self.list_request(self.roots.link(channel.list_url), channel, more=True)
