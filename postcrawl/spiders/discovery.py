"""How a bureau spider finds its channels: the home page's navigation, the channels an earlier
run found, or the row's hints (:class:`ChannelDiscovery`, a mixin of
:class:`postcrawl.spiders.bureau.BureauSpider`).

1. A run first goes to the channel lists an earlier complete discovery found (kept in the
   archive's frontier), one request per channel, while that discovery is fresher than
   ``POSTCRAWL_REDISCOVER_DAYS``;
2. else it reads the home page (``/``, following a redirect or a JavaScript stub), whose
   navigation names the channel lists: every ``…/common_list.shtml`` link on the site's host
   (:func:`postcrawl.bureau_lists.discover_channels`);
3. when the home page fails or names none, the row's prefix and channels are the hints
   (:attr:`postcrawl.sites.bureaus.Bureau.hint_channels`).

Each channel becomes a :class:`DiscoveredChannel`, once per list URL, when ``-a channels=``
(:class:`ChannelSelection`) wants it. What was discovered is counted in the stats
(``postcrawl/discovery/…``), one entry per channel in ``postcrawl/discovery/channel_list``;
:meth:`ChannelDiscovery.channel_discovered` is the one place that learns each channel's outcome
(:class:`postcrawl.extensions.DiscoveryRecorder` keeps the channels in the archive from there).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from postcrawl.bureau_lists import (
    ListingError,
    channel_codes,
    discover_channels,
    js_redirect_target,
)
from postcrawl.frontier import Frontier
from postcrawl.siteroots import SiteRoots
from postcrawl.sites import Site
from postcrawl.sites.bureaus import Bureau
from postcrawl.spiders.base import failure_reason, response_charset

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


class ChannelDiscovery:
    """The discovery of a bureau site's channels, from :meth:`start_lists` to one list request
    per channel (or, for a channel known only by its API id, its first API page). The spider
    sets the attributes below and provides ``list_request``, ``api_walk`` and
    ``api_request``."""

    name: str
    site: Site
    bureau: ClassVar[Bureau]
    roots: SiteRoots
    full: bool
    frontier: Frontier | None
    crawler: Any  # scrapy.crawler.Crawler
    selection: ChannelSelection
    # Real list URL -> what was learnt about its channel.
    discovered: dict[str, DiscoveredChannel]

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
                walk = self.api_walk(channel)
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
