"""The shared request queue: scrapy-redis's priority queue, made safe against a killed worker.

scrapy-redis pops a request by removing it from the queue; a worker killed before it has
handled the request loses it, and the request fingerprint (kept for the whole run) stops anyone
from scheduling it again. :class:`ReliablePriorityQueue` instead *moves* requests, in one Lua
script, into the worker's in-flight set (``postcrawl:<spider>:inflight:<worker>``, a sorted set
with the same priority scores), a few at a time (``POSTCRAWL_WORKER_PREFETCH``).

What handling a request produces is *staged* — the requests its callback yields (each pushed
by a Lua script that checks the run's fingerprints and queues it, as scrapy-redis's dupefilter
and queue do in two calls) and the items for the archiver — and sent when the engine has
finished with the request, in one MULTI/EXEC together with the request's removal from the
in-flight set (:meth:`ReliablePriorityQueue.done`). So a request leaves the in-flight set only
with everything it produced, in one round trip: a worker killed at any moment has either sent
all of a request's output and released it, or neither, and :func:`reclaim_dead` puts the
in-flight requests of workers whose heartbeat expired back into the queue, where another worker
takes them. A request is therefore handled at least once; an item sent twice (a page fetched
again after a kill) is recognized by the archiver as archived already.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from scrapy import Request
from scrapy_redis.queue import PriorityQueue

from postcrawl.distributed import keys
from postcrawl.distributed.presence import is_alive

if TYPE_CHECKING:
    import redis

logger = logging.getLogger(__name__)

# KEYS: queue, in-flight; ARGV: how many. The lowest scores (highest priorities) move; returns
# member, score, member, score, ...
_TAKE = """
local found = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1, 'WITHSCORES')
for i = 1, #found, 2 do
  redis.call('ZREM', KEYS[1], found[i])
  redis.call('ZADD', KEYS[2], found[i + 1], found[i])
end
return found
"""

# KEYS: in-flight, queue. Every member goes back with its score; returns how many.
_GIVE_BACK = """
local found = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
for i = 1, #found, 2 do
  redis.call('ZADD', KEYS[2], found[i + 1], found[i])
end
redis.call('DEL', KEYS[1])
return #found / 2
"""

# KEYS: fingerprints of the run, queue; ARGV: fingerprint ('' for dont_filter), score, request.
# scrapy-redis's dupefilter (SADD) and push (ZADD) in one step; 1 if queued, 0 if a repeat.
_PUSH = """
if ARGV[1] ~= '' and redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
"""


class ReliablePriorityQueue(PriorityQueue):
    """scrapy-redis's :class:`~scrapy_redis.queue.PriorityQueue` whose requests stay in this
    worker's in-flight set until :meth:`done`. :meth:`bind` names the worker; unbound
    (``postcrawl enqueue``), the queue only takes pushes."""

    def __init__(self, server: redis.Redis, spider: Any, key: str, serializer: Any = None) -> None:
        super().__init__(server, spider, key, serializer)
        self.inflight_key: str | None = None
        self.dupefilter_key = keys.dupefilter(spider.name)
        self.prefetch = 1
        self._take = server.register_script(_TAKE)
        self._give_back = server.register_script(_GIVE_BACK)
        self._push = server.register_script(_PUSH)
        self._method_names: dict[Any, str] = {}
        # Taken from Redis, not yet handed to the engine: (request, its member, its score).
        self._taken: deque[tuple[Request, bytes, float]] = deque()
        # id(request) -> (request, its member, its score): what the engine is handling.
        self._held: dict[int, tuple[Request, bytes, float]] = {}
        self._requeue: set[int] = set()  # ids of held requests to queue again when done
        # Staged until the request that produced them is done (see the module's docstring).
        self._pushes: list[tuple[str, float, bytes]] = []
        self._items: list[dict[str, str]] = []
        self._releases: list[bytes] = []
        self._returns: list[tuple[bytes, float]] = []
        self.on_flush: Callable[[int, int, int], None] | None = None

    def bind(self, worker: str, prefetch: int = 1) -> None:
        """Take into *worker*'s in-flight set from now on, *prefetch* requests at a time."""
        self.inflight_key = keys.inflight(self.spider.name, worker)
        self.prefetch = max(1, prefetch)

    def _encode_request(self, request: Request) -> bytes:
        # What Request.to_dict(spider=...) makes, except that to_dict looks a callback's name
        # up with inspect.getmembers() over the whole spider for every request; here each
        # name is found once. Callbacks must be the spider's own methods.
        data: dict[str, Any] = {
            "url": request.url,
            "callback": self._name_of(request.callback, request),
            "errback": self._name_of(request.errback, request),
            "headers": dict(request.headers),
        }
        for attr in request.attributes:
            data.setdefault(attr, getattr(request, attr))
        if type(request) is not Request:
            data["_class"] = f"{type(request).__module__}.{type(request).__name__}"
        return self.serializer.dumps(data)

    def _name_of(self, func: Any, request: Request) -> str | None:
        if func is None or isinstance(func, str):
            return func
        if getattr(func, "__self__", None) is not self.spider:
            raise ValueError(f"the callback {func!r} of {request} is not a method of the spider")
        name = self._method_names.get(func.__func__)
        if name is None:
            name = self._method_names[func.__func__] = _method_name(self.spider, func)
        return name

    # -- taking ----------------------------------------------------------------------------
    def pop(self, timeout: int = 0) -> Request | None:
        if self.inflight_key is None:
            raise RuntimeError("an unbound queue only takes pushes (postcrawl enqueue)")
        if not self._held:
            # Output whose sending failed (Redis was away) while the engine finished its last
            # requests: no done() is left to send it, and the staged pushes (local()) keep the
            # engine from idling, so the idle check never does either. It goes now, before the
            # take it may feed.
            self.flush()
        if not self._taken:
            found = self._take(keys=[self.key, self.inflight_key], args=[self.prefetch])
            for member, score in zip(found[::2], found[1::2], strict=True):
                self._taken.append((self._decode_request(member), member, float(score)))
        if not self._taken:
            return None
        request, member, score = self._taken.popleft()
        self._held[id(request)] = (request, member, score)
        return request

    def local(self) -> int:
        """Requests this worker has and Redis does not: taken but not handed to the engine yet,
        and staged pushes not sent."""
        return len(self._taken) + len(self._pushes)

    # -- staging and sending ---------------------------------------------------------------
    def stage_push(self, request: Request, fingerprint: str | None) -> None:
        """Queue *request* (unless *fingerprint* is in the run's set) with the output of the
        request being handled."""
        self._pushes.append((fingerprint or "", -request.priority, self._encode_request(request)))

    def stage_item(self, fields: dict[str, str]) -> None:
        """Send a stream entry for the archiver with the output of the request being handled."""
        self._items.append(fields)

    def requeue(self, request: Request) -> None:
        """Queue *request* again when the engine is done with it, instead of releasing it: its
        handling failed on Redis (a restart), so what it would have produced may be missing."""
        if id(request) in self._held:
            self._requeue.add(id(request))

    def done(self, request: Request) -> None:
        """The engine has finished with *request*: it leaves the in-flight set (or goes back
        to the queue, see :meth:`requeue`), and what it produced is sent, in one transaction."""
        held = self._held.pop(id(request), None)
        if held is not None:
            self._releases.append(held[1])
            if id(request) in self._requeue:
                self._requeue.discard(id(request))
                self._returns.append((held[1], held[2]))
        self.flush()

    def flush(self) -> None:
        """Send what is staged: pushes, then items, then releases, in one MULTI/EXEC. When
        Redis does not answer it all stays staged (and the requests in flight) for the next
        try (the next :meth:`done`, or :meth:`pop` once no request is being handled); a worker
        that dies meanwhile loses nothing (see the module's docstring)."""
        if not (self._pushes or self._items or self._releases):
            return
        pipe = self.server.pipeline(transaction=True)
        for fingerprint, score, data in self._pushes:
            self._push(
                keys=[self.dupefilter_key, self.key], args=[fingerprint, score, data], client=pipe
            )
        for fields in self._items:
            pipe.xadd(keys.ITEMS, fields)  # type: ignore[arg-type]
        if self._returns:
            pipe.zadd(self.key, dict(self._returns))
        if self._releases and self.inflight_key is not None:
            pipe.zrem(self.inflight_key, *self._releases)
        answers = pipe.execute()
        queued = sum(int(a) for a in answers[: len(self._pushes)])
        counts = (queued, len(self._pushes) - queued, len(self._items))
        self._pushes, self._items, self._releases, self._returns = [], [], [], []
        if self.on_flush is not None:
            self.on_flush(*counts)

    def held(self) -> int:
        """Requests this worker took and has not finished."""
        return len(self._held) + len(self._taken)

    def reclaim_unanswered(self) -> int:
        """Put back into the queue what this worker's in-flight set holds while the worker
        itself holds nothing (an idle engine): requests of a take that Redis applied but could
        not answer, killed or restarted before its reply. Nobody would handle them otherwise,
        and the run would never end. How many went back."""
        if self.inflight_key is None or self.held():
            return 0
        return int(self._give_back(keys=[self.inflight_key, self.key]))

    def give_back(self) -> int:
        """Send what is staged, then put every request of this worker's in-flight set back
        into the queue (at close)."""
        self.flush()
        self._held.clear()
        self._taken.clear()
        self._requeue.clear()
        if self.inflight_key is None:
            return 0
        return int(self._give_back(keys=[self.inflight_key, self.key]))


def _method_name(spider: Any, func: Any) -> str:
    """The spider attribute name of the bound method *func* (what Scrapy's to_dict records)."""
    for klass in type(spider).__mro__:
        for name, value in vars(klass).items():
            if value is func.__func__:
                return name
    raise ValueError(f"{func!r} is not a method of {spider!r}")


def inflight_keys(client: redis.Redis, spider: str) -> list[str]:
    """Every worker's in-flight set of *spider* (empty sets do not exist in Redis)."""
    return sorted(client.scan_iter(match=keys.inflight_pattern(spider), count=1000))


def worker_of(inflight_key: str | bytes) -> str:
    """The worker id an in-flight key names."""
    text = inflight_key.decode() if isinstance(inflight_key, bytes) else inflight_key
    return text.split(":inflight:", 1)[1]


def reclaim_dead(client: redis.Redis, spider: str) -> int:
    """Put the in-flight requests of *spider*'s dead workers (heartbeat expired) back into its
    queue; how many went back."""
    script = client.register_script(_GIVE_BACK)
    moved = 0
    for key in inflight_keys(client, spider):
        if not is_alive(client, "worker", worker_of(key)):
            moved += int(script(keys=[key, keys.queue(spider)]))
    return moved


def in_flight(client: redis.Redis, spider: str) -> int:
    """Requests of *spider* that workers (alive or dead) hold."""
    pipe = client.pipeline(transaction=False)
    for key in inflight_keys(client, spider):
        pipe.zcard(key)
    return sum(int(n) for n in pipe.execute())
