"""The base of every postcrawl spider: site row, mirrors, incremental crawling, failures.

A site family (the bureau CMS, the aggregators) subclasses :class:`ArchiveSpider` once and
overrides :meth:`ArchiveSpider.start` / list parsing; each site is then a row, not a copy.

Arguments every spider takes (``scrapy crawl NAME -a key=value``):

* ``base_url=http://127.0.0.1:8000`` crawls a mirror of the site at that root. Start URLs and
  the allowed domain follow it; the archive still records the site's real URLs, so a mirror
  crawl and a live crawl share one archive and one notion of "seen".
* ``full=1`` fetches every article again (a backfill), ignoring what the archive has seen.
* ``since=YYYY-MM-DD`` stops listing at articles older than that day.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response
from twisted.python.failure import Failure

from postcrawl.extensions import note_failure
from postcrawl.extraction import PageHints
from postcrawl.items import ArticleItem
from postcrawl.pipelines import archive_for
from postcrawl.seen import SeenStore
from postcrawl.sites import Site

logger = logging.getLogger(__name__)

_TRUE = {"1", "true", "yes", "on"}


def parse_since(value: str | None) -> date | None:
    """The ``since`` argument as a date; ``ValueError`` with the expected form otherwise."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"since must be YYYY-MM-DD, got {value!r}") from None


def response_charset(response: Response) -> str | None:
    """The charset the response's Content-Type declares, if any."""
    content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
    return content_type.partition("charset=")[2].strip() or None


def failure_reason(failure: Failure) -> str:
    """A short reason for a failed request: ``HTTP <status>`` or the exception's name."""
    response = getattr(failure.value, "response", None)
    return f"HTTP {response.status}" if response is not None else type(failure.value).__name__


class ArchiveSpider(scrapy.Spider):
    """A spider that feeds the archive pipelines with :class:`ArticleItem` s.

    Subclasses set :attr:`site` (the row) and yield :meth:`article_request` s from their list
    parsing; :meth:`parse_article` turns the response into an item. :meth:`is_known` answers
    whether an article URL needs fetching at all (the incremental crawl).
    """

    site: ClassVar[Site]
    # The real site's root; a mirror replaces it via -a base_url=.
    default_base_url: ClassVar[str | None] = None

    def __init__(
        self,
        *args: Any,
        base_url: str | None = None,
        full: str | bool | None = None,
        since: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.real_base_url = (self.default_base_url or f"https://{self.site.domain}").rstrip("/")
        self.base_url = (base_url or self.real_base_url).rstrip("/")
        self.full = str(full).lower() in _TRUE if full is not None else False
        self.since = parse_since(since)
        host = urlsplit(self.base_url).hostname or self.site.domain
        self.allowed_domains = [host]
        self.seen: SeenStore | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ArchiveSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.seen = archive_for(crawler).seen
        return spider

    # -- URLs ------------------------------------------------------------------------------
    def url(self, path: str) -> str:
        """An absolute URL on the crawled root (the mirror, when there is one)."""
        return (
            urljoin(self.base_url + "/", path.lstrip("/")) if not path.startswith("http") else path
        )

    def canonical(self, url: str) -> str:
        """The real site's URL for a fetched URL: a mirror's root is swapped back."""
        if self.base_url != self.real_base_url and url.startswith(self.base_url):
            return self.real_base_url + url[len(self.base_url) :]
        return url

    def fetch_url(self, url: str) -> str:
        """The URL to fetch for a real-site URL (a link in a list, an API result)."""
        if self.base_url != self.real_base_url:
            parts = urlsplit(url)
            real = urlsplit(self.real_base_url)
            if parts.hostname == real.hostname:
                rest = url.split(parts.netloc, 1)[1]
                return self.base_url + rest
        return url

    # -- incremental -----------------------------------------------------------------------
    def is_known(self, url: str) -> bool:
        """Whether the archive has already handled this article URL (``full=1``: never)."""
        if self.full or self.seen is None:
            return False
        return self.seen.url_seen(self.canonical(url))

    def too_old(self, published: str | None) -> bool:
        """Whether a listed date falls before ``since``."""
        return bool(self.since and published and published[:10] < self.since.isoformat())

    # -- requests and items ----------------------------------------------------------------
    def article_request(
        self, url: str, hints: PageHints | None = None, list_url: str | None = None
    ) -> scrapy.Request:
        """A request for one article page, carrying what the list said about it."""
        return scrapy.Request(
            self.fetch_url(url),
            callback=self.parse_article,
            errback=self.on_error,
            cb_kwargs={"hints": hints or PageHints(), "list_url": list_url},
        )

    def parse_article(
        self, response: Response, hints: PageHints, list_url: str | None = None
    ) -> Iterable[ArticleItem]:
        """The article item for a fetched page; the pipelines do the reading."""
        self.crawler.stats.inc_value("postcrawl/spider/articles_fetched")
        yield ArticleItem(
            url=self.canonical(response.url),
            site=self.site.name,
            body=response.body,
            encoding=response_charset(response),
            list_url=self.canonical(list_url) if list_url else None,
            hint_title=hints.title,
            hint_published=hints.published,
            hint_source=hints.source,
            hint_author=hints.author,
        )

    def on_error(self, failure: Failure) -> None:
        """A request that failed for good (after retries): counted and listed, not marked seen,
        so the next run tries it again."""
        request = failure.request  # type: ignore[attr-defined]
        reason = failure_reason(failure)
        note_failure(self.crawler.stats, self.canonical(request.url), reason)
        logger.warning("failed: %s (%s)", request.url, reason)
