"""What makes a Scrapy crawler a distributed worker (``postcrawl crawl --worker``).

* :class:`WorkerStart` (spider middleware): the spider's ``start()`` does not run —
  ``postcrawl enqueue`` put the start requests into the shared queue once, so N workers do not
  each issue them. List walks and pagination flow through the shared queue.
* :class:`DistributedWorker` sends each item the extract and normalize steps made (the
  ``item_scraped`` signal, whichever ``ITEM_PROCESSOR`` ran the steps) to the Redis stream
  ``postcrawl:items`` for ``postcrawl archiver``: staged with the output of the request that
  produced it and sent with that request's release from the in-flight set
  (:class:`~postcrawl.distributed.queue.ReliablePriorityQueue`), so an item is never lost
  between a worker and Redis. The worker never writes the archive directory.
* :class:`DistributedWorker` (extension) also keeps the heartbeat; a poll of the shared queue while the
  worker is idle; dead workers' in-flight requests back into the queue; and the end of the
  run. scrapy-redis keeps a spider open forever by default; a worker closes its spider once the
  spider's queue is empty, no worker (alive or dead) holds one of its requests — a list page
  being read elsewhere may still add some — and ``POSTCRAWL_WORKER_IDLE_TIMEOUT`` seconds have
  passed so.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured

from postcrawl.distributed import keys
from postcrawl.distributed.connection import connect, redis_url
from postcrawl.distributed.itemcodec import VERSION, encode_item
from postcrawl.distributed.presence import Presence, forget_dead
from postcrawl.distributed.queue import in_flight, reclaim_dead
from postcrawl.items import ArticleItem, SkippedPage

if TYPE_CHECKING:
    import redis

logger = logging.getLogger(__name__)


def _is_worker(crawler: Crawler) -> bool:
    settings = crawler.settings
    return bool(redis_url(settings)) and settings.get("POSTCRAWL_DISTRIBUTED_ROLE") == "worker"


class WorkerStart:
    """Spider middleware of a worker: the spider's start requests are not issued here."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WorkerStart:
        if not _is_worker(crawler):
            raise NotConfigured
        return cls()

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        """Nothing: the shared queue holds the start requests (``postcrawl enqueue``)."""
        return
        yield


class _WorkerProcess:
    """The one heartbeat of this process, whatever number of spiders it runs."""

    def __init__(self) -> None:
        self.presence: Presence | None = None
        self.spiders: set[str] = set()
        self._loop: Any = None

    def join(self, client: redis.Redis, spider: str, interval: float, ttl: float) -> None:
        from twisted.internet import task

        if self.presence is None:
            self.presence = Presence(client, "worker", ttl)
        self.spiders.add(spider)
        self.presence.beat(spiders=sorted(self.spiders))
        if self._loop is None:
            self._loop = task.LoopingCall(self._beat)
            self._loop.start(interval, now=False)

    def _beat(self) -> None:
        import redis

        assert self.presence is not None
        try:
            self.presence.beat(spiders=sorted(self.spiders))
            forget_dead(self.presence.client, "worker", older_than=3600)
        except redis.RedisError as exc:  # a restarting Redis: beat again next time
            logger.warning("heartbeat not sent: %s", exc)

    def leave(self, spider: str) -> None:
        self.spiders.discard(spider)
        if self.spiders or self.presence is None:
            return
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        self._loop = None
        try:
            self.presence.leave()
        except Exception as exc:  # the process is ending; Redis may be gone
            logger.warning("could not sign off from Redis: %s", exc)
        self.presence = None


_PROCESS = _WorkerProcess()


class DistributedWorker:
    """Heartbeat, queue poll, reclaiming dead workers' requests, and when to stop (see the
    module's docstring). Counts ``postcrawl/worker/reclaimed``."""

    def __init__(self, crawler: Crawler, client: redis.Redis) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.redis = client
        self.idle_timeout = settings.getfloat("POSTCRAWL_WORKER_IDLE_TIMEOUT", 10.0)
        self.interval = settings.getfloat("POSTCRAWL_HEARTBEAT_INTERVAL", 5.0)
        self.ttl = settings.getfloat("POSTCRAWL_HEARTBEAT_TTL", 30.0)
        self.poll_interval = settings.getfloat("POSTCRAWL_WORKER_POLL_INTERVAL", 0.25)
        self.idle_since: float | None = None
        self._poll: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DistributedWorker:
        if not _is_worker(crawler):
            raise NotConfigured
        url = redis_url(crawler.settings)
        assert url is not None
        ext = cls(crawler, connect(url))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.busy, signal=signals.request_reached_downloader)
        crawler.signals.connect(ext.spider_error, signal=signals.spider_error)
        crawler.signals.connect(ext.item_scraped, signal=signals.item_scraped)
        return ext

    def item_scraped(self, item: Any, response: Any = None, spider: Any = None) -> None:
        """Stage the finished item for the stream (``postcrawl/stream/articles``,
        ``…/skipped``); it goes with its request's release (see the module's docstring)."""
        from postcrawl.distributed.scheduler import queue_of

        if not isinstance(item, ArticleItem | SkippedPage):
            return
        name = self.crawler.spider.name if self.crawler.spider else ""
        queue_of(self.crawler).stage_item(
            {"v": str(VERSION), "spider": name, "item": encode_item(item)}
        )
        kind = "articles" if isinstance(item, ArticleItem) else "skipped"
        self.crawler.stats.inc_value(f"postcrawl/stream/{kind}")

    def spider_error(self, failure: Any, response: Any, spider: Spider) -> None:
        """A callback that failed on Redis (a restart, say) may have lost its output: its
        request goes back to the queue instead of being released."""
        import redis

        from postcrawl.distributed.scheduler import queue_of

        request = getattr(response, "request", None)
        if request is None or not failure.check(redis.RedisError):
            return
        queue_of(self.crawler).requeue(request)
        self.crawler.stats.inc_value("postcrawl/worker/requeued")
        logger.warning(
            "%s failed on Redis (%s); it goes back to the queue", request.url, failure.value
        )

    def spider_opened(self, spider: Spider) -> None:
        from twisted.internet import task

        _PROCESS.join(self.redis, spider.name, self.interval, self.ttl)
        self._poll = task.LoopingCall(self._nudge)
        self._poll.start(self.poll_interval, now=False)

    def _nudge(self) -> None:
        """Ask the engine for the next request now rather than at its 5-second heartbeat: while
        this worker idles, others may queue requests (Scrapy 2.19's engine slot, pinned)."""
        slot = getattr(self.crawler.engine, "_slot", None)
        nextcall = getattr(slot, "nextcall", None)
        if nextcall is not None and slot.closing is None:
            nextcall.schedule()

    def busy(self, *_: Any, **__: Any) -> None:
        self.idle_since = None

    def spider_idle(self, spider: Spider) -> None:
        """Keep the spider open while its run is not over (see the module's docstring)."""
        import redis

        from postcrawl.distributed.scheduler import queue_of

        queue = queue_of(self.crawler)
        try:
            queue.flush()  # staged output first: it may hold new requests
            unanswered = queue.reclaim_unanswered()
            queued = int(self.redis.zcard(keys.queue(spider.name)))
            reclaimed = 0 if queued else reclaim_dead(self.redis, spider.name)
            held = 0 if queued or reclaimed else in_flight(self.redis, spider.name)
        except redis.RedisError as exc:
            logger.warning("Redis did not answer (%s); waiting", exc)
            raise DontCloseSpider from None
        if unanswered:
            logger.warning(
                "%s: %d requests of a take Redis did not answer back in the queue",
                spider.name,
                unanswered,
            )
            self.crawler.stats.inc_value("postcrawl/worker/unanswered_takes", unanswered)
        if reclaimed:
            logger.warning(
                "%s: %d requests of dead workers back in the queue", spider.name, reclaimed
            )
            self.crawler.stats.inc_value("postcrawl/worker/reclaimed", reclaimed)
        if queued or reclaimed or held:
            self.idle_since = None
            raise DontCloseSpider
        now = time.monotonic()
        if self.idle_since is None:
            self.idle_since = now
        if self.idle_timeout <= 0 or now - self.idle_since < self.idle_timeout:
            raise DontCloseSpider
        logger.info("%s: the queue is empty and no worker holds a request; done", spider.name)

    def spider_closed(self, spider: Spider) -> None:
        if self._poll is not None and self._poll.running:
            self._poll.stop()
        _PROCESS.leave(spider.name)
        self.redis.close()
