"""The State Post Bureau CMS: ``scrapy crawl spb`` (national) and ``scrapy crawl <code>_spb``.

One spider class, :class:`BureauSpider`; each bureau of :data:`postcrawl.sites.bureaus.BUREAUS`
gets a generated subclass (``GdSpbSpider`` for ``gd_spb``), so a new bureau is a row there.

The spider discovers the site rather than trusting a table of paths (the page shapes are in
``docs/sites.md``):

1. the home page (``/``, following a redirect or a JavaScript stub) names the channel lists in
   its navigation: every ``…/common_list.shtml`` link on the site's host; a run within
   ``POSTCRAWL_REDISCOVER_DAYS`` of a complete discovery goes straight to the lists it found,
   and the row's prefix and channels are hints, used only when the home page yields no
   navigation (:mod:`postcrawl.spiders.discovery`);
2. each list page shows its ~10 newest rows (article requests) and a "more" link that names
   the channel's 32-hex id (this module: :meth:`BureauSpider.parse_list`);
3. the JSON search API, with that id, pages through the channel's whole history. Where the API
   does not answer JSON, the static rows stand, and the "more" page is read in case it lists
   rows itself (:mod:`postcrawl.spiders.searchapi`).

``-a channels=通知公告,c100061`` crawls only the channels with that label or code;
``-a channels=-统计信息`` all but those; by default every channel whose list holds articles.
What was discovered is counted in the stats (``postcrawl/discovery/…``), one entry per channel
in ``postcrawl/discovery/channel_list``; :meth:`ChannelDiscovery.channel_discovered
<postcrawl.spiders.discovery.ChannelDiscovery.channel_discovered>` is the one place that learns
each channel's outcome.

The date, title and source a list gives go with the article request as :class:`PageHints`; the
list date is the publication date on this CMS. Every article request goes through
:meth:`ArchiveSpider.article_request`, so the crawl frontier records it before it is fetched, and
a run first re-requests what an earlier run left pending (:meth:`ArchiveSpider.start`; the lists
come from :meth:`ChannelDiscovery.start_lists <postcrawl.spiders.discovery.ChannelDiscovery.start_lists>`).
URLs found on the site are mapped to the crawled root (a mirror's, with ``-a base_url=``) and
back by the spider's :class:`postcrawl.siteroots.SiteRoots`.

Each channel is one walk (:class:`postcrawl.spiders.listwalk.ListWalk`) with a stable key: a
channel with an API id is ``api:<channel id>`` (its list's static rows are that walk's first
page, the API pages follow), a list without one is ``list:<list path>`` (its pages, if it has
any), and a "more" page read after the API failed is ``list:<more path>``. Incremental by
default: an article URL the archive has seen is not fetched, and a walk stops paging only at a
page whose entries are all known and at or past the watermark of an earlier complete walk of
that key (so a list whose newest rows are all known still pages the API when its history was
never walked to the end); :meth:`BureauSpider.entry_requests` decides both. ``-a full=1`` pages
to the end and fetches everything; ``-a since=YYYY-MM-DD`` stops at entries older than that
day. A walk that ends (end of list, the API's total, caught up) records its watermark
(``walk.done()``). Failures (HTTP errors, empty 200 answers, unreadable lists) are counted,
listed in the run summary and stay pending in the crawl frontier, so the next run requests
them again first. A URL that redirects (HTTP 301, or a JavaScript stub) to an article is
recorded as one more URL of that article once it is archived. Old TRS article URLs
(``…/t20190510_….html``) are read like any other article.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, ClassVar
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from postcrawl.bureau_lists import (
    ListEntry,
    ListingError,
    ListPage,
    js_redirect_target,
    parse_list_page,
)
from postcrawl.extensions import note_failure
from postcrawl.extraction import PageHints
from postcrawl.sites import SITES
from postcrawl.sites.bureaus import BUREAUS, Bureau
from postcrawl.spiders.articles import BureauArticles
from postcrawl.spiders.base import ArchiveSpider, response_charset
from postcrawl.spiders.discovery import (
    DISCOVERY,
    MAX_STUB_HOPS,
    ChannelDiscovery,
    ChannelSelection,
    DiscoveredChannel,
)
from postcrawl.spiders.listwalk import ListWalk, PageVerdict
from postcrawl.spiders.searchapi import SearchApiPaging

logger = logging.getLogger(__name__)


class BureauSpider(ChannelDiscovery, SearchApiPaging, BureauArticles, ArchiveSpider):
    """A bureau site of the State Post Bureau CMS; subclasses only set :attr:`bureau`.

    Discovery, the search API and the article pages are mixins; this class reads the lists."""

    bureau: ClassVar[Bureau]
    arguments: ClassVar[frozenset[str]] = ArchiveSpider.arguments | {"channels"}

    def __init__(self, *args: Any, channels: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.selection = ChannelSelection.parse(channels)
        # Real list URL -> what was learnt about its channel.
        self.discovered: dict[str, DiscoveredChannel] = {}
        self._paged_ids: set[str] = set()

    # -- lists -----------------------------------------------------------------------------
    def list_request(
        self,
        url: str,
        channel: DiscoveredChannel,
        hops: int = 0,
        more: bool = False,
        walk: ListWalk | None = None,
    ) -> scrapy.Request:
        """A request for a channel's static list (*more*: its "more" page; *walk*: the walk a
        later page of the list continues, ``None`` for the list's first page)."""
        return scrapy.Request(
            url,
            callback=self.parse_list,
            errback=self.on_error,
            cb_kwargs={"channel": channel, "hops": hops, "more": more, "walk": walk},
        )

    def list_walk(self, url: str) -> ListWalk:
        """The walk of a static list (or "more" page) at *url*: ``list:<path>``, with the
        query when there is one (a more page names its channel there)."""
        parts = urlsplit(self.roots.real_url(url))
        return self.new_walk(f"list:{parts.path}" + (f"?{parts.query}" if parts.query else ""))

    def entry_requests(
        self, entries: Iterable[ListEntry], list_url: str, walk: ListWalk
    ) -> tuple[list[scrapy.Request], PageVerdict]:
        """Article requests for the listed entries still to fetch, and whether to page on
        (:meth:`ArchiveSpider.page_verdict`). Entries on other hosts are left out."""
        stats = self.crawler.stats
        on_site: list[tuple[str, ListEntry]] = []
        for entry in entries:
            url = self.roots.link(entry.url)
            if not self.roots.on_crawled_host(url):
                stats.inc_value("postcrawl/list/offsite")
                continue
            on_site.append((url, entry))
        wanted, verdict = self.page_verdict(
            walk, [(self.roots.real_url(url), entry.published) for url, entry in on_site]
        )
        requests = []
        for position in wanted:
            url, entry = on_site[position]
            hints = PageHints(entry.title, entry.published, entry.source, entry.author)
            requests.append(self.article_request(url, hints, list_url))
        stats.inc_value("postcrawl/list/new", len(requests))
        return requests, verdict

    def parse_list(
        self,
        response: Response,
        channel: DiscoveredChannel,
        hops: int = 0,
        more: bool = False,
        walk: ListWalk | None = None,
    ) -> Iterable[Any]:
        """A channel's list: its rows, then the API with the id its more-link names (the more
        page itself when there is no API to page); a list without an id pages on by itself."""
        stats = self.crawler.stats
        stats.inc_value("postcrawl/list/pages")
        target = js_redirect_target(response.body, response.url)
        if target is not None and hops < MAX_STUB_HOPS:
            stats.inc_value("postcrawl/list/js_redirect")
            yield self.list_request(self.roots.link(target), channel, hops + 1, more, walk)
            return
        try:
            listing = parse_list_page(response.body, response.url, response_charset(response))
        except ListingError as exc:
            note_failure(stats, self.roots.real_url(response.url), f"list page: {exc}")
            return
        if more:  # the API failed; the more page's own rows are all that is left
            walk = self.list_walk(channel.more_url or channel.list_url)
            yield from self._one_page_walk(response.url, listing, walk)
            return
        if walk is not None:  # a later page of a list without a channel id
            yield from self._list_page(response.url, listing, channel, walk)
            return
        if listing.more is not None:
            channel.channel_id = listing.more.channel_id
            channel.code = listing.more.code
            channel.more_url = self.roots.real_url(self.roots.link(listing.more.url))
            if not self.selection.wants({channel.code or ""} | {channel.label, *channel.codes}):
                stats.inc_value(f"{DISCOVERY}/deselected")
                channel.api = "deselected"
                return
        if not listing.entries and listing.more is None and not channel.channel_id:
            # A list without rows or a channel id holds no articles (an "about us" page).
            stats.inc_value(f"{DISCOVERY}/empty_lists")
            channel.api = "empty"
            return
        if not channel.channel_id:
            # No API to page: the list is a walk of its own, paged by its next link if any.
            walk = self.list_walk(channel.list_url)
            yield from self._list_page(response.url, listing, channel, walk)
            return
        api_walk = self.api_walk(channel)
        if api_walk is None:
            # Another list of the same channel walks its API: only this list's rows, a
            # one-page walk of its own.
            yield from self._one_page_walk(response.url, listing, self.list_walk(channel.list_url))
            return
        # The static rows are the first page of the channel's walk; the API pages the rest.
        requests, verdict = self.entry_requests(listing.entries, response.url, api_walk)
        yield from requests
        if verdict == "more" or (verdict == "end" and listing.more is not None):
            # More to walk (an empty list with a more-link: rows only on the API).
            yield self.api_request(channel, 1, 0, api_walk)
            return
        channel.api = "not needed"
        self.channel_discovered(channel)
        yield from api_walk.finish(verdict)

    def _one_page_walk(self, list_url: str, listing: ListPage, walk: ListWalk) -> Iterable[Any]:
        """A list page that is a whole walk of its own: its rows, then the walk's record."""
        requests, verdict = self.entry_requests(listing.entries, list_url, walk)
        yield from requests
        yield from walk.finish(verdict)

    def _list_page(
        self, list_url: str, listing: ListPage, channel: DiscoveredChannel, walk: ListWalk
    ) -> Iterable[Any]:
        """One page of a list walked by its own pages (no API): its rows, then its next page
        while the walk goes on; at the walk's end the channel is reported and the walk
        recorded."""
        requests, verdict = self.entry_requests(listing.entries, list_url, walk)
        yield from requests
        if verdict == "more" and listing.next_url:
            yield self.list_request(self.roots.link(listing.next_url), channel, walk=walk)
            return
        # Paged to the end of the list: no API; caught up (or past since=): none needed.
        channel.api = "none" if verdict in ("more", "end") else "not needed"
        self.channel_discovered(channel)
        yield from walk.finish(verdict)

    def on_error(self, failure: Failure) -> None:
        """As :meth:`ArchiveSpider.on_error`, naming why a request was refused before it was
        sent (``Forbidden by robots.txt``) rather than just ``IgnoreRequest``."""
        # HttpError is an IgnoreRequest too; the base names its status.
        if failure.check(IgnoreRequest) and not failure.check(HttpError) and str(failure.value):
            request = failure.request  # type: ignore[attr-defined]
            note_failure(self.crawler.stats, self.roots.real_url(request.url), str(failure.value))
            logger.info("not fetched: %s (%s)", request.url, failure.value)
            return
        super().on_error(failure)


def _spider_class(bureau: Bureau) -> type[BureauSpider]:
    """The spider of one bureau row: ``gd_spb`` → ``GdSpbSpider``."""
    name = bureau.spider_name
    class_name = "".join(part.capitalize() for part in name.split("_")) + "Spider"
    return type(
        class_name,
        (BureauSpider,),
        {
            "name": name,
            "bureau": bureau,
            "site": SITES[name],
            # Scrapy's spider loader lists classes whose __module__ is the module it imports.
            "__module__": __name__,
            "__qualname__": class_name,
            "__doc__": f"{bureau.display_name} ({bureau.domain}): ``scrapy crawl {name}``.",
        },
    )


BUREAU_SPIDERS: dict[str, type[BureauSpider]] = {b.spider_name: _spider_class(b) for b in BUREAUS}
globals().update({cls.__name__: cls for cls in BUREAU_SPIDERS.values()})
