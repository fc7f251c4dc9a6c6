"""``postcrawl archiver``'s loop: the stream ``postcrawl:items`` into the archive.

The archivers are one consumer group (``archivers``) on the stream. Each round an archiver
first claims, with ``XAUTOCLAIM``, entries another archiver took and left unacknowledged for
``POSTCRAWL_ARCHIVER_CLAIM_IDLE`` seconds (it died), else reads new ones (``XREADGROUP``), hands
the batch to :meth:`postcrawl.distributed.archiver.Archiver.archive_batch`, and acknowledges
(``XACK``, then ``XDEL``: the stream holds only what is not archived yet) the entries whose
manifest line and index commit are done. An entry that cannot be read, or that a step fails on
with a bug, goes to ``postcrawl:items:dead`` with the reason and is acknowledged, so one bad
entry does not stop the archive. Several archivers on one host share the archive through its
lock (``<data>/.lock``), as two crawls do.

Without ``--forever`` an archiver exits once the stream is empty, no worker is alive and every
seeded spider's queue and in-flight sets are empty, for ``POSTCRAWL_ARCHIVER_IDLE_TIMEOUT``
seconds. SIGTERM or Ctrl-C: the batch in hand is finished and acknowledged first.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import time
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from postcrawl.distributed import keys
from postcrawl.distributed.archiver import Archiver, Entry, Result
from postcrawl.distributed.itemcodec import ItemCodecError, decode_item
from postcrawl.distributed.presence import Presence, alive, forget_dead
from postcrawl.distributed.queue import in_flight

if TYPE_CHECKING:
    import redis
    from scrapy.settings import Settings

logger = logging.getLogger(__name__)

Message = tuple[str, dict[str, str]]


def ensure_group(client: redis.Redis) -> None:
    """The consumer group, from the stream's first entry (the stream made if need be)."""
    import redis

    try:
        client.xgroup_create(keys.ITEMS, keys.ARCHIVER_GROUP, id="0", mkstream=True)
    except redis.ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def work_left(client: redis.Redis) -> bool:
    """Whether any crawl work is left: a worker alive, or a seeded spider's queue or in-flight
    set not empty."""
    if alive(client, "worker"):
        return True
    for spider in client.smembers(keys.SPIDERS):
        if client.zcard(keys.queue(spider)) or in_flight(client, spider):
            return True
    return False


class Consumer:
    """One archiver: claims and reads batches, archives them, acknowledges them."""

    def __init__(
        self,
        client: redis.Redis,
        archiver: Archiver,
        settings: Settings,
        *,
        forever: bool = False,
        report: Callable[[str], None] = print,
    ) -> None:
        self.redis = client
        self.archiver = archiver
        self.forever = forever
        self.report = report
        self.batch = max(1, settings.getint("POSTCRAWL_ARCHIVER_BATCH", 50))
        self.claim_idle_ms = int(settings.getfloat("POSTCRAWL_ARCHIVER_CLAIM_IDLE", 60.0) * 1000)
        self.idle_timeout = settings.getfloat("POSTCRAWL_ARCHIVER_IDLE_TIMEOUT", 10.0)
        self.interval = settings.getfloat("POSTCRAWL_HEARTBEAT_INTERVAL", 5.0)
        ttl = settings.getfloat("POSTCRAWL_HEARTBEAT_TTL", 30.0)
        self.presence = Presence(client, "archiver", ttl)
        self.outcomes: Counter[str] = Counter()
        self.stopping = False
        self._claim_from = "0-0"
        self._last_beat = 0.0

    @property
    def name(self) -> str:
        return self.presence.ident

    # -- the loop --------------------------------------------------------------------------
    def run(self) -> int:
        """Archive until done (or stopped); the exit status (1: the archive failed)."""
        import redis

        previous = {sig: signal.signal(sig, self._stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        idle_since: float | None = None
        backoff = 0.5
        try:
            ensure_group(self.redis)
            while not self.stopping:
                try:
                    self._beat()
                    handled = self._round()
                    backoff = 0.5
                except redis.RedisError as exc:
                    # Restarting, or full (noeviction refuses writes): wait, then go on. What
                    # was archived and not acknowledged comes back and is found archived.
                    logger.warning("Redis did not answer (%s); retrying in %.1f s", exc, backoff)
                    time.sleep(backoff)
                    if "NOGROUP" in str(exc):  # Redis came back without its data
                        self._claim_from = "0-0"
                        with contextlib.suppress(redis.RedisError):
                            ensure_group(self.redis)
                            copied = self.archiver.seed_seen()
                            logger.warning("Redis lost its data: %d seen URLs copied back", copied)
                    backoff = min(backoff * 2, 10.0)
                    continue
                if self.archiver.failure is not None:
                    self.report(f"postcrawl: archiver: stopped: {self.archiver.failure}")
                    return 1
                if handled:
                    idle_since = None
                    continue
                if self.forever or self.redis.xlen(keys.ITEMS) or work_left(self.redis):
                    idle_since = None
                    continue
                now = time.monotonic()
                idle_since = idle_since or now
                if now - idle_since >= self.idle_timeout:
                    break
            return 0
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            try:
                self.presence.leave()
            except redis.RedisError as exc:
                logger.warning("could not sign off from Redis: %s", exc)

    def _stop(self, signum: int, frame: Any) -> None:
        self.stopping = True

    def _beat(self) -> None:
        now = time.monotonic()
        if now - self._last_beat >= self.interval:
            self.presence.beat(outcomes=self.archiver.summary())
            forget_dead(self.redis, "archiver", older_than=3600)
            self._last_beat = now

    def _round(self) -> int:
        """One batch: claimed entries of a dead archiver, else new ones; how many handled."""
        messages = self._claim()
        redelivered = bool(messages)
        if not messages:
            messages = self._read()
        if not messages:
            return 0
        self.handle(messages, redelivered=redelivered)
        return len(messages)

    def _claim(self) -> list[Message]:
        start, messages, _deleted = self.redis.xautoclaim(
            keys.ITEMS,
            keys.ARCHIVER_GROUP,
            self.name,
            self.claim_idle_ms,
            start_id=self._claim_from,
            count=self.batch,
        )
        self._claim_from = start if messages else "0-0"
        found = [(mid, fields) for mid, fields in messages if fields is not None]
        if found:
            logger.warning("claimed %d entries left unacknowledged (an archiver died)", len(found))
        return found

    def _read(self) -> list[Message]:
        answer = self.redis.xreadgroup(
            keys.ARCHIVER_GROUP, self.name, {keys.ITEMS: ">"}, count=self.batch, block=500
        )
        return [message for _stream, messages in answer or [] for message in messages]

    # -- one batch -------------------------------------------------------------------------
    def handle(self, messages: list[Message], *, redelivered: bool = False) -> list[Result]:
        """Archive *messages* and acknowledge what is in the archive."""
        entries: list[Entry] = []
        dead: list[tuple[str, dict[str, str], str]] = []
        for mid, fields in messages:
            try:
                item = decode_item(fields.get("item", ""))
            except ItemCodecError as exc:
                dead.append((mid, fields, str(exc)))
                continue
            entries.append(Entry(mid, item, 2 if redelivered else 1))
        unreadable = len(dead)
        results = self.archiver.archive_batch(entries)
        by_id = {mid: fields for mid, fields in messages}
        dead += [(r.id, by_id[r.id], r.detail) for r in results if r.outcome == "error"]
        done = [r.id for r in results if r.ack] + [mid for mid, _, _ in dead]
        pipe = self.redis.pipeline(transaction=True)
        for mid, fields, why in dead:
            pipe.xadd(keys.DEAD_ITEMS, {**fields, "entry": mid, "error": why})
        if done:
            pipe.xack(keys.ITEMS, keys.ARCHIVER_GROUP, *done)
            pipe.xdel(keys.ITEMS, *done)
        pipe.execute()
        self.outcomes.update(r.outcome for r in results)
        if unreadable:
            self.outcomes["unreadable"] += unreadable
        return results
