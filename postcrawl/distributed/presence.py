"""Who is alive: workers and archivers announce themselves with expiring heartbeats.

Each process has an id (``host:pid:nonce``), an entry in ``postcrawl:workers`` or
``postcrawl:archivers`` (JSON: host, pid, what it runs, when it started, its last beat) and a key
``postcrawl:<kind>:<id>:alive`` that expires ``ttl`` seconds after the last beat. A process that
is killed stops beating; once its key has expired the others treat it as dead: its in-flight
requests go back to the queue (:mod:`postcrawl.distributed.worker`), its stream entries are
claimed by another archiver (:mod:`postcrawl.distributed.consumer`). ``postcrawl status`` lists
the entries, alive or not, until they are cleaned up.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from postcrawl.distributed import keys

if TYPE_CHECKING:
    import redis

Kind = Literal["worker", "archiver"]

_REGISTRY = {"worker": keys.WORKERS, "archiver": keys.ARCHIVERS}
_PROCESS_ID: str | None = None


def process_id() -> str:
    """This process's id among workers and archivers (a restarted process gets a new one)."""
    global _PROCESS_ID
    if _PROCESS_ID is None:
        _PROCESS_ID = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(2)}"
    return _PROCESS_ID


@dataclass
class Presence:
    """One process's heartbeat as a *kind* (worker or archiver)."""

    client: redis.Redis
    kind: Kind
    ttl: float
    ident: str = field(default_factory=process_id)
    info: dict[str, Any] = field(default_factory=dict)
    started: float = field(default_factory=time.time)

    def beat(self, **extra: Any) -> None:
        """Say "alive" for another *ttl* seconds; *extra* goes into the registry entry."""
        self.info.update(extra)
        entry = {
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "started": self.started,
            "beat": time.time(),
            "ttl": self.ttl,
            **self.info,
        }
        pipe = self.client.pipeline(transaction=True)
        pipe.set(keys.heartbeat(self.kind, self.ident), "1", px=max(1, int(self.ttl * 1000)))
        pipe.hset(_REGISTRY[self.kind], self.ident, json.dumps(entry, ensure_ascii=False))
        pipe.execute()

    def leave(self) -> None:
        """Gone for good (a clean exit): the heartbeat and the registry entry go."""
        pipe = self.client.pipeline(transaction=True)
        pipe.delete(keys.heartbeat(self.kind, self.ident))
        pipe.hdel(_REGISTRY[self.kind], self.ident)
        pipe.execute()


def is_alive(client: redis.Redis, kind: Kind, ident: str) -> bool:
    """Whether the *kind* process *ident* beat within its time to live."""
    return bool(client.exists(keys.heartbeat(kind, ident)))


def members(client: redis.Redis, kind: Kind) -> dict[str, dict[str, Any]]:
    """Every registered *kind* process: id → its entry, with ``alive`` added."""
    entries = client.hgetall(_REGISTRY[kind])
    if not entries:
        return {}
    idents = sorted(entries)
    pipe = client.pipeline(transaction=False)
    for ident in idents:
        pipe.exists(keys.heartbeat(kind, ident))
    alive = pipe.execute()
    out = {}
    for ident, flag in zip(idents, alive, strict=True):
        entry = json.loads(entries[ident])
        entry["alive"] = bool(flag)
        out[ident] = entry
    return out


def alive(client: redis.Redis, kind: Kind) -> list[str]:
    """The ids of the *kind* processes alive now."""
    return [ident for ident, entry in members(client, kind).items() if entry["alive"]]


def forget_dead(client: redis.Redis, kind: Kind, older_than: float) -> list[str]:
    """Drop registry entries of processes dead for more than *older_than* seconds (their
    work was handed back already); the ids dropped."""
    now = time.time()
    gone = [
        ident
        for ident, entry in members(client, kind).items()
        if not entry["alive"] and now - float(entry.get("beat", 0)) > older_than
    ]
    if gone:
        client.hdel(_REGISTRY[kind], *gone)
    return gone
