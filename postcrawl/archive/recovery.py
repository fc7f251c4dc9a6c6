"""Crash recovery and replay: bringing the index up to the manifest.

The manifest is the archive's primary record; the index follows it (docs/archive-format.md,
"Writing and recovery"). :class:`Replayer` applies manifest lines to the index through the
same code as a live write (:func:`postcrawl.archive.records.apply`):

- :meth:`~Replayer.recover`, on opening the archive: a torn manifest tail is cut off, the
  lines past the index's manifest offset are replayed (finishing the rename of any file whose
  temp file is still in ``.tmp/``), and temp files no manifest line names are removed;
- :meth:`~Replayer.catch_up`, before each write: the lines another process appended but did
  not apply (it crashed) are replayed;
- :meth:`~Replayer.replay`, for both and for :func:`postcrawl.archive.rebuild_index`.

Replaying a line that names a second file of a stored hash (left by versions before recovery
existed) removes that file and records its URL as a duplicate. The caller holds the archive
lock throughout (:class:`postcrawl.archive.store.ArchiveStore` does).
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass, field

from postcrawl import document, index
from postcrawl.archive import records
from postcrawl.archive.files import ArticleFiles
from postcrawl.archive.manifest import Manifest
from postcrawl.neardup import NearDupIndex

logger = logging.getLogger(__name__)


@dataclass
class ReplayReport:
    """What replaying manifest lines did (on opening the archive, or in a rebuild)."""

    torn_bytes: int = 0
    temp_removed: int = 0
    lines: int = 0
    articles: int = 0
    replaced: int = 0
    urls: int = 0
    skipped_urls: int = 0
    bad_lines: int = 0
    missing_files: list[str] = field(default_factory=list)
    missing_records: list[records.Record] = field(default_factory=list)
    duplicate_files_removed: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.torn_bytes or self.temp_removed or self.lines)


class Replayer:
    """Applies manifest lines to the index of one open archive (archive lock held)."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        neardup: NearDupIndex,
        files: ArticleFiles,
        manifest: Manifest,
    ) -> None:
        self.conn = conn
        self.neardup = neardup
        self.files = files
        self.manifest = manifest

    def recover(self, *, from_scratch: bool = False) -> ReplayReport:
        """Bring the index up to the manifest after a crash: cut a torn tail, replay the lines
        past the index's offset, remove temp files no line names. *from_scratch* (a rebuild)
        empties the index first and replays the whole manifest."""
        report = ReplayReport(torn_bytes=self.manifest.repair_tail())
        if report.torn_bytes:
            logger.warning("manifest: cut off a torn last line (%d bytes)", report.torn_bytes)
        offset = index.manifest_offset(self.conn)
        # An index from before manifest offsets: replaying everything is the safe way too.
        if from_scratch or (offset is None and index.count_articles(self.conn) > 0):
            with index.transaction(self.conn):
                index.clear(self.conn)
                self.neardup.clear()
            offset = 0
        self.replay(offset or 0, report)
        for temp in self.files.temp_files():
            temp.unlink(missing_ok=True)  # written, but its manifest line never was
            report.temp_removed += 1
        if report.lines or report.temp_removed:
            logger.warning(
                "recovered the archive at %s: replayed %d manifest lines, removed %d temp files",
                self.files.root,
                report.lines,
                report.temp_removed,
            )
        return report

    def catch_up(self) -> None:
        """Replay lines another process appended but did not apply (it crashed)."""
        offset = index.manifest_offset(self.conn) or 0
        if self.manifest.size() > offset:
            self.manifest.repair_tail()
            self.replay(offset, ReplayReport())

    def replay(self, start: int, report: ReplayReport) -> None:
        """Apply the manifest from byte *start* to the index, in one transaction."""
        # Files a later line replaces are gone from disk by design; their records still
        # apply (without a body), so that the URLs seen for them move on to the replacement.
        retired = {
            str(r["replaces_path"])
            for r, _ in self.manifest.records(start)
            if r is not None and r.get("event") == "article" and r.get("replaces_path")
        }
        with index.transaction(self.conn):
            end = start
            for record, end in self.manifest.records(start):  # noqa: B007 - the last end counts
                report.lines += 1
                if record is None:
                    report.bad_lines += 1
                    continue
                if record.get("event") == "article":
                    self._replay_article(record, report, retired)
                else:
                    self._replay_other(record, report)
            index.set_manifest_offset(self.conn, end)

    def _replay_other(self, record: records.Record, report: ReplayReport) -> None:
        """A ``url``, ``skip`` or ``lost`` line (any other event counts as a bad line)."""
        event = record.get("event")
        applied = records.apply(self.conn, record, self.neardup)
        if event == "url":
            report.urls += applied
        elif event == "skip":
            report.skipped_urls += 1
        elif event == "lost":
            report.missing_files = [p for p in report.missing_files if p != record.get("path")]
        else:
            report.bad_lines += 1

    def _replay_article(
        self, record: records.Record, report: ReplayReport, retired: set[str]
    ) -> None:
        rel = str(record.get("path") or "")
        body_hash = str(record.get("hash") or "")
        if not self.files.exists(rel) and self.files.temp_path(body_hash).is_file():
            self.files.place(body_hash, rel)  # the crash came between commit and rename
        try:
            doc = document.parse(self.files.read(rel))
        except (OSError, ValueError):
            if rel not in retired:
                report.missing_files.append(rel)
                report.missing_records.append(record)
                return
            doc = document.Document(str(record.get("title") or ""), None, "", ())
        stored_at = index.article_path(self.conn, body_hash)
        if not record.get("replaces") and stored_at not in (None, rel):
            # A second file for a stored hash (left by versions before recovery existed):
            # the first stays, this one is a further URL of it.
            sighting = {**record, "event": "url", "relation": "duplicate", "similarity": 1.0}
            records.apply(self.conn, sighting, self.neardup)
            self.files.unlink(rel)
            report.duplicate_files_removed.append(rel)
            return
        records.apply(self.conn, record, self.neardup, list(doc.paragraphs))
        if record.get("replaces"):
            old = str(record.get("replaces_path") or "")
            if old and old != rel:
                self.files.unlink(old)
            report.replaced += 1
        else:
            report.articles += 1
