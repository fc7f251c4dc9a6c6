"""The State Post Bureau CMS: ``scrapy crawl spb`` (national) and ``scrapy crawl <code>_spb``.

One spider class, :class:`BureauSpider`; each bureau of :data:`postcrawl.sites.bureaus.BUREAUS`
gets a generated subclass (``GdSpbSpider`` for ``gd_spb``), so a new bureau is a row there.

Per channel of the row the spider reads the JSON search API when the channel has an ``api_id``
(falling back to the static list when the API does not answer JSON), else the static
``common_list.shtml`` pages (see :mod:`postcrawl.bureau_lists` for the pagination assumption).
The date, title and source a list gives go with the article request as :class:`PageHints`;
the list date is the publication date on this CMS.

Incremental by default: an article URL the archive has seen is not fetched, and a list stops
paging at the first page whose entries are all known and at or past the watermark of an earlier
complete walk (:class:`postcrawl.spiders.base.ListWalk`; ``-a full=1`` pages to the end and
fetches everything; ``-a since=YYYY-MM-DD`` stops at pages older than that day). Failures (HTTP
errors, empty 200 answers) are counted, listed in the run summary and stay pending in the crawl
frontier, so the next run requests them again first. A URL that redirects (HTTP 301, or a JavaScript stub) to an article is recorded
as one more URL of that article once it is archived, so it is not fetched again either.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator, Iterable
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
    js_redirect_target,
    parse_api_page,
    parse_list_page,
)
from postcrawl.extensions import note_failure
from postcrawl.extraction import ExtractionError, PageHints
from postcrawl.items import ArticleItem
from postcrawl.pipelines import archive_for, to_extracted
from postcrawl.sites import SITES
from postcrawl.sites.bureaus import BUREAUS, Bureau, Channel
from postcrawl.spiders.base import (
    ArchiveSpider,
    ListWalk,
    PageVerdict,
    failure_reason,
    response_charset,
)

logger = logging.getLogger(__name__)

# Request meta: real-site URLs that led to this request without being the article (JS stubs).
ALIASES_META = "postcrawl_aliases"


class BureauSpider(ArchiveSpider):
    """A bureau site of the State Post Bureau CMS; subclasses only set :attr:`bureau`."""

    bureau: ClassVar[Bureau]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Canonical article URL -> other real URLs that led to it (redirects, JS stubs).
        self._aliases: dict[str, set[str]] = {}

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

    # -- start -----------------------------------------------------------------------------
    async def start_lists(self) -> AsyncIterator[scrapy.Request]:
        """One request per channel: its API page 1 where it has an ``api_id``, else its list."""
        for channel in self.bureau.channels:
            if channel.api_id:
                yield self.api_request(channel, 1, 0, self.new_walk(f"api:{channel.api_id}"))
            else:
                yield self.list_request(
                    self.url(self.bureau.list_path(channel)),
                    channel,
                    1,
                    self.new_walk(f"list:{channel.path}"),
                )

    def list_request(
        self, url: str, channel: Channel, page: int, walk: ListWalk
    ) -> scrapy.Request:
        """A request for page *page* of a channel's static list."""
        return scrapy.Request(
            url,
            callback=self.parse_list,
            errback=self.on_error,
            cb_kwargs={"channel": channel, "page": page, "walk": walk},
        )

    def api_request(
        self, channel: Channel, page: int, counted: int, walk: ListWalk
    ) -> scrapy.Request:
        """A request for page *page* of a channel's JSON search API."""
        assert channel.api_id is not None
        return scrapy.Request(
            api_url(self.base_url, channel.api_id, page),
            callback=self.parse_api,
            errback=self.on_api_error,
            cb_kwargs={"channel": channel, "page": page, "counted": counted, "walk": walk},
        )

    # -- lists -----------------------------------------------------------------------------
    def entry_requests(
        self, entries: Iterable[ListEntry], list_url: str, walk: ListWalk
    ) -> tuple[list[scrapy.Request], PageVerdict]:
        """Article requests for the listed entries still to fetch, and whether to page on
        (:meth:`ArchiveSpider.page_verdict`). Entries on other hosts are left out."""
        stats = self.crawler.stats
        on_site: list[tuple[str, ListEntry]] = []
        for entry in entries:
            url = self.link(entry.url)
            if not self.on_site(url):
                stats.inc_value("postcrawl/list/offsite")
                continue
            on_site.append((url, entry))
        wanted, verdict = self.page_verdict(
            walk, [(self.canonical(url), entry.published) for url, entry in on_site]
        )
        requests = []
        for position in wanted:
            url, entry = on_site[position]
            hints = PageHints(entry.title, entry.published, entry.source, entry.author)
            requests.append(self.article_request(url, hints, list_url))
        stats.inc_value("postcrawl/list/new", len(requests))
        return requests, verdict

    def parse_list(
        self, response: Response, channel: Channel, page: int, walk: ListWalk
    ) -> Iterable[Any]:
        """A static list page: its article requests, then the next page while worth it."""
        self.crawler.stats.inc_value("postcrawl/list/pages")
        target = js_redirect_target(response.body, response.url)
        if target is not None:
            self.crawler.stats.inc_value("postcrawl/list/js_redirect")
            yield self.list_request(self.link(target), channel, page, walk)
            return
        try:
            listing = parse_list_page(response.body, response.url, response_charset(response))
        except ExtractionError as exc:
            note_failure(self.crawler.stats, self.canonical(response.url), f"list page: {exc}")
            return
        requests, verdict = self.entry_requests(listing.entries, response.url, walk)
        yield from requests
        if verdict == "more" and listing.next_url:
            yield self.list_request(self.link(listing.next_url), channel, page + 1, walk)
        elif verdict != "since" and (done := walk.done()) is not None:
            yield done

    def parse_api(
        self, response: Response, channel: Channel, page: int, counted: int, walk: ListWalk
    ) -> Iterable[Any]:
        """One API page: its article requests, then the next page until ``data.total``."""
        stats = self.crawler.stats
        stats.inc_value("postcrawl/api/pages")
        try:
            result = parse_api_page(response.body, response.url)
        except ExtractionError as exc:
            yield from self._api_failed(channel, page, response.url, str(exc))
            return
        requests, verdict = self.entry_requests(result.entries, response.url, walk)
        yield from requests
        counted += len(result.entries)
        if verdict == "more" and counted < result.total:
            yield self.api_request(channel, page + 1, counted, walk)
        elif verdict != "since" and (done := walk.done()) is not None:
            yield done

    def on_api_error(self, failure: Failure) -> Iterable[scrapy.Request]:
        """The API failed for good: page 1 falls back to the static list; later pages count."""
        request = failure.request  # type: ignore[attr-defined]
        kwargs = request.cb_kwargs
        reason = failure_reason(failure)
        yield from self._api_failed(kwargs["channel"], kwargs["page"], request.url, reason)

    def _api_failed(
        self, channel: Channel, page: int, url: str, reason: str
    ) -> Iterable[scrapy.Request]:
        if page == 1:
            self.crawler.stats.inc_value("postcrawl/api/fallback")
            logger.warning("search API failed (%s) for %s; reading the static list", reason, url)
            yield self.list_request(
                self.url(self.bureau.list_path(channel)),
                channel,
                1,
                self.new_walk(f"list:{channel.path}"),
            )
        else:
            note_failure(self.crawler.stats, self.canonical(url), f"search API: {reason}")

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
