"""The archive writer: one :class:`ArchiveStore` per process, under one lock per archive.

The store decides, under the lock, what a write is — a new article, a further URL of an archived
one, an official page replacing a repost, a skip — and answers what the archive holds. Its
parts: :mod:`~postcrawl.archive.commit` writes each change in the documented order (the
article text to a temp file, the manifest line as the commit point, the rename, the index;
docs/archive-format.md, "Writing and recovery"), and :mod:`~postcrawl.archive.recovery` brings
the index up to the manifest. Opening the archive recovers from a crash at any step, and each
write first replays the lines another process left unapplied: a torn manifest tail is cut off,
manifest lines past the index's offset are replayed through the same code as a live write
(:func:`postcrawl.archive.records.apply`), finishing their renames, and temp files no manifest
line names are removed. So no change is half-done, and a stored hash never gets a second file.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from postcrawl import index, neardup
from postcrawl.archive import records
from postcrawl.archive.commit import Committer
from postcrawl.archive.files import ArticleFiles
from postcrawl.archive.manifest import Manifest
from postcrawl.archive.matching import Match, Relation, find_match
from postcrawl.archive.recovery import Replayer, ReplayReport
from postcrawl.chinese_text import normalized_body
from postcrawl.extraction import Extracted
from postcrawl.frontier import SqliteFrontier
from postcrawl.items import utc_now
from postcrawl.neardup import NearDupIndex
from postcrawl.seen import SeenStore, SqliteSeenStore

logger = logging.getLogger(__name__)

INDEX = "index.sqlite3"
LOCK = ".lock"

# Errors after which no further write can succeed: the crawl stops instead of logging
# thousands of failures (a full disk, a failing disk, a file system remounted read-only).
_FATAL_ERRNOS = {errno.ENOSPC, errno.EIO, errno.EROFS, errno.EDQUOT, errno.EFBIG}
_FATAL_SQLITE = ("disk is full", "disk i/o error", "readonly database")


class ArchiveError(Exception):
    """The archive cannot be written (full disk, I/O error, read-only): stop the crawl."""


def is_fatal(exc: BaseException) -> bool:
    """Whether *exc* means the archive cannot take further writes."""
    if isinstance(exc, OSError) and exc.errno in _FATAL_ERRNOS:
        return True
    return isinstance(exc, sqlite3.OperationalError) and any(
        text in str(exc).lower() for text in _FATAL_SQLITE
    )


@contextmanager
def _fatal_io(root: Path) -> Iterator[None]:
    try:
        yield
    except (OSError, sqlite3.OperationalError) as exc:
        if is_fatal(exc):
            raise ArchiveError(f"cannot write the archive at {root}: {exc}") from exc
        raise


@dataclass(frozen=True)
class StoreResult:
    """What :meth:`ArchiveStore.add` did: stored a new file, or found the article already there."""

    status: Literal["stored", "duplicate", "replaced"]
    body_hash: str
    path: str  # relative to the archive root
    # For a duplicate: how the URL relates to the stored article; for "replaced" (an official
    # page that took the place of a repost stored first): how the repost relates to it.
    relation: str | None = None
    similarity: float | None = None


class ArchiveLock:
    """The archive's lock file, held exclusively (``flock``) by one process at a time.
    Re-entrant: a write inside a group commit keeps the group's hold."""

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        self._depth = 0

    @contextmanager
    def held(self) -> Iterator[None]:
        if self._depth == 0:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if self._depth == 0:
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        os.close(self._fd)


def _similarity(conn: sqlite3.Connection, article: Extracted, old_hash: str) -> float:
    """How alike *article*'s body is to archived article *old_hash*'s (Jaccard, 4 places)."""
    old_body = index.article_body(conn, old_hash) or []
    similarity = neardup.jaccard(
        article.normalized_body or normalized_body(article.paragraphs),
        normalized_body(old_body),
    )
    return round(similarity, 4)


class ArchiveStore:
    """Writes articles into an archive root and answers what it holds.

    *seen* is the store of URLs and hashes already handled; by default the SQLite one inside
    ``index.sqlite3``, whose marks commit together with the index rows. Opening recovers from
    an earlier crash (:attr:`recovery` says what was done); ``recover=False`` is for
    :func:`postcrawl.archive.rebuild_index`, which replays everything itself.
    """

    def __init__(
        self,
        root: Path | str,
        *,
        seen: SeenStore | None = None,
        fsync: bool = True,
        recover: bool = True,
    ) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.fsync = fsync
        self.files = ArticleFiles(self.root, fsync=fsync)
        self.manifest = Manifest(self.root, fsync=fsync)
        self._lock = ArchiveLock(self.root / LOCK)
        self.recovery = ReplayReport()
        # Switching to WAL and creating the schema take locks that do not wait politely;
        # two processes opening a new archive at once would collide without the archive lock.
        try:
            with self.locked(), _fatal_io(self.root):
                self.conn = index.connect(self.root / INDEX)
                self.neardup = NearDupIndex(self.conn)
                self.frontier = SqliteFrontier(self.conn)
                self._replayer = Replayer(self.conn, self.neardup, self.files, self.manifest)
                if recover:
                    self.recovery = self._replayer.recover()
        except BaseException:
            if hasattr(self, "conn"):
                self.conn.close()
            self._lock.close()
            raise
        self.seen: SeenStore = seen or SqliteSeenStore(self.conn)
        # The SQLite seen store is the index's own `seen` table, which records.apply writes;
        # another one is marked by the committer after each change.
        apart = None if seen is None else self.seen
        self._commit = Committer(self.conn, self.neardup, self.files, self.manifest, apart)

    # -- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        """Close the index, folding its WAL into the database file first, so a copy of the
        archive (or a reader on a read-only mount) sees every article."""
        try:
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error as exc:
            logger.debug("no WAL checkpoint at close: %s", exc)
        self.seen.close()
        self.conn.close()
        self._lock.close()

    def __enter__(self) -> ArchiveStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def locked(self) -> AbstractContextManager[None]:
        """Hold the archive's exclusive lock (across processes) for the block."""
        return self._lock.held()

    # -- recovery (postcrawl.archive.recovery) ---------------------------------------------
    def rebuild(self) -> ReplayReport:
        """Make the index again from the whole manifest, as recovery does (lock held)."""
        return self._replayer.recover(from_scratch=True)

    # -- queries ---------------------------------------------------------------------------
    def path_for_hash(self, body_hash: str) -> str | None:
        """The file holding the article with this hash, if archived."""
        return index.article_path(self.conn, body_hash)

    def checkpoint(self) -> int:
        """Where the archive is: the manifest offset its index has applied, plus the changes
        staged in an open group. Any write moves it."""
        return (index.manifest_offset(self.conn) or 0) + self._commit.staged

    def find_match(self, article: Extracted) -> Match | None:
        """The archived article *article* is a copy of (:func:`postcrawl.archive.matching.find_match`)."""
        return find_match(self.conn, self.neardup, article)

    # -- writes ----------------------------------------------------------------------------
    @contextmanager
    def group(self) -> Iterator[None]:
        """Make the writes of the block one group commit (:meth:`Committer.group`): the lock
        is held throughout, the index gets one transaction, the manifest one fsync. Nothing
        of the group is written when the block or the commit fails; raises
        :class:`ArchiveError` when the archive cannot be written."""
        with self.locked(), _fatal_io(self.root):
            self._replayer.catch_up()
            with self._commit.group():
                yield

    def add(
        self,
        article: Extracted,
        *,
        crawled_at: str | None = None,
        official: bool = False,
        province: str | None = None,
        unmatched_at: int | None = None,
    ) -> StoreResult:
        """Archive a normalized article, or record its URL if the same body is already there.
        *unmatched_at*: the :meth:`checkpoint` at which the caller's :meth:`find_match` found no
        copy; unless something was written since, it is not looked up again. Raises
        :class:`ArchiveError` when the archive cannot be written (full disk, …)."""
        if not article.body_hash:
            raise ValueError("article is not normalized: no body hash")
        crawled_at = crawled_at or utc_now()
        with self.locked(), _fatal_io(self.root):
            self._replayer.catch_up()
            fresh = unmatched_at is not None and unmatched_at == self.checkpoint()
            match = None if fresh else self.find_match(article)
            if match is not None and not match.superseded_by(official):
                self._commit.sighting(
                    article, match.body_hash, crawled_at, official, match.relation, match.similarity
                )
                path = self.path_for_hash(match.body_hash)
                assert path is not None
                return StoreResult(
                    "duplicate", match.body_hash, path, match.relation, match.similarity
                )
            old_path = self.path_for_hash(match.body_hash) if match is not None else None
            rel = self.files.new_path(article.published, article.body_hash)
            record = records.article_record(article, rel, crawled_at, official, province)
            if match is not None:
                record = records.replacing(
                    record, match.body_hash, old_path, match.relation, match.similarity
                )
            self._commit.article(article, record)
            if match is not None:
                logger.info("official page %s replaces %s", article.url, old_path)
                return StoreResult(
                    "replaced", article.body_hash, rel, match.relation, match.similarity
                )
            return StoreResult("stored", article.body_hash, rel)

    def supersede(
        self,
        article: Extracted,
        old_hash: str,
        *,
        relation: str = "reextracted",
        crawled_at: str | None = None,
        official: bool = False,
        province: str | None = None,
        extra: records.Record | None = None,
    ) -> StoreResult:
        """Store *article* in place of archived article *old_hash*, stored from the same URL
        with another body (``postcrawl reextract``): one ``article`` record with ``replaces``
        and ``replaced_relation`` *relation*, replayed like an official page replacing a repost;
        the old article's URLs move to it and its file goes. Nothing is written (status
        ``duplicate``) when the URL no longer belongs to *old_hash* or the new body is archived
        already. *extra* fields go into the manifest record. Raises :class:`ArchiveError`."""
        if not article.body_hash:
            raise ValueError("article is not normalized: no body hash")
        crawled_at = crawled_at or utc_now()
        with self.locked(), _fatal_io(self.root):
            self._replayer.catch_up()
            old_path = self.path_for_hash(old_hash)
            current = index.url_hash(self.conn, article.url)
            existing = self.path_for_hash(article.body_hash)
            if old_path is None or current != old_hash or existing is not None:
                target = existing or (current and self.path_for_hash(current)) or old_path or ""
                return StoreResult("duplicate", article.body_hash if existing else old_hash, target)
            similarity = _similarity(self.conn, article, old_hash)
            rel = self.files.new_path(article.published, article.body_hash)
            record = records.article_record(article, rel, crawled_at, official, province)
            record = records.replacing(
                record | (extra or {}), old_hash, old_path, relation, similarity
            )
            self._commit.article(article, record)
            return StoreResult("replaced", article.body_hash, rel, relation, similarity)

    def add_sighting(
        self,
        article: Extracted,
        *,
        crawled_at: str | None = None,
        official: bool = False,
        relation: Relation | str = "duplicate",
        similarity: float = 1.0,
        body_hash: str | None = None,
    ) -> StoreResult:
        """Record that an archived article (by *body_hash*, default the article's own) was
        also seen at ``article.url``: a repost, a second URL, a near-duplicate, a redirect."""
        target = body_hash or article.body_hash
        with self.locked(), _fatal_io(self.root):
            self._replayer.catch_up()
            path = self.path_for_hash(target)
            if path is None:
                raise KeyError(f"no archived article with hash {target}")
            self._commit.sighting(
                article, target, crawled_at or utc_now(), official, relation, similarity
            )
            return StoreResult("duplicate", target, path)

    def record_skip(
        self, url: str, site: str, reason: str, *, crawled_at: str | None = None
    ) -> None:
        """Remember a page that was fetched and deliberately not archived (not postal, say),
        so incremental crawls do not fetch it again. Failures are not recorded here."""
        crawled_at = crawled_at or utc_now()
        with self.locked(), _fatal_io(self.root):
            self._replayer.catch_up()
            self._commit.skip(url, site, reason, crawled_at)
