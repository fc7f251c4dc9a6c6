"""What the crawl has already seen: URLs fetched and bodies archived.

Spiders ask it before fetching (incremental crawls), the dedupe pipeline before storing.
:class:`SeenStore` is the whole interface, so a shared backend (Redis, for crawls spread over
machines) can replace the SQLite one, which lives in ``index.sqlite3`` beside the articles.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

from postcrawl import index

SeenStatus = Literal["stored", "duplicate", "skipped"]


@runtime_checkable
class SeenStore(Protocol):
    """Answers "have we seen this URL / this body?" and records new sightings."""

    def url_seen(self, url: str) -> bool:
        """Whether *url* was fetched before and its outcome recorded (failures are not)."""
        ...

    def hash_seen(self, body_hash: str) -> bool:
        """Whether an article with this normalized-body hash is archived."""
        ...

    def mark(
        self, url: str, body_hash: str | None, status: SeenStatus, seen_at: str | None
    ) -> None:
        """Record what became of *url*."""
        ...

    def close(self) -> None:
        """Release the backend."""
        ...


class SqliteSeenStore:
    """The default :class:`SeenStore`: the ``seen`` and ``articles`` tables of ``index.sqlite3``.

    Given a connection (the archive store's own), marks join the caller's transaction; given a
    path, it opens its own connection (read-only when the index does not exist yet is not
    possible, so it creates the index).
    """

    def __init__(self, conn_or_path: sqlite3.Connection | Path | str) -> None:
        if isinstance(conn_or_path, sqlite3.Connection):
            self._conn, self._owned = conn_or_path, False
        else:
            self._conn, self._owned = index.connect(conn_or_path), True

    def url_seen(self, url: str) -> bool:
        row = self._conn.execute("SELECT 1 FROM seen WHERE url = ?", (url,)).fetchone()
        return row is not None

    def hash_seen(self, body_hash: str) -> bool:
        row = self._conn.execute("SELECT 1 FROM articles WHERE hash = ?", (body_hash,)).fetchone()
        return row is not None

    def mark(
        self, url: str, body_hash: str | None, status: SeenStatus, seen_at: str | None
    ) -> None:
        index.mark_seen(self._conn, url, body_hash, status, seen_at)

    def close(self) -> None:
        if self._owned:
            self._conn.close()
