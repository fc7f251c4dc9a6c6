"""The on-disk archive (docs/archive-format.md): article files, the manifest, the index.

Small parts, one job each: :mod:`~postcrawl.archive.files` (article files and their names),
:mod:`~postcrawl.archive.manifest` (the append-only primary record),
:mod:`postcrawl.index` (all of the index's SQL), :mod:`~postcrawl.archive.records` (how each
manifest record changes the index), :mod:`~postcrawl.archive.matching` (the dedupe policy),
:mod:`~postcrawl.archive.store` (the writer: its lock, what each write is, the queries),
:mod:`~postcrawl.archive.commit` (each change, written in the documented order),
:mod:`~postcrawl.archive.recovery` (crash recovery: replaying the manifest into the index) and
:mod:`~postcrawl.archive.check` (verify and rebuild).
"""

from postcrawl.archive.check import RebuildReport, VerifyReport, rebuild_index, verify
from postcrawl.archive.files import UNDATED, article_files
from postcrawl.archive.manifest import MANIFEST, read_manifest
from postcrawl.archive.matching import Match, Relation
from postcrawl.archive.store import INDEX, ArchiveError, ArchiveStore, StoreResult, is_fatal

__all__ = [
    "INDEX",
    "MANIFEST",
    "UNDATED",
    "ArchiveError",
    "ArchiveStore",
    "Match",
    "RebuildReport",
    "Relation",
    "StoreResult",
    "VerifyReport",
    "article_files",
    "is_fatal",
    "read_manifest",
    "rebuild_index",
    "verify",
]
