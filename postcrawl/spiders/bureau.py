"""The State Post Bureau CMS: ``scrapy crawl spb`` (national) and ``scrapy crawl <code>_spb``.

One spider class, :class:`BureauSpider`; each bureau of :data:`postcrawl.sites.bureaus.BUREAUS`
gets a generated subclass (``GdSpbSpider`` for ``gd_spb``), so a new bureau is a row there.

The spider discovers the site rather than trusting a table of paths (the page shapes are in
``docs/sites.md``):

1. the home page (``/``, following a redirect or a JavaScript stub) names the channel lists in
   its navigation: every ``…/common_list.shtml`` link on the site's host;
2. each list page shows its ~10 newest rows (article requests) and a "more" link that names
   the channel's 32-hex id;
3. the JSON search API, with that id, pages through the channel's whole history. Where the API
   does not answer JSON, the static rows stand, and the "more" page is read in case it lists
   rows itself.

The row's prefix and channels are hints, used only when the home page yields no navigation.
``-a channels=通知公告,c100061`` crawls only the channels with that label or code;
``-a channels=-统计信息`` all but those; by default every channel whose list holds articles.
What was discovered is counted in the stats (``postcrawl/discovery/…``), one entry per channel
in ``postcrawl/discovery/channel_list``; :meth:`BureauSpider.channel_discovered` is the one place
that learns each channel's outcome.

The date, title and source a list gives go with the article request as :class:`PageHints`; the
list date is the publication date on this CMS. Every article request goes through
:meth:`ArchiveSpider.article_request`, so the crawl frontier records it before it is fetched, and
a run first re-requests what an earlier run left pending (:meth:`ArchiveSpider.start`; the home
page comes from :meth:`BureauSpider.start_lists`).

Each channel is one walk (:class:`postcrawl.spiders.listwalk.ListWalk`) with a stable key: a channel
with an API id is ``api:<channel id>`` (its list's static rows are that walk's first page, the
API pages follow), a list without one is ``list:<list path>`` (its pages, if it has any), and a
"more" page read after the API failed is ``list:<more path>``. Incremental by default: an article
URL the archive has seen is not fetched, and a walk stops paging only at a page whose entries
are all known and at or past the watermark of an earlier complete walk of that key (so a list
whose newest rows are all known still pages the API when its history was never walked to the
end); :meth:`BureauSpider.entry_requests` decides both. ``-a full=1`` pages to the end and
fetches everything; ``-a since=YYYY-MM-DD`` stops at entries older than that day. A walk that
ends (end of list, the API's total, caught up) records its watermark (``walk.done()``).
Failures (HTTP errors, empty 200 answers) are counted, listed in the run summary and stay
pending in the crawl frontier, so the next run requests them again first. A URL that redirects
(HTTP 301, or a JavaScript stub) to an article is recorded as one more URL of that article once
it is archived. Old TRS article URLs (``…/t20190510_….html``) are read like any other article.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
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
    api_url,
    channel_codes,
    discover_channels,
    js_redirect_target,
    parse_api_page,
    parse_list_page,
)
from postcrawl.extensions import note_failure
from postcrawl.extraction import PageHints
from postcrawl.items import SkippedPage
from postcrawl.sites import SITES
from postcrawl.sites.bureaus import BUREAUS, Bureau
from postcrawl.spiders.base import ALIASES_META, ArchiveSpider, failure_reason, response_charset
from postcrawl.spiders.listwalk import ListWalk, PageVerdict

logger = logging.getLogger(__name__)

# Redirect stubs followed in a row before the home page or a list is given up.
MAX_STUB_HOPS = 3
DISCOVERY = "postcrawl/discovery"


@dataclass
class DiscoveredChannel:
    """What the crawl learnt about one channel: its list, label, codes and API id, and whether
    the API answered (``api``: ``yes``, ``no`` when it failed, ``none`` without an id)."""

    list_url: str  # the real site's URL
    label: str
    codes: tuple[str, ...] = ()
    channel_id: str | None = None
    code: str | None = None  # the code the more-link names
    more_url: str | None = None  # the real site's URL
    api: str = "pending"
    # "navigation" (the home page named it), "hint" (from the row: the home page had none) or
    # "archive" (an earlier run's discovery, remembered in the archive)
    source: str = "navigation"

    def as_stat(self) -> dict[str, str | None]:
        return {
            "label": self.label,
            "list": self.list_url,
            "channel_id": self.channel_id,
            "code": self.code,
            "more": self.more_url,
            "api": self.api,
            "source": self.source,
        }


@dataclass(frozen=True)
class ChannelSelection:
    """``-a channels=``: labels or codes to include, and (prefixed ``-``) to exclude."""

    include: frozenset[str] = frozenset()
    exclude: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, value: str | None) -> ChannelSelection:
        terms = [t.strip() for t in (value or "").replace("，", ",").split(",") if t.strip()]
        include = {t for t in terms if not t.startswith("-")}
        exclude = {t[1:].strip() for t in terms if t.startswith("-") and t[1:].strip()}
        return cls(frozenset(include), frozenset(exclude))

    def wants(self, names: Iterable[str]) -> bool:
        """Whether a channel known by *names* (its label and codes) is to be crawled."""
        names = {n for n in names if n}
        if names & self.exclude:
            return False
        return not self.include or bool(names & self.include)


class BureauSpider(ArchiveSpider):
    """A bureau site of the State Post Bureau CMS; subclasses only set :attr:`bureau`."""

    bureau: ClassVar[Bureau]
    arguments: ClassVar[frozenset[str]] = ArchiveSpider.arguments | {"channels"}

    def __init__(self, *args: Any, channels: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.selection = ChannelSelection.parse(channels)
        # Real list URL -> what was learnt about its channel.
        self.discovered: dict[str, DiscoveredChannel] = {}
        self._paged_ids: set[str] = set()

    # -- discovery: the home page ----------------------------------------------------------
    async def start_lists(self) -> AsyncIterator[scrapy.Request]:
        """The channel lists an earlier run discovered, while that discovery is fresher than
        ``POSTCRAWL_REDISCOVER_DAYS`` (one request per channel); else the home page, whose
        navigation names them. (Pending article URLs of the frontier came first, from
        :meth:`ArchiveSpider.start`.)"""
        for request in self._remembered_lists():
            yield request
        if not self.discovered:
            yield self.home_request(self.roots.fetch("/"), 0)

    def _remembered_lists(self) -> Iterable[scrapy.Request]:
        """List requests for the channels stored by an earlier run's discovery, if fresh."""
        days = self.crawler.settings.getfloat("POSTCRAWL_REDISCOVER_DAYS", 7.0)
        if self.full or self.frontier is None or days <= 0:
            return
        stored, when = self.frontier.channels(self.site.name)
        if not stored or when is None:
            return
        age = datetime.now(UTC) - datetime.fromisoformat(when.replace("Z", "+00:00"))
        if age > timedelta(days=days):
            return
        self.crawler.stats.set_value(f"{DISCOVERY}/remembered", len(stored))
        for found in stored:
            url = str(found["list"])
            channel = DiscoveredChannel(
                url, str(found.get("label") or ""), channel_codes(url), source="archive"
            )
            yield from self._list_start(channel)

    def home_request(self, url: str, hops: int) -> scrapy.Request:
        """A request for the home page (*hops*: redirect stubs followed so far)."""
        return scrapy.Request(
            url,
            callback=self.parse_home,
            errback=self.on_home_error,
            cb_kwargs={"hops": hops},
            dont_filter=True,
        )

    def parse_home(self, response: Response, hops: int = 0) -> Iterable[scrapy.Request]:
        """The home page: one list request per channel its navigation names."""
        stats = self.crawler.stats
        target = js_redirect_target(response.body, response.url)
        if target is not None and hops < MAX_STUB_HOPS:
            yield self.home_request(self.roots.link(target), hops + 1)
            return
        try:
            links = discover_channels(response.body, response.url, response_charset(response))
        except ListingError as exc:
            links = []
            logger.warning("home page %s unreadable: %s", response.url, exc)
        if not links:
            yield from self._hinted_lists("no navigation on the home page")
            return
        stats.set_value(f"{DISCOVERY}/navigation_lists", len(links))
        for found in links:
            channel = DiscoveredChannel(
                self.roots.real_url(self.roots.link(found.url)), found.label, found.codes
            )
            yield from self._list_start(channel)

    def on_home_error(self, failure: Failure) -> Iterable[scrapy.Request]:
        """The home page failed for good: the row's hints are all there is."""
        yield from self._hinted_lists(f"home page failed ({failure_reason(failure)})")

    def _hinted_lists(self, why: str) -> Iterable[scrapy.Request]:
        """The row's channel hints, used when the home page names no channel."""
        self.crawler.stats.inc_value(f"{DISCOVERY}/hints_used")
        logger.warning("%s: %s; trying the row's channel hints", self.name, why)
        for hint in self.bureau.hint_channels:
            if hint.path:
                url = self.roots.real + self.bureau.list_path(hint)
                channel = DiscoveredChannel(
                    url, hint.label, channel_codes(url), hint.api_id, source="hint"
                )
                yield from self._list_start(channel)
            elif hint.api_id and self.selection.wants({hint.label}):
                # Known only by its API id: page the API directly.
                channel = DiscoveredChannel(
                    f"api:{hint.api_id}", hint.label, (), hint.api_id, source="hint"
                )
                self.discovered[channel.list_url] = channel
                walk = self._api_walk(channel)
                if walk is not None:
                    yield self.api_request(channel, 1, 0, walk)

    def _list_start(self, channel: DiscoveredChannel) -> Iterable[scrapy.Request]:
        if channel.list_url in self.discovered:
            return
        if not self.selection.wants({channel.label, *channel.codes}):
            self.crawler.stats.inc_value(f"{DISCOVERY}/deselected")
            return
        self.discovered[channel.list_url] = channel
        yield self.list_request(self.roots.link(channel.list_url), channel)

    def channel_discovered(self, channel: DiscoveredChannel) -> None:
        """The one hook for what discovery learnt: called once per channel whose list holds
        articles, when its API outcome is known. It writes the stats, from which
        :class:`postcrawl.extensions.DiscoveryRecorder` keeps the channels in the archive."""
        stats = self.crawler.stats
        stats.inc_value(f"{DISCOVERY}/channels")
        if channel.api == "yes":
            stats.inc_value(f"{DISCOVERY}/api_ok")
        elif channel.api == "no":
            stats.inc_value(f"{DISCOVERY}/api_fallback")
        listed: list[dict[str, str | None]] = stats.get_value(f"{DISCOVERY}/channel_list") or []
        listed.append(channel.as_stat())
        stats.set_value(f"{DISCOVERY}/channel_list", listed)

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
            requests, verdict = self.entry_requests(listing.entries, response.url, walk)
            yield from requests
            if verdict != "since" and (done := walk.done()) is not None:
                yield done
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
        api_walk = self._api_walk(channel)
        if api_walk is None:
            # Another list of the same channel walks its API: only this list's rows, a
            # one-page walk of its own.
            walk = self.list_walk(channel.list_url)
            requests, verdict = self.entry_requests(listing.entries, response.url, walk)
            yield from requests
            if verdict != "since" and (done := walk.done()) is not None:
                yield done
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
        if verdict != "since" and (done := api_walk.done()) is not None:
            yield done

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
        if verdict != "since" and (done := walk.done()) is not None:
            yield done

    # -- the search API --------------------------------------------------------------------
    def _api_walk(self, channel: DiscoveredChannel) -> ListWalk | None:
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
        elif verdict != "since" and (done := walk.done()) is not None:
            yield done

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

    # -- articles --------------------------------------------------------------------------
    def parse_article(
        self, response: Response, hints: PageHints, list_url: str | None = None
    ) -> Iterable[Any]:
        """An article page: empty answers fail, JS stubs are followed, the rest is an item."""
        if not response.body.strip():
            self.crawler.stats.inc_value("postcrawl/spider/empty")
            note_failure(self.crawler.stats, self.roots.real_url(response.url), "empty 200 answer")
            return
        target = js_redirect_target(response.body, response.url)
        if target is not None:
            self.crawler.stats.inc_value("postcrawl/spider/js_redirect")
            yield from self._follow_stub(response, target, hints, list_url)
            return
        # Redirects that led here travel with the item (FetchedPage.aliases). A document-disclosure page's issuer (发布机构) is read by the extractor from
        # `.content-head`, with the rest of the page: no second parse here.
        yield from super().parse_article(response, hints, list_url)

    def _follow_stub(
        self,
        response: Response,
        target: str,
        hints: PageHints,
        list_url: str | None,
    ) -> Iterable[scrapy.Request | SkippedPage]:
        stub_url = self.roots.real_url(response.url)
        target_url = self.roots.link(target)
        if self.is_known(target_url):
            # The article is archived already: the stub is a page without an article, which
            # the store step records so it is not fetched again.
            reason = f"redirect stub to {self.roots.real_url(target_url)}"
            yield SkippedPage(stub_url, self.site.name, reason)
            return
        request = self.article_request(target_url, hints, list_url)
        request.meta[ALIASES_META] = sorted(
            {stub_url, *self.aliases_of(response.request, stub_url)}
        )
        yield request


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
