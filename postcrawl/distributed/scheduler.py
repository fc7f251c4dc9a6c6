"""The distributed scheduler: scrapy-redis's, with a reliable queue and two roles.

* ``worker`` (``postcrawl crawl --worker``): takes requests from the shared queue into its
  in-flight set (:class:`~postcrawl.distributed.queue.ReliablePriorityQueue`) and releases each
  when the engine has finished with it; at close, hands back whatever it still holds.
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

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.utils.misc import load_object
from scrapy_redis.scheduler import Scheduler

from postcrawl.distributed.presence import process_id
from postcrawl.distributed.queue import ReliablePriorityQueue

logger = logging.getLogger(__name__)


class RedisScheduler(Scheduler):
    """scrapy-redis's scheduler for postcrawl's roles (``POSTCRAWL_DISTRIBUTED_ROLE``)."""

    crawler: Crawler
    role: str = "worker"
    queue: ReliablePriorityQueue

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
        self.queue.bind(process_id())
        self._release_when_done()

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
            try:
                self.queue.done(request)
            finally:
                remove(request)

        slot.remove_request = remove_request  # type: ignore[union-attr]

    def close(self, reason: str) -> None:
        if self.role == "worker":
            back = self.queue.give_back()
            if back:
                logger.info("handed %d unfinished requests back to the queue", back)
        super().close(reason)

    def enqueue_request(self, request: Request) -> bool:
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        self.queue.push(request)
        return True

    def next_request(self) -> Request | None:
        if self.role != "worker":
            return None
        request = self.queue.pop()
        if request is not None and self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        return self.role == "worker" and len(self) > 0

    def __len__(self) -> int:
        return len(self.queue)
