"""Distributed mode (docs/distributed.md): several crawl workers, one frontier, one archive.

Switched on by ``POSTCRAWL_REDIS_URL``. The request queues and request fingerprints are
scrapy-redis's (:mod:`~postcrawl.distributed.scheduler`, :mod:`~postcrawl.distributed.queue`);
the seen store and the crawl frontier are in Redis (:mod:`~postcrawl.distributed.seen`,
:mod:`~postcrawl.distributed.frontier`); workers (:mod:`~postcrawl.distributed.worker`) send
their items to a Redis stream (:mod:`~postcrawl.distributed.itemcodec`) that the archiver
(:mod:`~postcrawl.distributed.consumer`, :mod:`~postcrawl.distributed.archiver`) writes into
the archive; heartbeats say who is alive (:mod:`~postcrawl.distributed.presence`). Every key is
in :mod:`~postcrawl.distributed.keys`; the settings each role gets, in
:mod:`~postcrawl.distributed.mode`. Nothing here is imported in embedded mode.
"""
