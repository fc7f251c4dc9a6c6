"""The base of every postcrawl spider: site row, mirrors, incremental crawling, failures.

A site family (the bureau CMS, the aggregators) subclasses :class:`ArchiveSpider` once and
overrides :meth:`ArchiveSpider.start` / list parsing; each site is then a row, not a copy.

Arguments every spider takes (``scrapy crawl NAME -a key=value``):

* ``base_url=http://127.0.0.1:8000`` crawls a mirror of the site at that root. Start URLs and
  the allowed domain follow it; the archive still records the site's real URLs, so a mirror
  crawl and a live crawl share one archive and one notion of "seen". The spider's
  :attr:`ArchiveSpider.roots` (:class:`postcrawl.siteroots.SiteRoots`) maps between the two.
* ``full=1`` fetches every article again (a backfill), ignoring what the archive has seen.
* ``since=YYYY-MM-DD`` stops listing at articles older than that day.

Unknown arguments and bad values are refused with one clear line (:meth:`ArchiveSpider.check_arguments`).

Every run first re-requests what the crawl frontier (:mod:`postcrawl.frontier`) holds as
pending — articles an interrupted run listed but never archived, earlier failures — and then
walks the lists (:meth:`ArchiveSpider.start_lists`). A walk stops early only where the frontier's
watermark says a complete earlier walk covered the rest (:mod:`postcrawl.spiders.listwalk`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from datetime import date
from typing import Any, ClassVar
from urllib.parse import urlsplit

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response
from twisted.python.failure import Failure

from postcrawl.crawl_archive import frontier_for, seen_for
from postcrawl.extensions import note_failure
from postcrawl.extraction import PageHints
from postcrawl.frontier import Frontier, Listed
from postcrawl.items import ArticleItem, FetchedPage
from postcrawl.seen import SeenStore
from postcrawl.siteroots import SiteRoots
from postcrawl.sites import Site
from postcrawl.spiders.listwalk import ListWalking

logger = logging.getLogger(__name__)

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
# Request meta: the frontier entry of an article request (recorded by FrontierMiddleware).
LISTED_META = "postcrawl_listed"
# Request meta: real-site URLs that led to this request without being the article (JS stubs).
ALIASES_META = "postcrawl_aliases"


class SpiderArgumentError(ValueError):
    """A spider argument (``-a NAME=VALUE``) that is unknown or has a bad value."""


def parse_flag(name: str, value: str | bool | None) -> bool:
    """A yes/no argument; :class:`SpiderArgumentError` for anything else."""
    if value is None or isinstance(value, bool):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise SpiderArgumentError(f"{name} must be 1 or 0 (yes/no, true/false), got {value!r}")


def parse_base_url(value: str | None) -> str | None:
    """The ``base_url`` argument: an http(s) URL with a host."""
    if value is None:
        return None
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SpiderArgumentError(
            f"base_url must be an http(s) URL such as http://127.0.0.1:8000, got {value!r}"
        )
    return value.strip().rstrip("/")


def parse_since(value: str | None) -> date | None:
    """The ``since`` argument as a date; ``ValueError`` with the expected form otherwise."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise SpiderArgumentError(f"since must be a date YYYY-MM-DD, got {value!r}") from None


def response_charset(response: Response) -> str | None:
    """The charset the response's Content-Type declares, if any."""
    content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
    return content_type.partition("charset=")[2].strip() or None


def failure_reason(failure: Failure) -> str:
    """A short reason for a failed request: ``HTTP <status>`` or the exception's name."""
    response = getattr(failure.value, "response", None)
    return f"HTTP {response.status}" if response is not None else type(failure.value).__name__


class ArchiveSpider(ListWalking, scrapy.Spider):
    """A spider that feeds the archive pipelines with :class:`ArticleItem` s.

    Subclasses set :attr:`site` (the row) and yield :meth:`article_request` s from their list
    parsing; :meth:`parse_article` turns the response into an item. :attr:`roots` maps between
    the real site's URLs and the URLs fetched (a mirror's, with ``-a base_url=``). The walk of
    each list, and whether an article URL needs fetching at all (the incremental crawl), come
    from :class:`postcrawl.spiders.listwalk.ListWalking`.
    """

    site: ClassVar[Site]
    # The real site's root; a mirror replaces it via -a base_url=.
    default_base_url: ClassVar[str | None] = None
    # The -a arguments this spider takes; subclasses add theirs.
    arguments: ClassVar[frozenset[str]] = frozenset({"base_url", "full", "since"})

    def __init__(
        self,
        *args: Any,
        base_url: str | None = None,
        full: str | bool | None = None,
        since: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.check_arguments({"base_url": base_url, "full": full, "since": since, **kwargs})
        super().__init__(*args, **kwargs)
        self.roots = SiteRoots.of(self.real_root(), parse_base_url(base_url))
        self.full = parse_flag("full", full)
        self.since = parse_since(since)
        self.allowed_domains = [urlsplit(self.roots.crawled).hostname or self.site.domain]
        self.seen: SeenStore | None = None
        self.frontier: Frontier | None = None

    @classmethod
    def check_arguments(cls, arguments: dict[str, Any]) -> None:
        """Refuse unknown ``-a`` names and bad values with one clear line
        (:class:`SpiderArgumentError`); the crawl command calls this before starting."""
        internal = {"name", "_job"}  # set by Scrapy itself
        unknown = sorted(set(arguments) - cls.arguments - internal)
        if unknown:
            raise SpiderArgumentError(
                f"unknown argument{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} for "
                f"{cls.name}; it takes {', '.join(sorted(cls.arguments))}"
            )
        parse_base_url(arguments.get("base_url"))
        parse_flag("full", arguments.get("full"))
        parse_since(arguments.get("since"))

    @classmethod
    def real_root(cls) -> str:
        """The real site's root: :attr:`default_base_url`, else ``https://<domain>``."""
        return (cls.default_base_url or f"https://{cls.site.domain}").rstrip("/")

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ArchiveSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.seen = seen_for(crawler)
        spider.frontier = frontier_for(crawler)
        return spider

    # -- start -----------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[Any]:
        """What the frontier holds as pending first (interrupted work, earlier failures),
        then the lists (:meth:`start_lists`)."""
        pending = self.frontier.pending(self.site.name) if self.frontier is not None else []
        self.crawler.stats.set_value("postcrawl/frontier/pending_at_start", len(pending))
        if pending:
            logger.info("%s: re-requesting %d pending article URLs first", self.name, len(pending))
        for entry in pending:
            hints = PageHints(entry.title, entry.published, entry.source, entry.author)
            yield self.article_request(entry.url, hints, entry.list_url, record=False)
        async for request in self.start_lists():
            yield request

    async def start_lists(self) -> AsyncIterator[Any]:
        """The requests that begin walking the site's lists."""
        return
        yield

    # -- URLs ------------------------------------------------------------------------------
    def listed_url(self, request: scrapy.Request | None) -> str | None:
        """The real URL a list gave for a request (before any redirect): the frontier's key."""
        if request is None:
            return None
        redirected = request.meta.get("redirect_urls") or [request.url]
        return self.roots.real_url(redirected[0])

    # -- requests and items ----------------------------------------------------------------
    def article_request(
        self,
        url: str,
        hints: PageHints | None = None,
        list_url: str | None = None,
        *,
        record: bool = True,
    ) -> scrapy.Request:
        """A request for one article page, carrying what the list said about it; with
        *record*, the frontier records the URL as listed before it is requested."""
        hints = hints or PageHints()
        request = scrapy.Request(
            self.roots.fetch(url),
            callback=self.parse_article,
            errback=self.on_error,
            cb_kwargs={"hints": hints, "list_url": list_url},
        )
        if record:
            request.meta[LISTED_META] = Listed(
                url=self.roots.real_url(url),
                site=self.site.name,
                list_url=self.roots.real_url(list_url) if list_url else None,
                title=hints.title,
                published=hints.published,
                source=hints.source,
                author=hints.author,
            )
        return request

    def parse_article(
        self, response: Response, hints: PageHints, list_url: str | None = None
    ) -> Iterable[ArticleItem]:
        """The article item for a fetched page; the pipelines do the reading."""
        self.crawler.stats.inc_value("postcrawl/spider/articles_fetched")
        url = self.roots.real_url(response.url)
        page = FetchedPage(
            body=response.body,
            encoding=response_charset(response),
            listed_url=self.listed_url(response.request),
            list_url=self.roots.real_url(list_url) if list_url else None,
            aliases=self.aliases_of(response.request, url),
        )
        yield ArticleItem(url=url, site=self.site.name, page=page, hints=hints)

    def aliases_of(self, request: scrapy.Request, url: str) -> tuple[str, ...]:
        """The other real URLs that led to the article at *url*: HTTP redirects, and the
        JavaScript stubs a spider followed (request meta :data:`ALIASES_META`)."""
        aliases = {self.roots.real_url(u) for u in request.meta.get("redirect_urls", [])}
        aliases |= set(request.meta.get(ALIASES_META, ()))
        aliases.discard(url)
        return tuple(sorted(aliases))

    def on_error(self, failure: Failure) -> None:
        """A request that failed for good (after retries): counted and listed, not marked seen,
        so the next run tries it again."""
        request = failure.request  # type: ignore[attr-defined]
        reason = failure_reason(failure)
        self.crawler.stats.inc_value("postcrawl/spider/request_failed")
        note_failure(self.crawler.stats, self.listed_url(request), reason)
        logger.warning("failed: %s (%s)", request.url, reason)
