"""Checking and repairing an archive: :func:`verify` and :func:`rebuild_index`.

``verify`` compares the three records of an archive — article files, manifest, index — and
lists every disagreement; ``rebuild_index`` makes the index again from the manifest through the
same replay as recovery, removes second files of one hash, and adopts article files the
manifest does not name (appending their manifest line), so that afterwards the three agree.
"""

from __future__ import annotations

import logging
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from postcrawl import document, index
from postcrawl.archive import records
from postcrawl.archive.files import ArticleFiles, article_files, hash_of
from postcrawl.archive.manifest import Manifest
from postcrawl.archive.recovery import ReplayReport
from postcrawl.archive.store import INDEX, ArchiveStore
from postcrawl.items import utc_now
from postcrawl.wording import plural

logger = logging.getLogger(__name__)


@dataclass
class RebuildReport:
    """What :func:`rebuild_index` read, found and repaired; ``articles`` equals the index's
    article count and the number of article files afterwards."""

    articles: int = 0
    urls: int = 0
    skipped_urls: int = 0
    bad_manifest_lines: int = 0
    torn_bytes: int = 0
    temp_removed: int = 0
    replaced: int = 0
    missing_files: list[str] = field(default_factory=list)
    duplicate_files_removed: list[str] = field(default_factory=list)
    orphan_files: list[str] = field(default_factory=list)  # adopted: manifest line appended
    neardup_indexed: int = 0
    corrupt_index_moved_to: str | None = None


def _open_for_rebuild(root: Path, report: RebuildReport) -> ArchiveStore:
    db = root / INDEX
    try:
        return ArchiveStore(root, recover=False)
    except sqlite3.DatabaseError:
        aside = db.with_name(f"{INDEX}.corrupt-{utc_now().replace(':', '')}")
        logger.warning("index %s is corrupt; moved to %s", db, aside.name)
        db.rename(aside)
        for suffix in ("-wal", "-shm"):
            Path(str(db) + suffix).unlink(missing_ok=True)
        report.corrupt_index_moved_to = aside.name
        return ArchiveStore(root, recover=False)


def rebuild_index(root: Path | str) -> RebuildReport:
    """Make ``index.sqlite3`` again from the manifest and the article files (archive lock
    held throughout). A corrupt index file is moved aside first."""
    root = Path(root)
    report = RebuildReport()
    with _open_for_rebuild(root, report) as store, store.locked():
        replay = store.rebuild()
        _record_losses(store, replay)
        _adopt_orphans(store, report)
        report.articles = index.count_articles(store.conn)
        report.urls = replay.urls
        report.skipped_urls = replay.skipped_urls
        report.bad_manifest_lines = replay.bad_lines
        report.torn_bytes = replay.torn_bytes
        report.temp_removed = replay.temp_removed
        report.replaced = replay.replaced
        report.missing_files = replay.missing_files
        # Second files found while replaying come first; _adopt_orphans added the others.
        report.duplicate_files_removed[:0] = replay.duplicate_files_removed
        report.neardup_indexed = len(store.neardup)
    return report


def _record_losses(store: ArchiveStore, replay: ReplayReport) -> None:
    """A manifest ``lost`` line for each stored article whose file has gone (not re-recorded
    by a later rebuild), so verify agrees and the crawl fetches its URL again."""
    already = {
        str(r.get("path"))
        for r, _ in store.manifest.records()
        if r is not None and r.get("event") == "lost"
    }
    for record in replay.missing_records:
        if str(record.get("path")) in already:
            continue
        end = store.manifest.append(records.lost_record(record, utc_now()))
        with index.transaction(store.conn):
            index.set_manifest_offset(store.conn, end)


def _adopt_orphans(store: ArchiveStore, report: RebuildReport) -> None:
    """Article files the manifest does not name: a second file of an indexed hash goes; any
    other is adopted with a manifest line of its own (its URL is unknown)."""
    indexed = index.article_paths(store.conn)
    named = set(indexed.values())
    for path in article_files(store.root):
        rel = path.relative_to(store.root).as_posix()
        body_hash = hash_of(path)
        if rel in named or body_hash is None:
            continue
        if body_hash in indexed:
            store.files.unlink(rel)
            report.duplicate_files_removed.append(rel)
            continue
        try:
            doc = document.parse(store.files.read(rel))
        except (OSError, ValueError):
            logger.warning("not an article file, left alone: %s", rel)
            continue
        record: records.Record = {
            "event": "article",
            "hash": body_hash,
            "path": rel,
            "title": doc.title,
            "published": doc.published,
            "source": doc.source,
            "site": "unknown",
            "url": None,
            "recovered": "file without a manifest line, adopted by reindex",
            "crawled_at": utc_now(),
        }
        end = store.manifest.append(record)
        with index.transaction(store.conn):
            records.apply(store.conn, record, store.neardup, list(doc.paragraphs))
            index.set_manifest_offset(store.conn, end)
        indexed[body_hash] = rel
        named.add(rel)
        report.orphan_files.append(rel)


@dataclass
class VerifyReport:
    """Where files, manifest and index disagree. :attr:`findings` empty: the archive is sound."""

    files: int = 0
    indexed: int = 0
    manifest_lines: int = 0
    duplicate_hashes: list[str] = field(default_factory=list)  # hashes with 2+ files
    missing_files: list[str] = field(default_factory=list)  # named by index or manifest
    unindexed_lines: int = 0  # manifest lines past the index's offset
    unindexed_articles: list[str] = field(default_factory=list)  # manifest articles not indexed
    orphan_files: list[str] = field(default_factory=list)  # on disk, named nowhere
    temp_files: list[str] = field(default_factory=list)
    torn_tail_bytes: int = 0
    bad_lines: int = 0  # unreadable lines inside the manifest (skipped by every reader)
    index_error: str | None = None

    def details(self) -> list[tuple[str, list[str]]]:
        """One line per kind of problem found, with the paths (or hashes) concerned."""

        out: list[tuple[str, list[str]]] = []
        if self.index_error:
            out.append((f"index unreadable: {self.index_error}", []))
        if self.duplicate_hashes:
            line = f"{plural(len(self.duplicate_hashes), 'hash', 'hashes')} stored in more than one file"
            out.append((line, self.duplicate_hashes))
        if self.missing_files:
            out.append(
                (
                    f"{plural(len(self.missing_files), 'file')} named by the index or manifest missing",
                    self.missing_files,
                )
            )
        if self.unindexed_lines:
            out.append(
                (f"{plural(self.unindexed_lines, 'manifest line')} not applied to the index", [])
            )
        if self.unindexed_articles:
            out.append(
                (
                    f"{plural(len(self.unindexed_articles), 'manifest article')} not in the index",
                    self.unindexed_articles,
                )
            )
        if self.orphan_files:
            out.append(
                (
                    f"{plural(len(self.orphan_files), 'article file')} named by no manifest line",
                    self.orphan_files,
                )
            )
        if self.temp_files:
            out.append(
                (
                    f"{plural(len(self.temp_files), 'temp file')} left by an unfinished write",
                    self.temp_files,
                )
            )
        if self.torn_tail_bytes:
            out.append((f"a torn last manifest line ({self.torn_tail_bytes} bytes)", []))
        if self.indexed != self.files and not self.index_error:
            out.append((f"index holds {self.indexed} articles, disk {self.files} files", []))
        return out

    @property
    def findings(self) -> list[str]:
        """One line per kind of problem found."""
        return [line for line, _ in self.details()]


def verify(root: Path | str) -> VerifyReport:
    """Check an archive without changing it (it may be read-only)."""
    root = Path(root)
    report = VerifyReport()
    manifest = Manifest(root, fsync=False)
    files = ArticleFiles(root, fsync=False)
    on_disk = {p.relative_to(root).as_posix() for p in article_files(root)}
    report.files = len(on_disk)
    per_hash = Counter(hash_of(rel) for rel in on_disk)
    report.duplicate_hashes = sorted(h for h, n in per_hash.items() if h and n > 1)
    report.temp_files = [p.name for p in files.temp_files()]
    report.torn_tail_bytes = manifest.torn_tail()

    # What the manifest says is stored: the latest path of each hash, replacements applied.
    stored: dict[str, str] = {}
    end = 0
    for record, end in manifest.records():  # noqa: B007 - the last end counts
        report.manifest_lines += 1
        if record is None:
            report.bad_lines += 1
            continue
        if record.get("event") == "lost":
            if stored.get(str(record.get("hash"))) == record.get("path"):
                stored.pop(str(record.get("hash")))
            continue
        if record.get("event") != "article":
            continue
        if record.get("replaces"):
            stored.pop(str(record["replaces"]), None)
        body_hash = str(record.get("hash"))
        stored.setdefault(body_hash, str(record.get("path")))

    indexed: dict[str, str] = {}
    offset = 0
    try:
        conn = index.connect_readonly(root / INDEX)
        try:
            indexed = index.article_paths(conn)
            offset = index.manifest_offset(conn) or 0
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        report.index_error = f"{exc} (run `postcrawl reindex`)"
    report.indexed = len(indexed)
    if not report.index_error:
        report.unindexed_lines = sum(1 for _ in manifest.records(offset)) if end > offset else 0
        report.unindexed_articles = sorted(stored.keys() - indexed.keys())
    named = set(stored.values()) | set(indexed.values())
    report.missing_files = sorted(rel for rel in named if rel not in on_disk)
    report.orphan_files = sorted(on_disk - named)
    return report
