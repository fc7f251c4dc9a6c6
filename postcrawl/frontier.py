"""The crawl frontier: every article URL a list or the API has shown, until it is archived,
deliberately skipped, or given up (docs/archive-format.md, "The crawl frontier").

An article URL is recorded as soon as a list shows it, before it is requested. It stays
*pending* until the archive has seen it (stored, a duplicate, skipped); every run first
re-requests what is pending — work an interrupted run never finished, and earlier failures —
and only then reads the lists. A URL that keeps failing is given up after a number of runs.

Lists are walked newest first. A walk that reaches the end of a list, or reaches entries a
completed walk already covered, records a *watermark*: the newest entry it saw. Paging may stop
early only on a page whose entries are all known **and** at or past the watermark of a
completed walk, so entries deeper in a list than any finished walk reached are never skipped.

:class:`Frontier` is the whole interface (a shared backend can replace the SQLite one, which
lives in ``index.sqlite3`` beside the articles).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from postcrawl import index
from postcrawl.items import utc_now

SCHEMA = """
CREATE TABLE IF NOT EXISTS frontier (
    url TEXT PRIMARY KEY,            -- the article URL on the real site
    site TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'listed',  -- listed | given-up (done = in the seen table)
    list_url TEXT,                   -- the list page or API page that showed it
    title TEXT,                      -- what the list said (hints for extraction)
    published TEXT,
    source TEXT,
    author TEXT,
    listed_at TEXT,
    failures INTEGER NOT NULL DEFAULT 0,   -- runs in a row in which fetching it failed
    last_reason TEXT,
    last_failed_run TEXT
);
CREATE INDEX IF NOT EXISTS frontier_site ON frontier(site, state);
CREATE TABLE IF NOT EXISTS site_channels (
    site TEXT NOT NULL,
    list_url TEXT NOT NULL,          -- a channel list discovery found (the real site's URL)
    label TEXT,
    channel_id TEXT,                 -- the 32-hex id its "more" link named
    code TEXT,
    more_url TEXT,
    api TEXT,                        -- yes | no | none | not needed: the API's last outcome
    discovered_at TEXT NOT NULL,
    PRIMARY KEY (site, list_url)
);
CREATE TABLE IF NOT EXISTS list_walks (
    list_key TEXT PRIMARY KEY,       -- <site>:<list> (a channel path, an API channel id, …)
    head_url TEXT,                   -- the newest entry when the last complete walk began
    head_published TEXT,
    completed_at TEXT
);
"""

# Failures that will not heal by waiting: given up after POSTCRAWL_GIVE_UP_RUNS runs in a row.
PERMANENT_REASONS = ("HTTP 404", "HTTP 410", "no article", "Forbidden by robots.txt")


def is_permanent(reason: str) -> bool:
    """Whether a failure reason is one that retrying later is unlikely to cure."""
    return reason.startswith(PERMANENT_REASONS)


@dataclass(frozen=True)
class Listed:
    """An article URL as a list showed it, with what the list said about it."""

    url: str
    site: str
    list_url: str | None = None
    title: str | None = None
    published: str | None = None
    source: str | None = None
    author: str | None = None
    failures: int = 0
    last_reason: str | None = None


@dataclass(frozen=True)
class Watermark:
    """The newest entry of a list when a complete walk of it began."""

    url: str
    published: str | None = None

    def covers(self, url: str, published: str | None) -> bool:
        """Whether an entry is this one or older (so a complete walk has been past it)."""
        if url == self.url:
            return True
        return bool(published and self.published and published[:10] < self.published[:10])


@runtime_checkable
class Frontier(Protocol):
    """Records listed URLs, hands back what is pending, keeps failures and list watermarks."""

    def add(self, entry: Listed) -> None:
        """Record a listed URL (no change when it is on record already)."""
        ...

    def add_many(self, entries: Sequence[Listed]) -> None:
        """Record the listed URLs of one list page at once (one write, not one per URL)."""
        ...

    def is_listed(self, url: str) -> bool:
        """Whether *url* is on record (pending, done or given up)."""
        ...

    def pending(self, site: str) -> list[Listed]:
        """The site's listed URLs the archive has not seen and that were not given up."""
        ...

    def outstanding(self, site: str) -> list[Listed]:
        """Pending URLs that failed in an earlier run (still to be retried)."""
        ...

    def record_failures(
        self, failures: Mapping[str, str], run_id: str, *, give_up_runs: int, transient_runs: int
    ) -> list[tuple[str, str]]:
        """Count this run's failures (url → reason); the URLs given up now, with reasons."""
        ...

    def watermark(self, list_key: str) -> Watermark | None:
        """The watermark of the last complete walk of a list."""
        ...

    def complete_walk(self, list_key: str, head: Watermark) -> None:
        """Record that a walk of a list that began at *head* is complete."""
        ...

    def save_channels(self, site: str, channels: list[dict[str, str | None]]) -> None:
        """Replace what discovery found on *site* (one dict per channel list; no list: forget)."""
        ...

    def channels(self, site: str) -> tuple[list[dict[str, str | None]], str | None]:
        """The channel lists discovery last found on *site*, and when (UTC ISO time)."""
        ...


class SqliteFrontier:
    """The default :class:`Frontier`, in the archive's ``index.sqlite3`` (its own tables,
    which a rebuild of the index keeps: they are crawl state, not derived from the manifest)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        conn.executescript(SCHEMA)

    def add(self, entry: Listed) -> None:
        self.add_many([entry])

    def add_many(self, entries: Sequence[Listed]) -> None:
        if not entries:
            return
        now = utc_now()
        rows = [
            (e.url, e.site, e.list_url, e.title, e.published, e.source, e.author, now)
            for e in entries
        ]
        with index.transaction(self.conn):
            self.conn.executemany(
                "INSERT OR IGNORE INTO frontier "
                "(url, site, list_url, title, published, source, author, listed_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )

    def is_listed(self, url: str) -> bool:
        row = self.conn.execute("SELECT 1 FROM frontier WHERE url = ?", (url,)).fetchone()
        return row is not None

    def pending(self, site: str) -> list[Listed]:
        rows = self.conn.execute(
            "SELECT url, site, list_url, title, published, source, author, failures, last_reason "
            "FROM frontier f WHERE site = ? AND state = 'listed' "
            "AND NOT EXISTS (SELECT 1 FROM seen s WHERE s.url = f.url) "
            "ORDER BY published DESC, url",
            (site,),
        ).fetchall()
        return [Listed(*row) for row in rows]

    def outstanding(self, site: str) -> list[Listed]:
        """Pending URLs that failed in an earlier run (still to be retried)."""
        return [entry for entry in self.pending(site) if entry.failures]

    def given_up(self, site: str) -> list[Listed]:
        rows = self.conn.execute(
            "SELECT url, site, list_url, title, published, source, author, failures, last_reason "
            "FROM frontier WHERE site = ? AND state = 'given-up' ORDER BY url",
            (site,),
        ).fetchall()
        return [Listed(*row) for row in rows]

    def record_failures(
        self, failures: Mapping[str, str], run_id: str, *, give_up_runs: int, transient_runs: int
    ) -> list[tuple[str, str]]:
        given_up: list[tuple[str, str]] = []
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            for url, reason in failures.items():
                row = self.conn.execute(
                    "SELECT failures, last_failed_run FROM frontier "
                    "WHERE url = ? AND state = 'listed'",
                    (url,),
                ).fetchone()
                if row is None:
                    continue  # not an article URL a list showed (a list page, an alias)
                count = row[0] + (row[1] != run_id)
                limit = give_up_runs if is_permanent(reason) else transient_runs
                state = "given-up" if limit and count >= limit else "listed"
                self.conn.execute(
                    "UPDATE frontier SET failures = ?, last_reason = ?, last_failed_run = ?, "
                    "state = ? WHERE url = ?",
                    (count, reason, run_id, state, url),
                )
                if state == "given-up":
                    given_up.append((url, f"{reason}, {count} runs in a row"))
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")
        return given_up

    def watermark(self, list_key: str) -> Watermark | None:
        row = self.conn.execute(
            "SELECT head_url, head_published FROM list_walks WHERE list_key = ?", (list_key,)
        ).fetchone()
        return Watermark(row[0], row[1]) if row and row[0] else None

    def complete_walk(self, list_key: str, head: Watermark) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO list_walks (list_key, head_url, head_published, completed_at) "
            "VALUES (?, ?, ?, ?)",
            (list_key, head.url, head.published, utc_now()),
        )

    def save_channels(self, site: str, channels: list[dict[str, str | None]]) -> None:
        now = utc_now()
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            self.conn.execute("DELETE FROM site_channels WHERE site = ?", (site,))
            self.conn.executemany(
                "INSERT OR REPLACE INTO site_channels (site, list_url, label, channel_id, code, "
                "more_url, api, discovered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        site,
                        c["list"],
                        c.get("label"),
                        c.get("channel_id"),
                        c.get("code"),
                        c.get("more"),
                        c.get("api"),
                        now,
                    )
                    for c in channels
                ],
            )
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def channels(self, site: str) -> tuple[list[dict[str, str | None]], str | None]:
        rows = self.conn.execute(
            "SELECT list_url, label, channel_id, code, more_url, api, discovered_at "
            "FROM site_channels WHERE site = ? ORDER BY rowid",
            (site,),
        ).fetchall()
        found = [
            {
                "list": r[0],
                "label": r[1],
                "channel_id": r[2],
                "code": r[3],
                "more": r[4],
                "api": r[5],
            }
            for r in rows
        ]
        return found, (min(r[6] for r in rows) if rows else None)
