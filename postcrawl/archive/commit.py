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
"""

from __future__ import annotations

import sqlite3

from postcrawl import document, index
from postcrawl.archive import records
from postcrawl.archive.files import ArticleFiles
from postcrawl.archive.manifest import Manifest
from postcrawl.extraction import Extracted
from postcrawl.failpoints import failpoint
from postcrawl.neardup import NearDupIndex
from postcrawl.seen import SeenStore


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

    def article(self, article: Extracted, record: records.Record) -> None:
        """Steps 1–4 for the new file ``record["path"]`` of *article*; then the file of the
        article it replaces (``replaces_path``), if any, is removed."""
        rel = str(record["path"])
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
            records.apply(self.conn, record, self.neardup, list(article.paragraphs))
            index.set_manifest_offset(self.conn, end)
            if self.seen is not None:
                self.seen.mark(article.url, article.body_hash, "stored", record["crawled_at"])
        old = record.get("replaces_path")
        if old and old != rel:
            self.files.unlink(old)

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
        self.line(record)
        if self.seen is not None:
            self.seen.mark(article.url, target, "duplicate", crawled_at)

    def skip(self, url: str, site: str, reason: str, crawled_at: str) -> None:
        """A ``skip`` line: *url* was fetched and deliberately not archived."""
        record = records.skip_record(url, site, reason, crawled_at)
        self.line(record)
        if self.seen is not None:
            self.seen.mark(url, None, "skipped", record["crawled_at"])

    def line(self, record: records.Record) -> None:
        """Steps 2 and 4 for a change without a file."""
        end = self.manifest.append(record)
        with index.transaction(self.conn):
            records.apply(self.conn, record, self.neardup)
            index.set_manifest_offset(self.conn, end)


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
