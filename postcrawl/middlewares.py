"""Downloader middlewares: retries that back off; robots.txt checked for every request."""

from __future__ import annotations

import asyncio
import logging

from scrapy import Request
from scrapy import exceptions as scrapy_exceptions
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import (
    RobotsTxtMiddleware as _ScrapyRobotsTxtMiddleware,
)
from scrapy.exceptions import NotConfigured
from scrapy.robotstxt import RobotParser
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet import error as twisted_error
from twisted.internet.defer import Deferred

logger = logging.getLogger(__name__)

# Request meta: the retry attempt a backoff wait was already taken for.
WAITED_META = "postcrawl_backoff_waited"


class RetryBackoffMiddleware:
    """Waits ``base * 2**(n-1)`` seconds (capped) before sending the n-th retry of a request.

    Scrapy's RetryMiddleware re-schedules a failed request at once; a bureau server answering
    502 under load needs a pause more than a second request. This sits beside Scrapy's own
    middleware and reads only the ``retry_times`` meta key it documents, so retries stay
    Scrapy's. ``POSTCRAWL_RETRY_BACKOFF_BASE = 0`` turns the wait off (tests do).
    """

    def __init__(self, base: float, cap: float) -> None:
        self.base = base
        self.cap = cap

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryBackoffMiddleware:
        settings = crawler.settings
        base = settings.getfloat("POSTCRAWL_RETRY_BACKOFF_BASE", 2.0)
        if base <= 0 or not settings.getbool("RETRY_ENABLED"):
            raise NotConfigured
        return cls(base, settings.getfloat("POSTCRAWL_RETRY_BACKOFF_MAX", 60.0))

    def delay_for(self, attempt: int) -> float:
        """Seconds to wait before retry number *attempt* (1, 2, …)."""
        return min(self.cap, self.base * 2 ** (attempt - 1))

    async def process_request(self, request: Request) -> None:
        attempt = int(request.meta.get("retry_times", 0))
        if attempt <= request.meta.get(WAITED_META, 0):
            return  # a first try, or a retry already waited for (then redirected, say)
        request.meta[WAITED_META] = attempt
        delay = self.delay_for(attempt)
        logger.debug("waiting %.1fs before retry %d of %s", delay, attempt, request.url)
        await asyncio.sleep(delay)


class _NoNetworkTraceback(logging.Filter):
    """A robots.txt that could not be downloaded because the host is unreachable is one
    log line, not a 60-line traceback (the retry middleware has already said why)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], NETWORK_ERRORS):
            record.exc_info = None
        return True


NETWORK_ERRORS: tuple[type[BaseException], ...] = (
    scrapy_exceptions.CannotResolveHostError,
    scrapy_exceptions.DownloadConnectionRefusedError,
    scrapy_exceptions.DownloadTimeoutError,
    scrapy_exceptions.DownloadFailedError,
    ConnectionError,
    TimeoutError,
    twisted_error.ConnectError,
    twisted_error.DNSLookupError,
    twisted_error.TimeoutError,
)


class RobotsTxtMiddleware(_ScrapyRobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, mended: on Scrapy 2.19, when several requests to one
    host wait for its robots.txt at once (a crawl that starts with many pending article
    URLs), only the first is handed the parser; the others get ``None`` and are fetched
    unchecked. Here a request that gets ``None`` while the host's parser exists uses it.
    An unreachable host's robots.txt is logged without a traceback."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        robots_logger = logging.getLogger(_ScrapyRobotsTxtMiddleware.__module__)
        if not any(isinstance(f, _NoNetworkTraceback) for f in robots_logger.filters):
            robots_logger.addFilter(_NoNetworkTraceback())

    async def robot_parser(self, request: Request) -> RobotParser | None:
        parser = await super().robot_parser(request)
        if parser is None:
            cached = self._parsers.get(urlparse_cached(request).netloc)
            if cached is not None and not isinstance(cached, Deferred):
                return cached
        return parser
