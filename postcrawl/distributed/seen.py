"""The seen store in Redis (:class:`postcrawl.seen.SeenStore`): distributed workers ask it
before fetching, the archiver marks it after each commit.

``postcrawl:seen:urls`` maps a URL to ``{"status", "hash", "seen_at"}`` (JSON), as the
index's ``seen`` table does; ``postcrawl:seen:hashes`` holds every archived body hash. A mark is
one MULTI/EXEC, so a reader never sees a URL stored whose hash is not yet archived.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from postcrawl.distributed import keys
from postcrawl.distributed.connection import connect, redis_url
from postcrawl.seen import SeenStatus

if TYPE_CHECKING:
    import redis
    from scrapy.crawler import Crawler


class RedisSeenStore:
    """URLs handled and body hashes archived, shared by every worker and archiver."""

    def __init__(self, client: redis.Redis) -> None:
        self.redis = client

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisSeenStore:
        """The store on the server ``POSTCRAWL_REDIS_URL`` names."""
        return cls.from_settings(crawler.settings)

    @classmethod
    def from_settings(cls, settings: Any) -> RedisSeenStore:
        url = redis_url(settings)
        if url is None:
            raise ValueError("RedisSeenStore needs POSTCRAWL_REDIS_URL")
        return cls(connect(url))

    def url_seen(self, url: str) -> bool:
        return bool(self.redis.hexists(keys.SEEN_URLS, url))

    def hash_seen(self, body_hash: str) -> bool:
        return bool(self.redis.sismember(keys.SEEN_HASHES, body_hash))

    def mark(
        self, url: str, body_hash: str | None, status: SeenStatus, seen_at: str | None
    ) -> None:
        value = json.dumps({"status": status, "hash": body_hash, "seen_at": seen_at})
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(keys.SEEN_URLS, url, value)
        if body_hash and status == "stored":
            pipe.sadd(keys.SEEN_HASHES, body_hash)
        pipe.execute()

    def mark_many(self, rows: Iterable[tuple[str, str | None, str, str | None]]) -> None:
        """Mark many (url, hash, status, seen_at) rows in one round trip."""
        pipe = self.redis.pipeline(transaction=False)
        for url, body_hash, status, seen_at in rows:
            value = json.dumps({"status": status, "hash": body_hash, "seen_at": seen_at})
            pipe.hset(keys.SEEN_URLS, url, value)
            if body_hash and status == "stored":
                pipe.sadd(keys.SEEN_HASHES, body_hash)
        pipe.execute()

    def status(self, url: str) -> dict[str, str | None] | None:
        """What became of *url* (``status``, ``hash``, ``seen_at``), if it was seen."""
        raw = self.redis.hget(keys.SEEN_URLS, url)
        return json.loads(raw) if raw else None

    def close(self) -> None:
        self.redis.close()
