"""The crawl frontier in Redis (:class:`postcrawl.frontier.Frontier`), for distributed mode.

What the SQLite frontier keeps in three tables lives in four keys (``postcrawl.distributed.keys``):

* ``postcrawl:frontier:entries``: URL → JSON entry (the :class:`Listed` fields, ``state``
  ``listed`` or ``given-up``, ``listed_at``, ``last_failed_run``);
* ``postcrawl:frontier:site:<site>``: the site's URLs (to list what is pending);
* ``postcrawl:frontier:walks``: list key → JSON watermark of its last complete walk;
* ``postcrawl:frontier:channels``: site → JSON ``{"channels": [...], "discovered_at": ...}``.

Writes are atomic where several workers may race: :meth:`add_many` (one list page's URLs) is
``HSETNX`` + ``SADD`` per URL in one MULTI (the first listing wins, as ``INSERT OR IGNORE`` does), a failure count is a Lua
read-modify-write (two workers failing one URL in one run still count one run), and a site's
channels are one value replaced whole. *Pending* means listed, not given up, and not in the
seen store (:class:`postcrawl.distributed.seen.RedisSeenStore`), as in the SQLite frontier.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from postcrawl.distributed import keys
from postcrawl.distributed.connection import connect, redis_url
from postcrawl.frontier import Listed, Watermark, is_permanent
from postcrawl.items import utc_now

if TYPE_CHECKING:
    import redis
    from scrapy.crawler import Crawler

_LISTED_FIELDS = ("url", "site", "list_url", "title", "published", "source", "author")

# KEYS[1] entries; ARGV: url, reason, run id, limit (0: never give up). Returns nil (not an
# article URL a list showed, or given up already) or {count, state}.
_RECORD_FAILURE = """
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return nil end
local entry = cjson.decode(raw)
if entry.state ~= 'listed' then return nil end
local count = tonumber(entry.failures) or 0
if entry.last_failed_run ~= ARGV[3] then count = count + 1 end
local limit = tonumber(ARGV[4])
local state = 'listed'
if limit > 0 and count >= limit then state = 'given-up' end
entry.failures = count
entry.last_reason = ARGV[2]
entry.last_failed_run = ARGV[3]
entry.state = state
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(entry))
return {count, state}
"""


def _listed(entry: dict[str, Any]) -> Listed:
    return Listed(
        **{name: entry.get(name) for name in _LISTED_FIELDS},
        failures=int(entry.get("failures") or 0),
        last_reason=entry.get("last_reason"),
    )


def _newest_first(entries: list[Listed]) -> list[Listed]:
    """The SQLite frontier's order: ``published DESC, url`` (undated last)."""
    return sorted(
        sorted(entries, key=lambda e: e.url), key=lambda e: e.published or "", reverse=True
    )


class RedisFrontier:
    """The crawl frontier shared by every worker (and ``postcrawl enqueue``)."""

    def __init__(self, client: redis.Redis) -> None:
        self.redis = client
        self._record_failure = client.register_script(_RECORD_FAILURE)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisFrontier:
        """The frontier on the server ``POSTCRAWL_REDIS_URL`` names."""
        return cls.from_settings(crawler.settings)

    @classmethod
    def from_settings(cls, settings: Any) -> RedisFrontier:
        url = redis_url(settings)
        if url is None:
            raise ValueError("RedisFrontier needs POSTCRAWL_REDIS_URL")
        return cls(connect(url))

    def close(self) -> None:
        self.redis.close()

    # -- listed URLs -----------------------------------------------------------------------
    def add(self, entry: Listed) -> None:
        self.add_many([entry])

    def add_many(self, entries: Sequence[Listed]) -> None:
        if not entries:
            return
        now = utc_now()
        pipe = self.redis.pipeline(transaction=True)
        for entry in entries:
            record = {name: getattr(entry, name) for name in _LISTED_FIELDS}
            record |= {"state": "listed", "listed_at": now, "failures": 0}
            pipe.hsetnx(keys.FRONTIER, entry.url, json.dumps(record, ensure_ascii=False))
            pipe.sadd(keys.frontier_site(entry.site), entry.url)
        pipe.execute()

    def is_listed(self, url: str) -> bool:
        return bool(self.redis.hexists(keys.FRONTIER, url))

    def _entries(self, site: str) -> list[tuple[str, dict[str, Any], bool]]:
        """Every entry of *site*, with whether the seen store has its URL."""
        urls = sorted(self.redis.smembers(keys.frontier_site(site)))
        out: list[tuple[str, dict[str, Any], bool]] = []
        for start in range(0, len(urls), 500):  # bounded round trips, bounded replies
            chunk = urls[start : start + 500]
            pipe = self.redis.pipeline(transaction=False)
            pipe.hmget(keys.FRONTIER, chunk)
            pipe.hmget(keys.SEEN_URLS, chunk)
            raws, seen = pipe.execute()
            for url, raw, mark in zip(chunk, raws, seen, strict=True):
                if raw:
                    out.append((url, json.loads(raw), mark is not None))
        return out

    def pending(self, site: str) -> list[Listed]:
        return _newest_first(
            [
                _listed(entry)
                for _, entry, seen in self._entries(site)
                if entry.get("state") == "listed" and not seen
            ]
        )

    def outstanding(self, site: str) -> list[Listed]:
        """Pending URLs that failed in an earlier run (still to be retried)."""
        return [entry for entry in self.pending(site) if entry.failures]

    def given_up(self, site: str) -> list[Listed]:
        """The site's URLs given up after repeated failures."""
        found = [_listed(e) for _, e, _ in self._entries(site) if e.get("state") == "given-up"]
        return sorted(found, key=lambda e: e.url)

    def record_failures(
        self, failures: Mapping[str, str], run_id: str, *, give_up_runs: int, transient_runs: int
    ) -> list[tuple[str, str]]:
        given_up: list[tuple[str, str]] = []
        for url, reason in failures.items():
            limit = give_up_runs if is_permanent(reason) else transient_runs
            result = self._record_failure(keys=[keys.FRONTIER], args=[url, reason, run_id, limit])
            if result is None:
                continue  # not an article URL a list showed (a list page, an alias)
            count, state = int(result[0]), result[1]
            if state == "given-up":
                given_up.append((url, f"{reason}, {count} runs in a row"))
        return given_up

    # -- list walks ------------------------------------------------------------------------
    def watermark(self, list_key: str) -> Watermark | None:
        raw = self.redis.hget(keys.WALKS, list_key)
        if not raw:
            return None
        walk = json.loads(raw)
        return (
            Watermark(walk["head_url"], walk.get("head_published"))
            if walk.get("head_url")
            else None
        )

    def complete_walk(self, list_key: str, head: Watermark) -> None:
        walk = {"head_url": head.url, "head_published": head.published, "completed_at": utc_now()}
        self.redis.hset(keys.WALKS, list_key, json.dumps(walk, ensure_ascii=False))

    # -- discovered channels ---------------------------------------------------------------
    def save_channels(self, site: str, channels: list[dict[str, str | None]]) -> None:
        if not channels:
            self.redis.hdel(keys.CHANNELS, site)
            return
        found = [
            {
                "list": c["list"],
                "label": c.get("label"),
                "channel_id": c.get("channel_id"),
                "code": c.get("code"),
                "more": c.get("more"),
                "api": c.get("api"),
            }
            for c in channels
        ]
        # One value replaced whole: a reader sees the old list or the new one, never a mix.
        value = {
            "channels": list({c["list"]: c for c in found}.values()),
            "discovered_at": utc_now(),
        }
        self.redis.hset(keys.CHANNELS, site, json.dumps(value, ensure_ascii=False))

    def channels(self, site: str) -> tuple[list[dict[str, str | None]], str | None]:
        raw = self.redis.hget(keys.CHANNELS, site)
        if not raw:
            return [], None
        value = json.loads(raw)
        return list(value["channels"]), value.get("discovered_at")
