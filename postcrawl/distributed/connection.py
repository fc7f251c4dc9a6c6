"""Connecting to the Redis server of distributed mode (``POSTCRAWL_REDIS_URL``)."""

from __future__ import annotations

import os
import socket
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import redis

INSTALL_HINT = "distributed mode needs the redis extras: pip install -e '.[distributed]'"


class RedisUnavailable(RuntimeError):
    """The Redis client libraries are missing, or the server does not answer."""


def redis_url(settings: Any) -> str | None:
    """The Redis URL a crawl's settings name (``POSTCRAWL_REDIS_URL``; the environment variable
    of that name is read by ``postcrawl/settings.py``), or ``None``: embedded mode."""
    value = settings.get("POSTCRAWL_REDIS_URL") if settings is not None else None
    if value is None:
        value = os.environ.get("POSTCRAWL_REDIS_URL")
    return (str(value).strip() or None) if value else None


def connect(url: str, *, decode: bool = True) -> redis.Redis:
    """A client of the server at *url*; strings decoded unless *decode* is false (the request
    queue holds pickled bytes). Raises :class:`RedisUnavailable` when the package is missing."""
    try:
        import redis
    except ImportError:  # pragma: no cover - the extra is part of the test install
        raise RedisUnavailable(INSTALL_HINT) from None
    # A dead server must not hang a worker forever, nor fail it on one slow answer.
    return redis.Redis.from_url(
        url,
        decode_responses=decode,
        socket_timeout=30,
        socket_connect_timeout=10,
        retry_on_timeout=True,
        health_check_interval=30,
    )


def check(client: redis.Redis, url: str) -> None:
    """Ping the server; :class:`RedisUnavailable` with the URL (password hidden) if it is down."""
    import redis

    try:
        client.ping()
    except redis.RedisError as exc:
        raise RedisUnavailable(f"no answer from Redis at {safe_url(url)}: {exc}") from None


def safe_url(url: str) -> str:
    """*url* without its password, for messages and logs."""
    scheme, sep, rest = url.partition("://")
    if "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}{sep}{user + ':***@' if user else '***@'}{host}"


def process_id() -> str:
    """This process's name among workers and archivers: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"
