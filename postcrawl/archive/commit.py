"""Committing a change to the archive, in the order docs/archive-format.md ("Writing and
recovery") gives, each step safe to be cut short by a crash or a full disk:

1. the article text, written whole to ``.tmp/<hash>.txt`` and made durable;
2. one manifest line, appended and made durable — the commit point;
3. the temp file renamed into its day folder;
4. the index rows and the index's manifest offset, in one SQLite transaction.

A further URL or a skip is steps 2 and 4 only; a replacement removes the replaced file after
step 4. :mod:`postcrawl.archive.recovery` finishes a change cut short after step 2 and undoes one
cut short before it. :class:`Committer` only writes: deciding what to write, under the archive
lock, is :class:`postcrawl.archive.store.ArchiveStore`'s.

A **group commit** (:meth:`Committer.group`) takes the same steps for many changes at once:
every change's index rows go into one open transaction as it is made (so the next change of
the group sees them: a repost after its original is a duplicate), its text into memory; at the
end the texts are written to temp files and synced from a few threads, all the group's manifest lines
are appended by one write and one fsync (the commit point of the whole group), the files are
renamed and their folders synced once each, and the transaction commits with the new
manifest offset. A crash before the manifest write loses the whole group (nothing was
acknowledged; the URLs stay pending), a crash after it loses nothing (recovery replays the
lines), a torn write keeps the whole lines before the tear (their files were synced first).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from postcrawl import document, index
from postcrawl.archive import records
from postcrawl.archive.files import ArticleFiles, sync_files
from postcrawl.archive.manifest import Manifest
from postcrawl.extraction import Extracted
from postcrawl.failpoints import failpoint
from postcrawl.neardup import NearDupIndex
from postcrawl.seen import SeenStatus, SeenStore

SeenMark = tuple[str, str | None, SeenStatus, str | None]


@dataclass
class _Group:
    """The changes of one group commit, staged until :meth:`Committer.group` ends."""

    records: list[records.Record] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)  # article files, by body hash
    temps: list[Path] = field(default_factory=list)  # written (removed if the group fails)
    placements: list[tuple[str, str]] = field(default_factory=list)  # (hash, path)
    unlinks: list[str] = field(default_factory=list)
    marks: list[SeenMark] = field(default_factory=list)


class Committer:
    """Writes manifest records and their files and index rows (archive lock held).

    *seen* is a seen store kept apart from the index, marked after each change; ``None`` when
    the seen store is the index's own ``seen`` table, which :func:`records.apply` writes."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        neardup: NearDupIndex,
        files: ArticleFiles,
        manifest: Manifest,
        seen: SeenStore | None,
    ) -> None:
        self.conn = conn
        self.neardup = neardup
        self.files = files
        self.manifest = manifest
        self.seen = seen
        self._group: _Group | None = None

    @property
    def staged(self) -> int:
        """How many changes the open group holds (0 outside a group)."""
        return len(self._group.records) if self._group is not None else 0

    @contextmanager
    def group(self) -> Iterator[None]:
        """Stage every change made in the block and commit them together at its end (see
        the module's docstring). Nested use joins the open group. On an error in the block
        or in the commit, nothing of the group is written."""
        if self._group is not None:
            yield
            return
        self.conn.execute("BEGIN IMMEDIATE")
        self._group = group = _Group()
        try:
            yield
            self._commit_group(group)
        except BaseException:
            if self.conn.in_transaction:  # SQLite rolls back by itself on a full disk
                self.conn.execute("ROLLBACK")
            for path in group.temps:
                path.unlink(missing_ok=True)
            self.files.forget_listings()
            raise
        finally:
            self._group = None
        for url, body_hash, status, seen_at in group.marks:
            assert self.seen is not None
            self.seen.mark(url, body_hash, status, seen_at)
        for rel in group.unlinks:
            self.files.unlink(rel)

    def _commit_group(self, group: _Group) -> None:
        if not group.records:
            index.flush_fts(self.conn)
            self.conn.execute("COMMIT")
            return
        group.temps = self.files.write_temps(group.texts)
        for _ in group.temps:
            failpoint("store:temp-written")
        end = self.manifest.append_many(group.records)
        for _ in group.records:  # the drills count changes, whatever the group size
            failpoint("store:manifest-appended")
        for body_hash, rel in group.placements:
            self.files.place(body_hash, rel, sync=False)
            failpoint("store:placed")
        if self.files.fsync and group.placements:
            folders = {(self.files.root / rel).parent for _, rel in group.placements}
            sync_files(sorted(folders))
        index.set_manifest_offset(self.conn, end)
        index.flush_fts(self.conn)
        self.conn.execute("COMMIT")

    @contextmanager
    def _change(self) -> Iterator[None]:
        """One change inside a group: a savepoint, so a change that fails leaves the rest."""
        self.conn.execute("SAVEPOINT change")
        try:
            yield
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK TO change")
                self.conn.execute("RELEASE change")
            raise
        self.conn.execute("RELEASE change")

    def article(self, article: Extracted, record: records.Record) -> None:
        """Steps 1–4 for the new file ``record["path"]`` of *article*; then the file of the
        article it replaces (``replaces_path``), if any, is removed."""
        rel = str(record["path"])
        if self._group is not None:
            self._stage_article(self._group, article, record, rel)
            return
        self.files.write_temp(article.body_hash, render(article))
        failpoint("store:temp-written")
        try:
            end = self.manifest.append(record)
        except BaseException:
            self.files.discard_temp(article.body_hash)
            raise
        failpoint("store:manifest-appended")
        self.files.place(article.body_hash, rel)
        failpoint("store:placed")
        with index.transaction(self.conn):
            records.apply(
                self.conn, record, self.neardup, list(article.paragraphs), article.normalized_body
            )
            index.set_manifest_offset(self.conn, end)
            if self.seen is not None:
                self.seen.mark(article.url, article.body_hash, "stored", record["crawled_at"])
        old = record.get("replaces_path")
        if old and old != rel:
            self.files.unlink(old)

    def _stage_article(
        self, group: _Group, article: Extracted, record: records.Record, rel: str
    ) -> None:
        with self._change():
            records.apply(
                self.conn, record, self.neardup, list(article.paragraphs), article.normalized_body
            )
        self.files.reserve(rel)
        group.records.append(record)
        # The text is written when the group commits, with the others (Files.write_temps).
        # The same body staged twice (a repost, then its official page replacing it): one temp
        # file, holding the later text, and one rename, to the later path.
        group.texts[article.body_hash] = render(article)
        group.placements = [p for p in group.placements if p[0] != article.body_hash]
        group.placements.append((article.body_hash, rel))
        if self.seen is not None:
            group.marks.append((article.url, article.body_hash, "stored", record["crawled_at"]))
        old = record.get("replaces_path")
        if old and old != rel:
            group.unlinks.append(str(old))

    def sighting(
        self,
        article: Extracted,
        target: str,
        crawled_at: str,
        official: bool,
        relation: str,
        similarity: float,
    ) -> None:
        """A ``url`` line: archived article *target* was also seen at ``article.url`` (nothing
        when that URL of that article is on record already)."""
        if index.url_hash(self.conn, article.url) == target:
            return
        record = records.url_record(article, target, crawled_at, official, relation, similarity)
        self.line(record, (article.url, target, "duplicate", crawled_at))

    def skip(self, url: str, site: str, reason: str, crawled_at: str) -> None:
        """A ``skip`` line: *url* was fetched and deliberately not archived."""
        record = records.skip_record(url, site, reason, crawled_at)
        self.line(record, (url, None, "skipped", record["crawled_at"]))

    def line(self, record: records.Record, mark: SeenMark | None = None) -> None:
        """Steps 2 and 4 for a change without a file; then *mark* in a separate seen store."""
        if self._group is not None:
            with self._change():
                records.apply(self.conn, record, self.neardup)
            self._group.records.append(record)
            if self.seen is not None and mark is not None:
                self._group.marks.append(mark)
            return
        end = self.manifest.append(record)
        with index.transaction(self.conn):
            records.apply(self.conn, record, self.neardup)
            index.set_manifest_offset(self.conn, end)
        if self.seen is not None and mark is not None:
            self.seen.mark(*mark)


def render(article: Extracted) -> str:
    """The article file's text."""
    return document.render(
        document.Document(
            title=article.title,
            published=article.published,
            source=article.source or article.site,
            paragraphs=tuple(article.paragraphs),
        )
    )
