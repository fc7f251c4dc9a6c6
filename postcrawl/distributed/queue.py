"""The shared request queue: scrapy-redis's priority queue, made safe against a killed worker.

scrapy-redis pops a request by removing it from the queue; a worker killed before it has
handled the request loses it, and the request fingerprint (kept for the whole run) stops anyone
from scheduling it again. :class:`ReliablePriorityQueue` instead *moves* the request, in one
Lua script, into the worker's in-flight set (``postcrawl:<spider>:inflight:<worker>``, a sorted
set with the same priority scores), and removes it from there only when the engine has finished
with it: its response went through the callback, the items it gave were sent to the stream and
the requests it gave were queued (:meth:`done`). :func:`reclaim_dead` puts the in-flight
requests of workers whose heartbeat expired back into the queue, where another worker takes
them. So a request is handled at least once; a page may be fetched twice when a worker dies
after sending its item, and the archiver recognizes that item as archived already.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scrapy import Request
from scrapy_redis.queue import PriorityQueue

from postcrawl.distributed import keys
from postcrawl.distributed.presence import is_alive

if TYPE_CHECKING:
    import redis

# KEYS: queue, in-flight. The lowest score (highest priority) moves; returns the member.
_TAKE = """
local found = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #found == 0 then return false end
redis.call('ZREM', KEYS[1], found[1])
redis.call('ZADD', KEYS[2], found[2], found[1])
return found[1]
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


class ReliablePriorityQueue(PriorityQueue):
    """scrapy-redis's :class:`~scrapy_redis.queue.PriorityQueue` whose :meth:`pop` keeps the
    request in this worker's in-flight set until :meth:`done`. :meth:`bind` names the worker;
    unbound (``postcrawl enqueue``), the queue only takes pushes."""

    def __init__(self, server: redis.Redis, spider: Any, key: str, serializer: Any = None) -> None:
        super().__init__(server, spider, key, serializer)
        self.inflight_key: str | None = None
        self._take = server.register_script(_TAKE)
        self._give_back = server.register_script(_GIVE_BACK)
        # id(request) -> (request, its queue member): what this worker holds.
        self._held: dict[int, tuple[Request, bytes]] = {}
        self._method_names: dict[Any, str] = {}

    def bind(self, worker: str) -> None:
        """Pop into *worker*'s in-flight set from now on."""
        self.inflight_key = keys.inflight(self.spider.name, worker)

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

    def pop(self, timeout: int = 0) -> Request | None:
        if self.inflight_key is None:
            raise RuntimeError("an unbound queue only takes pushes (postcrawl enqueue)")
        member = self._take(keys=[self.key, self.inflight_key])
        if not member:
            return None
        request = self._decode_request(member)
        self._held[id(request)] = (request, member)
        return request

    def done(self, request: Request) -> None:
        """The engine has finished with *request*: it leaves the in-flight set."""
        held = self._held.pop(id(request), None)
        if held is not None and self.inflight_key is not None:
            self.server.zrem(self.inflight_key, held[1])

    def held(self) -> int:
        """Requests this worker took and has not finished."""
        return len(self._held)

    def give_back(self) -> int:
        """Every request of this worker's in-flight set back into the queue (at close)."""
        self._held.clear()
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
