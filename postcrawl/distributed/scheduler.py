"""The distributed scheduler: scrapy-redis's, with a reliable queue and two roles.

* ``worker`` (``postcrawl crawl --worker``): takes requests from the shared queue into its
  in-flight set (:class:`~postcrawl.distributed.queue.ReliablePriorityQueue`); the requests a
  callback yields and the items for the archiver (:class:`postcrawl.distributed.worker.
  StreamPipeline`, through :func:`queue_of`) are staged and sent when the engine has finished
  with the request that produced them, in one transaction with its release; at close, hands
  back whatever it still holds.
* ``enqueue`` (``postcrawl enqueue``): only pushes — the spider's start requests go into the
  shared queue, and nothing is downloaded here, so N workers do not each issue them.

scrapy-redis 0.9.1 predates Scrapy 2.13's scheduler changes but its interface still fits
Scrapy 2.19's engine (``open``, ``close``, ``has_pending_requests``, ``enqueue_request``,
``next_request``); what is changed here: the stats calls (no ``spider=`` argument, deprecated in
Scrapy 2.19), the queue class and the roles. Its request fingerprint is its own (method,
canonical URL, body), the same in every worker, not ``crawler.request_fingerprinter``.
"""

from __future__ import annotations

import logging
import time
import weakref

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.utils.misc import load_object
from scrapy_redis.scheduler import Scheduler

from postcrawl.distributed.presence import process_id
from postcrawl.distributed.queue import ReliablePriorityQueue

logger = logging.getLogger(__name__)

_QUEUES: weakref.WeakKeyDictionary[Crawler, ReliablePriorityQueue] = weakref.WeakKeyDictionary()


def queue_of(crawler: Crawler) -> ReliablePriorityQueue:
    """The shared queue of a worker's crawl (opened by its scheduler), where items are staged."""
    queue = _QUEUES.get(crawler)
    if queue is None:
        raise RuntimeError("no distributed worker scheduler is open for this crawl")
    return queue


class RedisScheduler(Scheduler):
    """scrapy-redis's scheduler for postcrawl's roles (``POSTCRAWL_DISTRIBUTED_ROLE``)."""

    crawler: Crawler
    role: str = "worker"
    queue: ReliablePriorityQueue
    _warned: float = 0.0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisScheduler:
        scheduler = super().from_crawler(crawler)
        scheduler.crawler = crawler
        scheduler.role = crawler.settings.get("POSTCRAWL_DISTRIBUTED_ROLE") or "worker"
        return scheduler

    def open(self, spider: Spider) -> None:
        # scrapy-redis's open() without its Spider.log() call (deprecated in Scrapy 2.19).
        self.spider = spider
        self.queue = load_object(self.queue_cls)(
            server=self.server,
            spider=spider,
            key=self.queue_key % {"spider": spider.name},
            serializer=self.serializer,
        )
        if not isinstance(self.queue, ReliablePriorityQueue):
            raise TypeError("SCHEDULER_QUEUE_CLASS must be a ReliablePriorityQueue")
        if not self.df:
            self.df = load_object(self.dupefilter_cls).from_spider(spider)
        if self.flush_on_start:
            self.flush()
        if self.role == "worker" and len(self.queue):
            logger.info("%s: %d requests in the shared queue", spider.name, len(self.queue))
        if self.role != "worker":
            return
        prefetch = self.crawler.settings.getint("POSTCRAWL_WORKER_PREFETCH", 4)
        self.queue.bind(process_id(), prefetch)
        self.queue.on_flush = self._count_flush
        _QUEUES[self.crawler] = self.queue
        self._release_when_done()

    def _count_flush(self, queued: int, repeats: int, items: int) -> None:
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis", queued)
            self.stats.inc_value("dupefilter/filtered", repeats)

    def flush(self) -> None:
        """Send what is staged now (the idle check does, before it looks at the queue)."""
        self.queue.flush()

    def _release_when_done(self) -> None:
        """Release each request from the in-flight set once the engine is done with it.

        The engine's slot drops a request from its in-progress set after the whole of its
        handling: download, redirect or retry (the new request is queued first), callback,
        item pipelines, the requests it yields queued. Scrapy has no signal for that moment,
        so the slot's ``remove_request`` is wrapped (Scrapy 2.19's engine, pinned)."""
        slot = getattr(self.crawler.engine, "_slot", None)
        remove = getattr(slot, "remove_request", None)
        if remove is None:
            raise RuntimeError("this Scrapy's engine has no slot.remove_request to hook")

        def remove_request(request: Request) -> None:
            import redis

            try:
                self.queue.done(request)
            except redis.RedisError as exc:  # kept staged, in flight: sent at the next flush
                logger.warning("Redis did not take %s's output yet: %s", request.url, exc)
            finally:
                remove(request)

        slot.remove_request = remove_request  # type: ignore[union-attr]

    def close(self, reason: str) -> None:
        if self.role == "worker":
            import redis

            try:
                back = self.queue.give_back()
            except redis.RedisError as exc:
                # Whatever was not sent stays in flight: another worker takes it back.
                logger.error("could not hand the unfinished requests back: %s", exc)
            else:
                if back:
                    logger.info("handed %d unfinished requests back to the queue", back)
        super().close(reason)

    def enqueue_request(self, request: Request) -> bool:
        if self.role == "worker":
            # Staged, sent with the output of the request being handled (fingerprints are
            # checked in Redis then: "scheduler/enqueued/redis" counts what was queued).
            fingerprint = None if request.dont_filter else self.df.request_fingerprint(request)
            self.queue.stage_push(request, fingerprint)
            return True
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        self.queue.push(request)
        return True

    def next_request(self) -> Request | None:
        import redis

        if self.role != "worker":
            return None
        try:
            request = self.queue.pop()
        except redis.RedisError as exc:  # Redis restarting: the engine asks again soon
            now = time.monotonic()
            if now - self._warned > 10:
                logger.warning("Redis did not answer (%s); waiting for it", exc)
                self._warned = now
            return None
        if request is not None and self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        import redis

        if self.role != "worker":
            return False
        try:
            return self.queue.local() > 0 or len(self) > 0
        except redis.RedisError:
            return True  # not known while Redis is away: not idle, so not closed

    def __len__(self) -> int:
        return len(self.queue)
