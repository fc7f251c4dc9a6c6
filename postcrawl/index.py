"""``index.sqlite3``: articles, the URLs each was seen at, what the crawl has seen, full text.

The index is derived: :func:`postcrawl.archive.rebuild_index` makes it again from the article
files and ``manifest.jsonl``, and :class:`postcrawl.archive.ArchiveStore` replays the manifest
lines it lacks (``archive_state.manifest_offset``) whenever it opens the archive. All of the
archive's SQL is here; the crawl frontier (:mod:`postcrawl.frontier`) keeps its own tables in the
same file. It is laid out for people too (``datasette data/index.sqlite3``): one row per
article with its body, one row per URL (provenance), an FTS5 ``trigram`` table over title and
body (trigram matches Chinese substrings of three characters or more).
"""

from __future__ import annotations

import json
import logging
import math
import os
import sqlite3
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 3

SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    hash TEXT PRIMARY KEY,           -- first 16 hex digits of SHA-256 of the normalized body
    path TEXT NOT NULL UNIQUE,       -- the article file, relative to the archive root
    title TEXT NOT NULL,
    published TEXT,                  -- YYYY-MM-DD[ HH:MM[:SS]], publication (not crawl) time
    day TEXT,                        -- YYYY-MM-DD
    month TEXT,                      -- YYYY-MM
    undated_reason TEXT,             -- why there is no date, for files under undated/
    source TEXT,                     -- 来源: issuing bureau or paper, else the site's name
    author TEXT,
    site TEXT NOT NULL,              -- the site row (spider name) it was stored from
    province TEXT,                   -- for bureau sites
    url TEXT,                        -- the URL it was stored from (NULL: file without manifest line)
    official_url TEXT,               -- the bureau's own page for it, where seen
    original_url TEXT,               -- the 原文链接 a repost named
    forwarded_from TEXT,             -- 转自
    attachments TEXT,                -- JSON list of attachment URLs
    crawled_at TEXT,                 -- when it was fetched (UTC)
    paragraphs INTEGER NOT NULL,
    chars INTEGER NOT NULL,
    body TEXT NOT NULL               -- the paragraphs, one per line
);
CREATE INDEX IF NOT EXISTS articles_site ON articles(site);
CREATE INDEX IF NOT EXISTS articles_month ON articles(month);
CREATE INDEX IF NOT EXISTS articles_day ON articles(day);
CREATE INDEX IF NOT EXISTS articles_source ON articles(source);

CREATE TABLE IF NOT EXISTS urls (
    url TEXT PRIMARY KEY,
    hash TEXT NOT NULL REFERENCES articles(hash),
    site TEXT NOT NULL,
    official INTEGER NOT NULL DEFAULT 0,  -- 1: a bureau's own page
    relation TEXT NOT NULL,               -- stored | duplicate | near-duplicate | claimed | redirect
    similarity REAL,                      -- 1.0 for the same normalized body
    claimed_original TEXT,                -- the 原文链接 this page gave
    crawled_at TEXT
);
CREATE INDEX IF NOT EXISTS urls_hash ON urls(hash);
-- Provenance lookups by the 原文链接 a repost claimed.
CREATE INDEX IF NOT EXISTS urls_claimed ON urls(claimed_original);

-- How far the index has applied the manifest (byte offset just past the last applied line).
CREATE TABLE IF NOT EXISTS archive_state (
    key TEXT PRIMARY KEY,
    value TEXT
);

CREATE TABLE IF NOT EXISTS seen (
    url TEXT PRIMARY KEY,
    hash TEXT,                            -- NULL when the page was seen but not archived
    status TEXT NOT NULL,                 -- stored | duplicate | skipped
    seen_at TEXT
);

CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5(
    title, body, content='articles', content_rowid='rowid', tokenize='trigram'
);
-- Articles added in the open transaction and not yet in articles_fts: flush_fts() indexes them
-- together just before COMMIT (see there why not row by row), so between transactions it is
-- empty and the full-text index agrees with articles.
CREATE TABLE IF NOT EXISTS fts_pending (
    rowid INTEGER PRIMARY KEY
);
CREATE TRIGGER IF NOT EXISTS articles_ai AFTER INSERT ON articles BEGIN
    INSERT INTO fts_pending(rowid) VALUES (new.rowid);
END;
-- A row still pending has no terms in articles_fts to delete (deleting terms that were never
-- indexed would corrupt it): it only leaves the pending list.
CREATE TRIGGER IF NOT EXISTS articles_ad AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts(articles_fts, rowid, title, body)
    SELECT 'delete', old.rowid, old.title, old.body
    WHERE NOT EXISTS (SELECT 1 FROM fts_pending WHERE rowid = old.rowid);
    DELETE FROM fts_pending WHERE rowid = old.rowid;
END;
CREATE TRIGGER IF NOT EXISTS articles_au AFTER UPDATE OF title, body ON articles BEGIN
    INSERT INTO articles_fts(articles_fts, rowid, title, body)
    SELECT 'delete', old.rowid, old.title, old.body
    WHERE NOT EXISTS (SELECT 1 FROM fts_pending WHERE rowid = old.rowid);
    INSERT OR IGNORE INTO fts_pending(rowid) VALUES (new.rowid);
END;
"""

# Versions before 3 indexed each article from its insert trigger; version 3 (above) queues it.
_DROP_ROW_TRIGGERS = """
DROP TRIGGER IF EXISTS articles_ai;
DROP TRIGGER IF EXISTS articles_ad;
DROP TRIGGER IF EXISTS articles_au;
"""

# Views for people browsing the index (datasette): additive, created on every writable
# connection so indexes made before they existed get them too.
VIEWS = """
CREATE VIEW IF NOT EXISTS monthly_counts AS
    SELECT month, site, province, COUNT(*) AS articles
    FROM articles WHERE month IS NOT NULL
    GROUP BY month, site, province;
CREATE VIEW IF NOT EXISTS reposts AS
    SELECT u.url, u.site, u.relation, u.similarity, u.official, u.claimed_original,
           u.crawled_at, a.hash, a.title, a.day, a.site AS stored_site, a.path
    FROM urls u JOIN articles a ON a.hash = u.hash
    WHERE u.relation != 'stored';
"""

ARTICLE_COLUMNS = [
    "hash",
    "path",
    "title",
    "published",
    "day",
    "month",
    "undated_reason",
    "source",
    "author",
    "site",
    "province",
    "url",
    "official_url",
    "original_url",
    "forwarded_from",
    "attachments",
    "crawled_at",
    "paragraphs",
    "chars",
    "body",
]
URL_COLUMNS = [
    "url",
    "hash",
    "site",
    "official",
    "relation",
    "similarity",
    "claimed_original",
    "crawled_at",
]


def connect_readonly(path: Path | str) -> sqlite3.Connection:
    """A read-only connection that works on a read-only archive too.

    ``mode=ro`` still needs the WAL's ``-shm`` file, and creates it if missing; where the
    folder is not writable (a shared, read-only copy) that fails, so there ``immutable=1``
    reads the database file as it is (the writer checkpoints the WAL into it when it closes).
    It is used straight away when no ``-shm`` exists and the folder is not writable (nothing
    is tried that would write), and as a fallback whenever ``mode=ro`` cannot open the file.
    """
    path = Path(path).resolve()
    uri = path.as_uri()
    if not os.access(path.parent, os.W_OK) and not Path(f"{path}-shm").exists():
        # No -shm: no writer has the index open, and mode=ro could only fail trying to
        # create one in a folder we may not write to. Read the file as it is.
        return sqlite3.connect(f"{uri}?immutable=1", uri=True, isolation_level=None)
    try:
        conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, isolation_level=None, timeout=30)
        conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
    except sqlite3.OperationalError:
        conn = sqlite3.connect(f"{uri}?immutable=1", uri=True, isolation_level=None)
    return conn


def connect(path: Path | str, *, readonly: bool = False) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), WAL, waiting on locks."""
    path = Path(path)
    if readonly:
        conn = connect_readonly(path)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, isolation_level=None, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        if conn.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
            conn.executescript(_DROP_ROW_TRIGGERS)  # (none in a new file)
            conn.executescript(SCHEMA)
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        conn.executescript(VIEWS)
        if conn.execute("SELECT 1 FROM fts_pending LIMIT 1").fetchone():
            # Left by a transaction committed without flush_fts(): transaction() indexes them.
            with transaction(conn):
                pass
    conn.row_factory = sqlite3.Row
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction, taken at once (``BEGIN IMMEDIATE``), rolled back on error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        flush_fts(conn)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def flush_fts(conn: sqlite3.Connection) -> None:
    """Add the articles inserted or changed in the open transaction to the full-text index.

    Call it before every COMMIT that may have changed ``articles`` (:func:`transaction` and
    the archive's group commit do). FTS5 writes the terms it holds out as a new segment at
    every savepoint, and a trigger runs inside one, as does each change of a group: indexing
    each row as it was inserted wrote one small segment per article (50 rows in one
    transaction, 50 segments), and merging them cost about 0.4 ms per article. One
    ``INSERT … SELECT`` per transaction writes one segment."""
    conn.execute(
        "INSERT INTO articles_fts(rowid, title, body) "
        "SELECT a.rowid, a.title, a.body FROM fts_pending p JOIN articles a ON a.rowid = p.rowid"
    )
    conn.execute("DELETE FROM fts_pending")


def _insert(
    conn: sqlite3.Connection, table: str, columns: list[str], row: Mapping[str, Any]
) -> None:
    values = [row.get(c) for c in columns]
    placeholders = ",".join("?" * len(columns))
    conn.execute(
        f"INSERT OR REPLACE INTO {table} ({','.join(columns)}) VALUES ({placeholders})", values
    )


def article_row(record: Mapping[str, Any], paragraphs: list[str]) -> dict[str, Any]:
    """An ``articles`` row from a manifest article record and the article's paragraphs."""
    published = record.get("published")
    attachments = record.get("attachments") or []
    return {
        **{c: record.get(c) for c in ARTICLE_COLUMNS},
        "day": published[:10] if published else None,
        "month": published[:7] if published else None,
        "attachments": json.dumps(attachments, ensure_ascii=False) if attachments else None,
        "official_url": record.get("url") if record.get("official") else None,
        "paragraphs": len(paragraphs),
        "chars": sum(len(p) for p in paragraphs),
        "body": "\n".join(paragraphs),
    }


def insert_article(conn: sqlite3.Connection, row: Mapping[str, Any]) -> None:
    """Add (or replace) one article row; the FTS table follows through triggers."""
    # DELETE before INSERT: REPLACE would skip the FTS delete trigger.
    conn.execute("DELETE FROM articles WHERE hash = ?", (row["hash"],))
    _insert(conn, "articles", ARTICLE_COLUMNS, row)


def delete_article(conn: sqlite3.Connection, body_hash: str) -> None:
    conn.execute("DELETE FROM articles WHERE hash = ?", (body_hash,))


def article_path(conn: sqlite3.Connection, body_hash: str) -> str | None:
    """The file of the archived article with this hash, if any."""
    row = conn.execute("SELECT path FROM articles WHERE hash = ?", (body_hash,)).fetchone()
    return row[0] if row else None


def article_body(conn: sqlite3.Connection, body_hash: str) -> list[str] | None:
    """The paragraphs of an archived article."""
    row = conn.execute("SELECT body FROM articles WHERE hash = ?", (body_hash,)).fetchone()
    return row[0].split("\n") if row else None


def stored_from_official(conn: sqlite3.Connection, body_hash: str) -> bool:
    """Whether the archived article was stored from its official (bureau) page."""
    row = conn.execute(
        "SELECT url IS NOT NULL AND url = official_url FROM articles WHERE hash = ?",
        (body_hash,),
    ).fetchone()
    return bool(row and row[0])


def hash_at_urls(conn: sqlite3.Connection, urls: Sequence[str]) -> str | None:
    """The article seen at any of *urls*."""
    row = conn.execute(
        f"SELECT hash FROM urls WHERE url IN ({','.join('?' * len(urls))})", list(urls)
    ).fetchone()
    return row[0] if row else None


def hash_claiming(conn: sqlite3.Connection, urls: Sequence[str]) -> str | None:
    """The article a repost stored from a page that named any of *urls* as its 原文链接."""
    row = conn.execute(
        f"SELECT hash FROM urls WHERE claimed_original IN ({','.join('?' * len(urls))})",
        list(urls),
    ).fetchone()
    return row[0] if row else None


def url_hash(conn: sqlite3.Connection, url: str) -> str | None:
    """The article *url* is recorded for, if any."""
    row = conn.execute("SELECT hash FROM urls WHERE url = ?", (url,)).fetchone()
    return row[0] if row else None


def move_urls(
    conn: sqlite3.Connection, old: str, new: str, relation: str, similarity: float | None
) -> None:
    """Every URL of article *old* now belongs to *new*; the one *old* was stored from becomes
    a repost (*relation*, *similarity*), and what the crawl has seen follows."""
    conn.execute(
        "UPDATE urls SET hash = ?, "
        "relation = CASE relation WHEN 'stored' THEN ? ELSE relation END, "
        "similarity = CASE relation WHEN 'stored' THEN ? ELSE similarity END "
        "WHERE hash = ?",
        (new, relation, similarity, old),
    )
    conn.execute("UPDATE seen SET hash = ?, status = 'duplicate' WHERE hash = ?", (new, old))


def manifest_offset(conn: sqlite3.Connection) -> int | None:
    """How far the index has applied the manifest; ``None`` for an index from before offsets."""
    row = conn.execute("SELECT value FROM archive_state WHERE key = 'manifest_offset'").fetchone()
    return int(row[0]) if row else None


def set_manifest_offset(conn: sqlite3.Connection, offset: int) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO archive_state (key, value) VALUES ('manifest_offset', ?)",
        (str(offset),),
    )


def count_articles(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0])


def article_paths(conn: sqlite3.Connection) -> dict[str, str]:
    """Every indexed article: hash → path."""
    return dict(conn.execute("SELECT hash, path FROM articles").fetchall())


def insert_url(conn: sqlite3.Connection, row: Mapping[str, Any]) -> None:
    """Record that an article was seen at a URL. A bureau page becomes the article's official URL."""
    _insert(conn, "urls", URL_COLUMNS, row)
    if row.get("official"):
        conn.execute(
            "UPDATE articles SET official_url = ? WHERE hash = ? AND official_url IS NULL",
            (row["url"], row["hash"]),
        )


def mark_seen(
    conn: sqlite3.Connection, url: str, body_hash: str | None, status: str, seen_at: str | None
) -> None:
    """Remember that *url* was fetched and what became of it."""
    conn.execute(
        "INSERT OR REPLACE INTO seen (url, hash, status, seen_at) VALUES (?, ?, ?, ?)",
        (url, body_hash, status, seen_at),
    )


def clear(conn: sqlite3.Connection) -> None:
    """Empty every table (inside the caller's transaction), keeping the schema."""
    for table in ("urls", "seen", "articles", "archive_state"):
        conn.execute(f"DELETE FROM {table}")
    conn.execute("INSERT INTO articles_fts(articles_fts) VALUES ('delete-all')")
    conn.execute("DELETE FROM fts_pending")


# -- the full-text index's segments ----------------------------------------------------------
#
# FTS5 writes each transaction's new rows as a new segment (b-tree) and merges segments of a
# level together once there are four (``automerge``). A crawl commits one article per
# transaction, so a large archive has some fifteen to thirty segments, and every full-text
# lookup -- above all the search walk's one-article test -- seeks in each of them. ``optimize``
# merges them into one. It rewrites the whole full-text index, so it runs at a crawl's end
# (:func:`postcrawl.crawl_archive.finish_crawl`), not per article.

# A crawl's end merges the segments again once the articles added since the last merge are
# this many, and at least this share of the archive. The merge rewrites the whole full-text
# index (85 s at 200,000 articles), so a daily run adding a few articles must not pay it each
# time; the few small segments they add cost a search little (FTS5 merges small segments as it
# goes), and a backfill or a few weeks of runs bring the next full merge.
FTS_OPTIMIZE_AFTER = 1
FTS_OPTIMIZE_SHARE = 0.05
_FTS_OPTIMIZED_AT = "fts_optimized_rowid"  # archive_state: max(rowid) when it last ran


@dataclass(frozen=True)
class FtsOptimize:
    """What :func:`optimize_fts` did: how many articles were new, whether it merged, how long."""

    new_articles: int
    optimized: bool
    seconds: float = 0.0


def articles_since_optimize(conn: sqlite3.Connection) -> int:
    """Articles added since the full-text index was last merged into one segment (the rowids
    past the highest one then: new rows take the next rowid, so no count is needed)."""
    top = conn.execute("SELECT max(rowid) FROM articles").fetchone()[0] or 0
    row = conn.execute(
        "SELECT value FROM archive_state WHERE key = ?", (_FTS_OPTIMIZED_AT,)
    ).fetchone()
    done = int(row[0]) if row else 0
    # A rebuilt or emptied index starts its rowids again below the recorded one.
    return top - done if top >= done else top


def optimize_fts(
    conn: sqlite3.Connection,
    lock: AbstractContextManager[object] | None = None,
    *,
    after: int | None = None,
) -> FtsOptimize:
    """Merge the full-text index into one segment when *after* articles or more were added
    since that was last done (default: :data:`FTS_OPTIMIZE_AFTER` and
    :data:`FTS_OPTIMIZE_SHARE` of the archive, read when called); *lock* (the archive lock) is held while it runs, so other
    writers wait for it instead of timing out on SQLite's busy lock. Never raises: a failure
    (a full disk, a locked database) is logged and leaves the index as it was, still correct."""
    started = time.perf_counter()
    new = 0
    try:
        new = articles_since_optimize(conn)
        if after is None:
            total = conn.execute("SELECT count(*) FROM articles").fetchone()[0] or 0
            after = max(FTS_OPTIMIZE_AFTER, math.ceil(FTS_OPTIMIZE_SHARE * total))
        if new < max(1, after):
            return FtsOptimize(new, False)
        with lock or nullcontext(), transaction(conn):
            conn.execute("INSERT INTO articles_fts(articles_fts) VALUES ('optimize')")
            top = conn.execute("SELECT max(rowid) FROM articles").fetchone()[0] or 0
            conn.execute(
                "INSERT OR REPLACE INTO archive_state (key, value) VALUES (?, ?)",
                (_FTS_OPTIMIZED_AT, str(top)),
            )
    except sqlite3.Error as exc:
        logger.warning("full-text index not optimized: %s", exc)
        return FtsOptimize(new, False, time.perf_counter() - started)
    seconds = time.perf_counter() - started
    logger.info("full-text index optimized (%d new articles) in %.1f s", new, seconds)
    return FtsOptimize(new, True, seconds)


def fts_segments(conn: sqlite3.Connection) -> int:
    """How many segments the full-text index has (those of more than one page: a one-page
    segment has no entry in the ``_idx`` table, so this is a lower bound)."""
    return int(conn.execute("SELECT count(DISTINCT segid) FROM articles_fts_idx").fetchone()[0])
