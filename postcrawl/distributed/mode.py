"""Distributed mode's settings, set on top of the project's for one role.

``POSTCRAWL_REDIS_URL`` switches distributed mode on; the role says which process this is:

* ``worker`` — ``postcrawl crawl --worker``: scrapy-redis scheduler and dupefilter on the shared
  queue, the seen store and the frontier in Redis, only the steps before the archive (not built
  on :class:`postcrawl.pipelines.ArchiveStep`: extract, normalize; in the pipeline process as
  configured), their items to the stream, no run report, discovery not remembered (a worker
  sees only its share of the channels), no WARC unless ``POSTCRAWL_WARC_DIR`` names a folder of
  its own;
* ``enqueue`` — ``postcrawl enqueue``: the same queue, only pushed to; no item pipelines, no
  end-of-run extensions;
* ``archiver`` — ``postcrawl archiver``: only the archive steps (topic, dedupe, store: the items
  come extracted and normalized), the seen store in Redis (which the archiver marks after each
  group commit).

Values go in at the project's priority: what ``-s NAME=VALUE`` sets still wins.
"""

from __future__ import annotations

from typing import Any, Literal

from scrapy.settings import Settings
from scrapy.utils.misc import load_object

from postcrawl.distributed import keys
from postcrawl.distributed.connection import redis_url

Role = Literal["worker", "enqueue", "archiver"]
ROLE_SETTING = "POSTCRAWL_DISTRIBUTED_ROLE"
REDIS_SEEN = "postcrawl.distributed.seen.RedisSeenStore"
REDIS_FRONTIER = "postcrawl.distributed.frontier.RedisFrontier"
_PRIORITY = "project"


def archive_steps(settings: Settings) -> list[tuple[str, int]]:
    """The archive-side item pipelines of ``ITEM_PIPELINES`` (subclasses of
    :class:`~postcrawl.pipelines.ArchiveStep`), in their order: what the archiver runs."""
    from postcrawl.pipelines import ArchiveStep

    steps = []
    for path, order in settings.getdict("ITEM_PIPELINES").items():
        if order is None:
            continue
        cls = load_object(path)
        if isinstance(cls, type) and issubclass(cls, ArchiveStep):
            steps.append((path, int(order)))
    return sorted(steps, key=lambda step: step[1])


def configure(settings: Settings, role: Role) -> str:
    """Set distributed mode's settings for *role* on *settings*; the Redis URL. ``ValueError``
    when ``POSTCRAWL_REDIS_URL`` is not set."""
    url = redis_url(settings)
    if url is None:
        raise ValueError("distributed mode needs POSTCRAWL_REDIS_URL=redis://host:port/db")

    def put(name: str, value: Any) -> None:
        settings.set(name, value, priority=_PRIORITY)

    put(ROLE_SETTING, role)
    put("POSTCRAWL_SEEN_STORE", REDIS_SEEN)
    put("POSTCRAWL_FRONTIER_STORE", REDIS_FRONTIER)
    pipelines = dict(settings.getdict("ITEM_PIPELINES"))
    steps = {path for path, _ in archive_steps(settings)}
    if role == "archiver":
        put("ITEM_PIPELINES", {p: (o if p in steps else None) for p, o in pipelines.items()})
        return url
    put("REDIS_URL", url)
    put("SCHEDULER", "postcrawl.distributed.scheduler.RedisScheduler")
    put("SCHEDULER_QUEUE_CLASS", "postcrawl.distributed.queue.ReliablePriorityQueue")
    put("SCHEDULER_QUEUE_KEY", keys.QUEUE_PATTERN)
    put("SCHEDULER_DUPEFILTER_KEY", keys.DUPEFILTER_PATTERN)
    put("DUPEFILTER_CLASS", "scrapy_redis.dupefilter.RFPDupeFilter")
    put("SCHEDULER_PERSIST", True)  # the queue outlives any one worker
    put("POSTCRAWL_RUN_REPORT_ENABLED", False)
    extensions = dict(settings.getdict("EXTENSIONS"))
    extensions["postcrawl.extensions.DiscoveryRecorder"] = None
    extensions["postcrawl.extensions.RunReport"] = None
    if role == "enqueue":
        put("ITEM_PIPELINES", {})
        put("POSTCRAWL_SUMMARY_ENABLED", False)
        extensions["postcrawl.extensions.FrontierFailures"] = None
        extensions["postcrawl.warc.WarcRecorder"] = None
        put("EXTENSIONS", extensions)
        return url
    put("ITEM_PIPELINES", {p: (None if p in steps else o) for p, o in pipelines.items()})
    extensions["postcrawl.distributed.worker.DistributedWorker"] = 480
    if not settings.get("POSTCRAWL_WARC_DIR"):
        extensions["postcrawl.warc.WarcRecorder"] = None
    put("EXTENSIONS", extensions)
    middlewares = dict(settings.getdict("SPIDER_MIDDLEWARES"))
    middlewares["postcrawl.distributed.worker.WorkerStart"] = 0
    put("SPIDER_MIDDLEWARES", middlewares)
    return url
