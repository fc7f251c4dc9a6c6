"""Every Redis key distributed mode uses, in one place (docs/distributed.md, "What lives in
Redis"). All start with ``postcrawl:`` so one Redis database can hold other data beside them.
"""

from __future__ import annotations

PREFIX = "postcrawl"

# scrapy-redis: one shared, persistent request queue (a sorted set by priority) and one
# request-fingerprint set per spider. Spelled as scrapy-redis wants them (%(spider)s).
QUEUE_PATTERN = PREFIX + ":%(spider)s:requests"
DUPEFILTER_PATTERN = PREFIX + ":%(spider)s:dupefilter"

SPIDERS = f"{PREFIX}:spiders"  # set: the spiders `postcrawl enqueue` has seeded
WORKERS = f"{PREFIX}:workers"  # hash: worker id -> JSON (host, pid, spiders, started, beat)
ARCHIVERS = f"{PREFIX}:archivers"  # hash: archiver id -> JSON (host, pid, started, beat, counts)

# The finished items, waiting for the archiver; its consumer group; entries that could not be
# archived at all (a bug, undecodable data), kept for a person to look at.
ITEMS = f"{PREFIX}:items"
ARCHIVER_GROUP = "archivers"
DEAD_ITEMS = f"{PREFIX}:items:dead"

# The seen store: URL -> JSON {status, hash, seen_at}; the archived body hashes.
SEEN_URLS = f"{PREFIX}:seen:urls"
SEEN_HASHES = f"{PREFIX}:seen:hashes"

# The crawl frontier: URL -> JSON entry; per site, the set of its URLs; list watermarks;
# channels discovery found per site.
FRONTIER = f"{PREFIX}:frontier:entries"
WALKS = f"{PREFIX}:frontier:walks"
CHANNELS = f"{PREFIX}:frontier:channels"


def queue(spider: str) -> str:
    """The spider's shared request queue."""
    return QUEUE_PATTERN % {"spider": spider}


def dupefilter(spider: str) -> str:
    """The spider's request fingerprints of the current run."""
    return DUPEFILTER_PATTERN % {"spider": spider}


def inflight(spider: str, worker: str) -> str:
    """Requests of *spider* a worker took from the queue and has not finished (a sorted set
    like the queue, so a dead worker's requests go back with their priority)."""
    return f"{PREFIX}:{spider}:inflight:{worker}"


def inflight_pattern(spider: str) -> str:
    """SCAN pattern of every worker's in-flight set of *spider*."""
    return f"{PREFIX}:{spider}:inflight:*"


def heartbeat(kind: str, ident: str) -> str:
    """The expiring key that says a worker or archiver (*kind*) is alive."""
    return f"{PREFIX}:{kind}:{ident}:alive"


def frontier_site(site: str) -> str:
    """The set of frontier URLs of one site."""
    return f"{PREFIX}:frontier:site:{site}"
