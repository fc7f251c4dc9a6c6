"""The on-disk archive (archive-format.md): article files, the manifest, the index.

One :class:`ArchiveStore` per process. Every change happens under an exclusive file lock on the
archive root, so two crawls writing to one archive never store one article twice nor tear the
index. Order of writes, each step safe to be cut short by a crash:

1. the article file, written to a temp file and renamed into place (never half-written);
2. one manifest line, appended and flushed (a crash costs at most a torn last line);
3. the index rows, in one SQLite transaction.

The index is derived, so :func:`rebuild_index` makes it again from 1 and 2.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from postcrawl import dates, document, index, neardup
from postcrawl.extraction import Extracted
from postcrawl.items import utc_now
from postcrawl.neardup import NearDupIndex
from postcrawl.seen import SeenStatus, SeenStore, SqliteSeenStore
from postcrawl.textnorm import normalized_body

logger = logging.getLogger(__name__)

MANIFEST = "manifest.jsonl"
INDEX = "index.sqlite3"
LOCK = ".lock"
UNDATED = "undated"
_ARTICLE_FILE = re.compile(r"^(\d{3,})_([0-9a-f]{16})\.txt$")
# Provenance lookups by the 原文链接 a repost claimed (an index on an existing table, so it is
# created here for archives made before it existed).
_PROVENANCE_SCHEMA = "CREATE INDEX IF NOT EXISTS urls_claimed ON urls(claimed_original);"

Relation = Literal["duplicate", "near-duplicate", "claimed"]


@dataclass(frozen=True)
class StoreResult:
    """What :meth:`ArchiveStore.add` did: stored a new file, or found the article already there."""

    status: Literal["stored", "duplicate", "promoted"]
    body_hash: str
    path: str  # relative to the archive root
    # For a duplicate: how the URL relates to the stored article; for "promoted" (an official
    # page that replaced a repost stored first): how the repost relates to it.
    relation: str | None = None
    similarity: float | None = None


@dataclass(frozen=True)
class Match:
    """An archived article that a new page is a copy of (see :meth:`ArchiveStore.find_match`)."""

    body_hash: str
    relation: Relation
    similarity: float
    # Whether the archived article was stored from an official (bureau) page.
    stored_official: bool

    def superseded_by(self, official: bool) -> bool:
        """Whether a page with this *official* flag should replace the archived article:
        an official page always wins over a repost, whichever came first."""
        return official and not self.stored_official


@dataclass
class RebuildReport:
    """What :func:`rebuild_index` read and found."""

    articles: int = 0
    urls: int = 0
    skipped_urls: int = 0
    bad_manifest_lines: int = 0
    missing_files: list[str] = field(default_factory=list)
    orphan_files: list[str] = field(default_factory=list)
    replaced: int = 0
    neardup_indexed: int = 0


def default_root() -> Path:
    """The archive root: ``$POSTCRAWL_DATA_DIR``, else ``data/``."""
    return Path(os.environ.get("POSTCRAWL_DATA_DIR") or "data")


def _write_atomic(path: Path, text: str, *, fsync: bool) -> None:
    """Write *text* to *path* through a temp file in the same folder and a rename."""
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".txt", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            if fsync:
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if fsync:
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


class ArchiveStore:
    """Writes articles into an archive root and answers what it holds.

    *seen* is the store of URLs and hashes already handled; by default the SQLite one inside
    ``index.sqlite3``, whose marks commit together with the index rows.
    """

    def __init__(self, root: Path | str, *, seen: SeenStore | None = None, fsync: bool = True):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.fsync = fsync
        self._lock_fd = os.open(self.root / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        # Switching to WAL and creating the schema take locks that do not wait politely;
        # two processes opening a new archive at once would collide without the archive lock.
        try:
            with self.locked():
                self.conn = index.connect(self.root / INDEX)
        except BaseException:
            os.close(self._lock_fd)
            raise
        self.seen: SeenStore = seen or SqliteSeenStore(self.conn)
        self.conn.executescript(_PROVENANCE_SCHEMA)
        self.neardup = NearDupIndex(self.conn)

    # -- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        self.seen.close()
        self.conn.close()
        os.close(self._lock_fd)

    def __enter__(self) -> ArchiveStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the archive's exclusive lock (across processes) for the block."""
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    # -- queries ---------------------------------------------------------------------------
    def path_for_hash(self, body_hash: str) -> str | None:
        """The file holding the article with this hash, if archived."""
        row = self.conn.execute("SELECT path FROM articles WHERE hash = ?", (body_hash,)).fetchone()
        return row[0] if row else None

    def url_known(self, url: str) -> bool:
        """Whether *url* is already in the provenance of an archived article."""
        return self.conn.execute("SELECT 1 FROM urls WHERE url = ?", (url,)).fetchone() is not None

    def find_match(self, article: Extracted) -> Match | None:
        """The archived article that *article* is a copy of, if any, checked in this order:

        1. the same normalized body (``duplicate``, similarity 1.0);
        2. its ``原文链接`` names a URL of an archived article, compared ignoring
           http/https (``claimed``, or ``near-duplicate`` when the texts agree);
        3. an archived repost's ``原文链接`` names this page's URL (the same, reversed);
        4. a body whose character-shingle Jaccard similarity is at least
           :data:`postcrawl.neardup.THRESHOLD` (``near-duplicate``).
        """
        if self.path_for_hash(article.body_hash) is not None:
            return self._match(article.body_hash, "duplicate", 1.0)
        text = article.normalized_body or normalized_body(article.paragraphs)
        if article.original_url:
            row = self.conn.execute(
                f"SELECT hash FROM urls WHERE url IN ({_SCHEME_VARIANTS_SQL})",
                _scheme_variants(article.original_url),
            ).fetchone()
            if row is not None:
                return self._claim_match(row[0], text)
        row = self.conn.execute(
            f"SELECT hash FROM urls WHERE claimed_original IN ({_SCHEME_VARIANTS_SQL})",
            _scheme_variants(article.url),
        ).fetchone()
        if row is not None:
            return self._claim_match(row[0], text)
        for candidate in self.neardup.candidates(text, exclude=article.body_hash):
            similarity = neardup.jaccard(text, self._stored_text(candidate.body_hash))
            if similarity >= neardup.THRESHOLD:
                return self._match(candidate.body_hash, "near-duplicate", similarity)
        return None

    def _claim_match(self, body_hash: str, text: str) -> Match:
        similarity = neardup.jaccard(text, self._stored_text(body_hash))
        relation: Relation = "near-duplicate" if similarity >= neardup.THRESHOLD else "claimed"
        return self._match(body_hash, relation, similarity)

    def _match(self, body_hash: str, relation: Relation, similarity: float) -> Match:
        row = self.conn.execute(
            "SELECT url IS NOT NULL AND url = official_url FROM articles WHERE hash = ?",
            (body_hash,),
        ).fetchone()
        return Match(body_hash, relation, round(similarity, 4), bool(row and row[0]))

    def _stored_text(self, body_hash: str) -> str:
        row = self.conn.execute("SELECT body FROM articles WHERE hash = ?", (body_hash,)).fetchone()
        return normalized_body(row[0].split("\n")) if row else ""

    # -- writes ----------------------------------------------------------------------------
    def add(
        self,
        article: Extracted,
        *,
        crawled_at: str | None = None,
        official: bool = False,
        province: str | None = None,
    ) -> StoreResult:
        """Archive a normalized article, or record its URL if the same body is already there."""
        if not article.body_hash:
            raise ValueError("article is not normalized: no body hash")
        crawled_at = crawled_at or utc_now()
        with self.locked():
            match = self.find_match(article)
            if match is not None and match.superseded_by(official):
                return self._replace(article, match, crawled_at, official, province)
            if match is not None:
                self._sighting(
                    article, crawled_at, official, match.relation, match.similarity, match.body_hash
                )
                path = self.path_for_hash(match.body_hash)
                assert path is not None
                return StoreResult(
                    "duplicate", match.body_hash, path, match.relation, match.similarity
                )
            rel = self._new_path(article)
            _write_atomic(self.root / rel, self._render(article), fsync=self.fsync)
            record = self._article_record(article, rel, crawled_at, official, province)
            self._append_manifest(record)
            with index.transaction(self.conn):
                index.insert_article(self.conn, index.article_row(record, article.paragraphs))
                index.insert_url(
                    self.conn, self._url_row(article, crawled_at, official, "stored", 1.0)
                )
                self.seen.mark(article.url, article.body_hash, "stored", crawled_at)
                self.neardup.add(
                    article.body_hash,
                    article.normalized_body or normalized_body(article.paragraphs),
                )
            return StoreResult("stored", article.body_hash, rel)

    def _replace(
        self,
        article: Extracted,
        match: Match,
        crawled_at: str,
        official: bool,
        province: str | None,
    ) -> StoreResult:
        """Store an official page in place of the repost archived before it (lock held).

        Crash-safe in the same order as :meth:`add`: the new file is written first; then one
        manifest line (``replaces``) states the whole change, so :func:`rebuild_index` can
        redo it; then the index changes in one transaction; the old file is deleted last (a
        file left behind by a crash is named by that manifest line, and reindex removes it).
        """
        old = self.conn.execute(
            "SELECT path FROM articles WHERE hash = ?", (match.body_hash,)
        ).fetchone()
        assert old is not None
        rel = self._new_path(article)
        _write_atomic(self.root / rel, self._render(article), fsync=self.fsync)
        record = {
            **self._article_record(article, rel, crawled_at, official, province),
            "replaces": match.body_hash,
            "replaces_path": old[0],
            "replaced_relation": match.relation,
            "replaced_similarity": match.similarity,
        }
        self._append_manifest(record)
        with index.transaction(self.conn):
            apply_replacement(self.conn, record, article.paragraphs, self.neardup)
        if old[0] != rel:
            (self.root / old[0]).unlink(missing_ok=True)
        logger.info("official page %s replaces %s", article.url, old[0])
        return StoreResult("promoted", article.body_hash, rel, match.relation, match.similarity)

    @staticmethod
    def _render(article: Extracted) -> str:
        return document.render(
            document.Document(
                title=article.title,
                published=article.published,
                source=article.source or article.site,
                paragraphs=tuple(article.paragraphs),
            )
        )

    @staticmethod
    def _article_record(
        article: Extracted, rel: str, crawled_at: str, official: bool, province: str | None
    ) -> dict[str, Any]:
        return {
            "event": "article",
            "hash": article.body_hash,
            "path": rel,
            "title": article.title,
            "published": article.published,
            "undated_reason": article.undated_reason,
            "source": article.source,
            "author": article.author,
            "site": article.site,
            "province": province,
            "url": article.url,
            "official": official,
            "original_url": article.original_url,
            "forwarded_from": article.forwarded_from,
            "attachments": article.attachments,
            "crawled_at": crawled_at,
        }

    def add_sighting(
        self,
        article: Extracted,
        *,
        crawled_at: str | None = None,
        official: bool = False,
        relation: str = "duplicate",
        similarity: float = 1.0,
        body_hash: str | None = None,
    ) -> StoreResult:
        """Record that an archived article (by *body_hash*, default the article's own) was
        also seen at ``article.url``: a repost, a second URL, a near-duplicate."""
        target = body_hash or article.body_hash
        with self.locked():
            path = self.path_for_hash(target)
            if path is None:
                raise KeyError(f"no archived article with hash {target}")
            self._sighting(article, crawled_at or utc_now(), official, relation, similarity, target)
            return StoreResult("duplicate", target, path)

    def record_skip(
        self, url: str, site: str, reason: str, *, crawled_at: str | None = None
    ) -> None:
        """Remember a page that was fetched and deliberately not archived (not postal, say),
        so incremental crawls do not fetch it again. Failures are not recorded here."""
        crawled_at = crawled_at or utc_now()
        with self.locked():
            self._append_manifest(
                {
                    "event": "skip",
                    "url": url,
                    "site": site,
                    "reason": reason,
                    "crawled_at": crawled_at,
                }
            )
            with index.transaction(self.conn):
                self.seen.mark(url, None, "skipped", crawled_at)

    # -- internals -------------------------------------------------------------------------
    def _sighting(
        self,
        article: Extracted,
        crawled_at: str,
        official: bool,
        relation: str,
        similarity: float,
        body_hash: str | None = None,
    ) -> None:
        target = body_hash or article.body_hash
        row = self._url_row(article, crawled_at, official, relation, similarity)
        row["hash"] = target
        already = self.conn.execute(
            "SELECT hash FROM urls WHERE url = ?", (article.url,)
        ).fetchone()
        status: SeenStatus = "stored" if already and already[0] == target else "duplicate"
        if already is None or already[0] != target:
            self._append_manifest({"event": "url", **row})
            with index.transaction(self.conn):
                index.insert_url(self.conn, row)
                self.seen.mark(article.url, target, status, crawled_at)

    @staticmethod
    def _url_row(
        article: Extracted, crawled_at: str, official: bool, relation: str, similarity: float
    ) -> dict[str, Any]:
        return {
            "url": article.url,
            "hash": article.body_hash,
            "site": article.site,
            "official": official,
            "relation": relation,
            "similarity": similarity,
            "claimed_original": article.original_url,
            "crawled_at": crawled_at,
        }

    def _new_path(self, article: Extracted) -> str:
        """``YYYY/MM/DD/NNN_<hash16>.txt`` (or ``undated/…``), NNN the next number in the folder."""
        if article.published:
            day = dates.day_of(article.published)
            folder = f"{day:%Y/%m/%d}"
        else:
            folder = UNDATED
        target = self.root / folder
        target.mkdir(parents=True, exist_ok=True)
        numbers = [int(m[1]) for p in target.iterdir() if (m := _ARTICLE_FILE.match(p.name))]
        seq = max(numbers, default=-1) + 1
        return f"{folder}/{seq:03d}_{article.body_hash}.txt"

    def _append_manifest(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
        path = self.root / MANIFEST
        with open(path, "a+b") as fh:
            # A torn last line (a crash mid-write) must not swallow this one.
            if fh.tell() > 0:
                fh.seek(-1, os.SEEK_END)
                if fh.read(1) != b"\n":
                    fh.write(b"\n")
            fh.write(line.encode("utf-8"))
            fh.flush()
            if self.fsync:
                os.fsync(fh.fileno())


# Placeholders for the two values :func:`_scheme_variants` gives.
_SCHEME_VARIANTS_SQL = "?, ?"


def _scheme_variants(url: str) -> tuple[str, str]:
    """*url* with http and with https: a claim and the page it names may differ only there."""
    rest = url.split("://", 1)[1] if "://" in url else url
    return f"http://{rest}", f"https://{rest}"


def apply_replacement(
    conn: sqlite3.Connection,
    record: dict[str, Any],
    paragraphs: list[str],
    near: NearDupIndex,
) -> None:
    """Index changes of a ``replaces`` manifest record (inside the caller's transaction): the
    new article takes the old one's place, every URL of the old one moves to it, and the URL
    it was stored from becomes a repost (``replaced_relation``, ``replaced_similarity``)."""
    old, new = record["replaces"], record["hash"]
    conn.execute(
        "UPDATE urls SET hash = ?, "
        "relation = CASE relation WHEN 'stored' THEN ? ELSE relation END, "
        "similarity = CASE relation WHEN 'stored' THEN ? ELSE similarity END "
        "WHERE hash = ?",
        (
            new,
            record.get("replaced_relation") or "near-duplicate",
            record.get("replaced_similarity"),
            old,
        ),
    )
    conn.execute("UPDATE seen SET hash = ?, status = 'duplicate' WHERE hash = ?", (new, old))
    # DELETE before INSERT: REPLACE would skip the FTS delete trigger.
    conn.execute("DELETE FROM articles WHERE hash = ?", (old,))
    near.remove(old)
    conn.execute("DELETE FROM articles WHERE hash = ?", (new,))
    index.insert_article(conn, index.article_row(record, paragraphs))
    index.insert_url(
        conn,
        {
            **record,
            "relation": "stored",
            "similarity": 1.0,
            "claimed_original": record.get("original_url"),
        },
    )
    index.mark_seen(conn, record["url"], new, "stored", record.get("crawled_at"))
    near.add(new, normalized_body(paragraphs))


def read_manifest(root: Path | str) -> Iterator[dict[str, Any] | None]:
    """The manifest's records in order; ``None`` for a line that is not valid JSON (torn)."""
    path = Path(root) / MANIFEST
    if not path.exists():
        return
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                yield None
                continue
            yield record if isinstance(record, dict) else None


def article_files(root: Path | str) -> Iterator[Path]:
    """Every article file under the root (dated folders and ``undated/``)."""
    root = Path(root)
    for path in sorted(root.glob("[0-9][0-9][0-9][0-9]/[0-9][0-9]/[0-9][0-9]/*.txt")):
        if _ARTICLE_FILE.match(path.name):
            yield path
    for path in sorted((root / UNDATED).glob("*.txt")):
        if _ARTICLE_FILE.match(path.name):
            yield path


def rebuild_index(root: Path | str) -> RebuildReport:
    """Make ``index.sqlite3`` again from the article files and the manifest.

    Runs in one transaction under the archive lock, so readers see the old index or the new
    one. A corrupt index file is moved aside first. Files the manifest does not name (a crash
    between writing a file and its manifest line) are indexed from the file alone.
    """
    root = Path(root)
    report = RebuildReport()
    db = root / INDEX
    try:
        store = ArchiveStore(root)
    except sqlite3.DatabaseError:
        aside = db.with_name(f"{INDEX}.corrupt-{utc_now().replace(':', '')}")
        logger.warning("index %s is corrupt; moved to %s", db, aside.name)
        db.rename(aside)
        for suffix in ("-wal", "-shm"):
            Path(str(db) + suffix).unlink(missing_ok=True)
        store = ArchiveStore(root)
    with store, store.locked(), index.transaction(store.conn) as conn:
        index.clear(conn)
        store.neardup.clear()
        indexed: set[str] = set()
        # Files an official page replaced: gone from disk, but their URLs must still be
        # attached (then moved) as the manifest replays.
        retired: set[str] = {
            str(r["replaces_path"])
            for r in read_manifest(root)
            if r is not None and r.get("event") == "article" and r.get("replaces_path")
        }
        for record in read_manifest(root):
            if record is None:
                report.bad_manifest_lines += 1
                continue
            event = record.get("event")
            if event == "article":
                rel = str(record.get("path", ""))
                try:
                    doc = document.parse((root / rel).read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    if rel not in retired:
                        report.missing_files.append(rel)
                        continue
                    doc = document.Document(str(record.get("title") or ""), None, "", ())
                if record.get("replaces"):
                    apply_replacement(conn, record, list(doc.paragraphs), store.neardup)
                    indexed.discard(str(record.get("replaces_path", "")))
                    indexed.add(rel)
                    report.replaced += 1
                    continue
                index.insert_article(conn, index.article_row(record, list(doc.paragraphs)))
                index.insert_url(
                    conn,
                    {
                        **record,
                        "relation": "stored",
                        "similarity": 1.0,
                        "claimed_original": record.get("original_url"),
                    },
                )
                index.mark_seen(
                    conn, record["url"], record["hash"], "stored", record.get("crawled_at")
                )
                store.neardup.add(record["hash"], normalized_body(doc.paragraphs))
                indexed.add(rel)
                report.articles += rel not in retired  # a replaced repost is not counted
            elif event == "url":
                known = conn.execute("SELECT 1 FROM articles WHERE hash = ?", (record.get("hash"),))
                if known.fetchone() is None:
                    continue
                index.insert_url(conn, record)
                status = "stored" if record.get("relation") == "stored" else "duplicate"
                index.mark_seen(
                    conn, record["url"], record["hash"], status, record.get("crawled_at")
                )
                report.urls += 1
            elif event == "skip":
                index.mark_seen(conn, record["url"], None, "skipped", record.get("crawled_at"))
                report.skipped_urls += 1
            else:
                report.bad_manifest_lines += 1
        for path in article_files(root):
            rel = path.relative_to(root).as_posix()
            if rel in indexed:
                continue
            if rel in retired:
                # A repost an official page replaced; a crash kept its file. The manifest
                # says it is gone, so it goes.
                path.unlink(missing_ok=True)
                continue
            try:
                doc = document.parse(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            m = _ARTICLE_FILE.match(path.name)
            assert m is not None
            record = {
                "hash": m[2],
                "path": rel,
                "title": doc.title,
                "published": doc.published,
                "source": doc.source,
                "site": "unknown",
            }
            index.insert_article(conn, index.article_row(record, list(doc.paragraphs)))
            store.neardup.add(m[2], normalized_body(doc.paragraphs))
            report.orphan_files.append(rel)
            report.articles += 1
        report.neardup_indexed = len(store.neardup)
    return report
