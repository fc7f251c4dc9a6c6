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
list date is the publication date on this CMS. Incremental by default: an article URL the
archive has seen is not fetched, and a channel stops paging at the first list or API page whose
entries are all known (``-a full=1`` pages to the end and fetches everything; ``-a
since=YYYY-MM-DD`` stops at entries older than that day); :meth:`BureauSpider.entry_requests`
decides both. Failures (HTTP errors, empty 200 answers) are counted, listed in the run summary
and not marked seen, so the next run tries them again. A URL that redirects (HTTP 301, or a
JavaScript stub) to an article is recorded as one more URL of that article once it is archived.
Old TRS article URLs (``…/t20190510_….html``) are read like any other article.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

import scrapy
from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from postcrawl.bureau_lists import (
    ListEntry,
    api_url,
    channel_codes,
    discover_channels,
    js_redirect_target,
    parse_api_page,
    parse_list_page,
)
from postcrawl.extensions import note_failure
from postcrawl.extraction import ExtractionError, PageHints
from postcrawl.items import ArticleItem
from postcrawl.pipelines import archive_for, to_extracted
from postcrawl.sites import SITES
from postcrawl.sites.bureaus import BUREAUS, Bureau
from postcrawl.spiders.base import ArchiveSpider, failure_reason, response_charset

logger = logging.getLogger(__name__)

# Request meta: real-site URLs that led to this request without being the article (JS stubs).
ALIASES_META = "postcrawl_aliases"
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
    source: str = "navigation"  # or "hint": from the row, the home page had no navigation

    def as_stat(self) -> dict[str, str | None]:
        return {
            "label": self.label,
            "list": self.list_url,
            "channel_id": self.channel_id,
            "code": self.code,
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

    def __init__(self, *args: Any, channels: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.selection = ChannelSelection.parse(channels)
        # Canonical article URL -> other real URLs that led to it (redirects, JS stubs).
        self._aliases: dict[str, set[str]] = {}
        # Real list URL -> what was learnt about its channel.
        self.discovered: dict[str, DiscoveredChannel] = {}
        self._paged_ids: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> BureauSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        assert isinstance(spider, BureauSpider)
        crawler.signals.connect(spider._item_done, signal=signals.item_scraped)
        crawler.signals.connect(spider._item_done, signal=signals.item_dropped)
        return spider

    # -- URLs ------------------------------------------------------------------------------
    def link(self, url: str) -> str:
        """The URL to fetch for a link found on the site (or its mirror). The site's own
        ``http://`` links (the API returns them) go straight to its scheme, saving the 301."""
        parts = urlsplit(url)
        real = urlsplit(self.real_base_url)
        if parts.hostname == real.hostname:
            url = urlunsplit((real.scheme, real.netloc, parts.path, parts.query, ""))
        else:
            url = urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))
        return self.fetch_url(url)

    def on_site(self, fetch_url: str) -> bool:
        """Whether a fetch URL is on the crawled host (lists link to other bureaus too)."""
        return urlsplit(fetch_url).hostname == urlsplit(self.base_url).hostname

    # -- discovery: the home page ----------------------------------------------------------
    async def start(self) -> AsyncIterator[scrapy.Request]:
        """The home page; the channels come from its navigation."""
        yield self.home_request(self.url("/"), 0)

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
            yield self.home_request(self.link(target), hops + 1)
            return
        try:
            links = discover_channels(response.body, response.url, response_charset(response))
        except ExtractionError as exc:
            links = []
            logger.warning("home page %s unreadable: %s", response.url, exc)
        if not links:
            yield from self._hinted_lists("no navigation on the home page")
            return
        stats.set_value(f"{DISCOVERY}/navigation_lists", len(links))
        for found in links:
            channel = DiscoveredChannel(
                self.canonical(self.link(found.url)), found.label, found.codes
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
                url = self.real_base_url + self.bureau.list_path(hint)
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
                yield from self._api_start(channel)

    def _list_start(self, channel: DiscoveredChannel) -> Iterable[scrapy.Request]:
        if channel.list_url in self.discovered:
            return
        if not self.selection.wants({channel.label, *channel.codes}):
            self.crawler.stats.inc_value(f"{DISCOVERY}/deselected")
            return
        self.discovered[channel.list_url] = channel
        yield self.list_request(self.link(channel.list_url), channel)

    def channel_discovered(self, channel: DiscoveredChannel) -> None:
        """The one hook for what discovery learnt: called once per channel whose list holds
        articles, when its API outcome is known. Today it writes the stats; persisting the
        discovery in the archive belongs here."""
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
        self, url: str, channel: DiscoveredChannel, hops: int = 0, more: bool = False
    ) -> scrapy.Request:
        """A request for a channel's static list (*more*: its "more" page)."""
        return scrapy.Request(
            url,
            callback=self.parse_list,
            errback=self.on_error,
            cb_kwargs={"channel": channel, "hops": hops, "more": more},
        )

    def entry_requests(
        self, entries: Iterable[ListEntry], list_url: str
    ) -> tuple[list[scrapy.Request], bool]:
        """Article requests for the listed entries still to fetch, and whether the list is worth
        paging on: not when every entry was known (incremental) or older than ``since``."""
        stats = self.crawler.stats
        requests: list[scrapy.Request] = []
        listed = known = too_old = 0
        for entry in entries:
            url = self.link(entry.url)
            if not self.on_site(url):
                stats.inc_value("postcrawl/list/offsite")
                continue
            listed += 1
            if self.too_old(entry.published):
                too_old += 1
                continue
            if self.is_known(url):
                known += 1
                continue
            hints = PageHints(entry.title, entry.published, entry.source, entry.author)
            requests.append(self.article_request(url, hints, list_url))
        stats.inc_value("postcrawl/list/entries", listed)
        stats.inc_value("postcrawl/list/known", known)
        stats.inc_value("postcrawl/list/too_old", too_old)
        stats.inc_value("postcrawl/list/new", len(requests))
        if listed == 0 or too_old == listed:
            return requests, False
        if not self.full and not requests and known + too_old == listed:
            stats.inc_value("postcrawl/list/stopped_at_known")
            return requests, False
        return requests, True

    def parse_list(
        self, response: Response, channel: DiscoveredChannel, hops: int = 0, more: bool = False
    ) -> Iterable[scrapy.Request]:
        """A channel's list: its rows, then the API with the id its more-link names (the more
        page itself when there is no API to page)."""
        stats = self.crawler.stats
        stats.inc_value("postcrawl/list/pages")
        target = js_redirect_target(response.body, response.url)
        if target is not None and hops < MAX_STUB_HOPS:
            stats.inc_value("postcrawl/list/js_redirect")
            yield self.list_request(self.link(target), channel, hops + 1, more)
            return
        try:
            listing = parse_list_page(response.body, response.url, response_charset(response))
        except ExtractionError as exc:
            note_failure(stats, self.canonical(response.url), f"list page: {exc}")
            return
        if more:  # the API failed; the more page's own rows are all that is left
            requests, _ = self.entry_requests(listing.entries, response.url)
            yield from requests
            return
        if listing.more is not None:
            channel.channel_id = listing.more.channel_id
            channel.code = listing.more.code
            channel.more_url = self.canonical(self.link(listing.more.url))
            if not self.selection.wants({channel.code or ""} | {channel.label, *channel.codes}):
                stats.inc_value(f"{DISCOVERY}/deselected")
                channel.api = "deselected"
                return
        if not listing.entries and listing.more is None and not channel.channel_id:
            # A list without rows or a channel id holds no articles (an "about us" page).
            stats.inc_value(f"{DISCOVERY}/empty_lists")
            channel.api = "empty"
            return
        requests, worth_paging = self.entry_requests(listing.entries, response.url)
        yield from requests
        if channel.channel_id and channel.channel_id in self._paged_ids:
            return  # another list of the same channel pages it already
        if not listing.entries and listing.more is not None:
            worth_paging = True  # rows only on the API
        if not worth_paging:
            channel.api = "not needed"
            self.channel_discovered(channel)
            return
        if channel.channel_id:
            yield from self._api_start(channel)
        elif listing.next_url:
            yield self.list_request(self.link(listing.next_url), channel, hops)
        else:
            channel.api = "none"
            self.channel_discovered(channel)

    # -- the search API --------------------------------------------------------------------
    def _api_start(self, channel: DiscoveredChannel) -> Iterable[scrapy.Request]:
        assert channel.channel_id is not None
        if channel.channel_id in self._paged_ids:
            return
        self._paged_ids.add(channel.channel_id)
        yield self.api_request(channel, 1, 0)

    def api_request(self, channel: DiscoveredChannel, page: int, counted: int) -> scrapy.Request:
        """A request for page *page* of a channel's JSON search API."""
        assert channel.channel_id is not None
        return scrapy.Request(
            api_url(self.base_url, channel.channel_id, page),
            callback=self.parse_api,
            errback=self.on_api_error,
            cb_kwargs={"channel": channel, "page": page, "counted": counted},
        )

    def parse_api(
        self, response: Response, channel: DiscoveredChannel, page: int, counted: int
    ) -> Iterable[scrapy.Request]:
        """One API page: its article requests, then the next page until ``data.total``."""
        stats = self.crawler.stats
        stats.inc_value("postcrawl/api/pages")
        try:
            result = parse_api_page(response.body, response.url)
        except ExtractionError as exc:
            yield from self._api_failed(channel, page, response.url, str(exc))
            return
        if page == 1:
            channel.api = "yes"
            self.channel_discovered(channel)
        requests, more = self.entry_requests(result.entries, response.url)
        yield from requests
        counted += len(result.entries)
        if more and result.entries and counted < result.total:
            yield self.api_request(channel, page + 1, counted)

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
            note_failure(self.crawler.stats, self.canonical(url), f"search API: {reason}")
            return
        self.crawler.stats.inc_value("postcrawl/api/fallback")
        logger.warning("search API failed (%s) for %s; keeping the static rows", reason, url)
        channel.api = "no"
        self.channel_discovered(channel)
        # The list's static rows are requested already; the more page may list older ones.
        if channel.more_url:
            yield self.list_request(self.link(channel.more_url), channel, more=True)
        elif channel.source == "hint" and channel.list_url.startswith("http"):
            yield self.list_request(self.link(channel.list_url), channel, more=True)

    def on_error(self, failure: Failure) -> None:
        """As :meth:`ArchiveSpider.on_error`, naming why a request was refused before it was
        sent (``Forbidden by robots.txt``) rather than just ``IgnoreRequest``."""
        # HttpError is an IgnoreRequest too; the base names its status.
        if failure.check(IgnoreRequest) and not failure.check(HttpError) and str(failure.value):
            request = failure.request  # type: ignore[attr-defined]
            note_failure(self.crawler.stats, self.canonical(request.url), str(failure.value))
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
            note_failure(self.crawler.stats, self.canonical(response.url), "empty 200 answer")
            return
        aliases = {self.canonical(u) for u in response.request.meta.get("redirect_urls", [])}
        aliases |= set(response.request.meta.get(ALIASES_META, ()))
        target = js_redirect_target(response.body, response.url)
        if target is not None:
            self.crawler.stats.inc_value("postcrawl/spider/js_redirect")
            yield from self._follow_stub(response, target, hints, list_url, aliases)
            return
        url = self.canonical(response.url)
        aliases.discard(url)
        if aliases:
            self._aliases.setdefault(url, set()).update(aliases)
        # A document-disclosure page's issuer (发布机构) is read by the extractor from
        # `.content-head`, with the rest of the page: no second parse here.
        yield from super().parse_article(response, hints, list_url)

    def _follow_stub(
        self,
        response: Response,
        target: str,
        hints: PageHints,
        list_url: str | None,
        aliases: set[str],
    ) -> Iterable[scrapy.Request]:
        stub_url = self.canonical(response.url)
        target_url = self.link(target)
        if self.is_known(target_url):
            # The article is archived already: the stub is a page without an article.
            archive_for(self.crawler).record_skip(
                stub_url, self.site.name, f"redirect stub to {self.canonical(target_url)}"
            )
            return
        request = self.article_request(target_url, hints, list_url)
        request.meta[ALIASES_META] = sorted(aliases | {stub_url})
        yield request

    def _item_done(self, item: Any, **_: Any) -> None:
        """Once an article is archived (or found a duplicate), record the URLs that redirected
        to it, so the next run knows them."""
        if not isinstance(item, ArticleItem):
            return
        aliases = self._aliases.pop(item.url, set())
        if not aliases or not item.path or not item.body_hash:
            return
        archive = archive_for(self.crawler)
        article = to_extracted(ItemAdapter(item))
        for alias in sorted(aliases):
            archive.add_sighting(
                dataclasses.replace(article, url=alias),
                crawled_at=item.fetched_at,
                official=self.site.official,
                relation="redirect",
            )
            self.crawler.stats.inc_value("postcrawl/spider/redirect_aliases")


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
