"""Downloader middlewares: retries that back off; robots.txt checked for every request."""

from __future__ import annotations

import asyncio
import logging

from scrapy import Request
from scrapy import exceptions as scrapy_exceptions
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import (
    RobotsTxtMiddleware as _ScrapyRobotsTxtMiddleware,
)
from scrapy.robotstxt import RobotParser
from scrapy.settings import BaseSettings
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet import error as twisted_error
from twisted.internet.defer import Deferred

logger = logging.getLogger(__name__)

DELAY_KEY = "postcrawl_retry_delay"


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retry, waiting ``base * 2**(n-1)`` seconds (capped) before the n-th retry.

    Scrapy's own middleware retries at once; a bureau server answering 502 under load needs
    a pause more than a second request. ``POSTCRAWL_RETRY_BACKOFF_BASE = 0`` turns the wait off
    (tests do).
    """

    def __init__(self, settings: BaseSettings):
        super().__init__(settings)
        self.backoff_base = settings.getfloat("POSTCRAWL_RETRY_BACKOFF_BASE", 2.0)
        self.backoff_max = settings.getfloat("POSTCRAWL_RETRY_BACKOFF_MAX", 60.0)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffRetryMiddleware:
        o = cls(crawler.settings)
        o.crawler = crawler
        return o

    def _retry(self, request: Request, reason: str | Exception | type[Exception]) -> Request | None:
        retry = super()._retry(request, reason)
        if retry is not None and self.backoff_base > 0:
            attempt = retry.meta.get("retry_times", 1)
            retry.meta[DELAY_KEY] = min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1))
        return retry

    async def process_request(self, request: Request) -> None:
        delay = request.meta.pop(DELAY_KEY, 0)
        if delay:
            logger.debug("waiting %.1fs before retrying %s", delay, request.url)
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
