"""One article: naming it (hash, hash prefix, file path) and reading it with its provenance."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from typing import Any

from postcrawl.archive.files import hash_of
from postcrawl.reader.errors import CorpusError

_HEX = re.compile(r"^[0-9a-f]+$")
# A prefix shorter than this would match half the archive; ask for more.
MIN_HASH_PREFIX = 4


@dataclass(frozen=True)
class Sighting:
    """One URL at which an article was seen (a row of ``urls``)."""

    url: str
    site: str
    official: bool
    relation: str
    similarity: float | None
    claimed_original: str | None
    crawled_at: str | None


@dataclass(frozen=True)
class ArticleView:
    """One article as ``postcrawl show`` presents it: its index row and its provenance."""

    row: dict[str, Any]
    sightings: list[Sighting]

    @property
    def paragraphs(self) -> list[str]:
        return self.row["body"].split("\n") if self.row["body"] else []


def hash_prefix(ref: str) -> str:
    """The hash (or hash prefix) *ref* names: itself, lower-cased, or the hash in an article
    file's name (``NNN_<hash16>.txt``, with any folders before it)."""
    ref = ref.strip()
    name = hash_of(ref.replace("\\", "/"))
    if name:
        ref = name
    elif "/" in ref or ref.endswith(".txt"):
        raise CorpusError(f"{ref} is not an article file (expected NNN_<hash16>.txt)")
    ref = ref.lower()
    if not _HEX.match(ref):
        raise CorpusError(f"{ref!r} is neither an article hash nor an article file")
    if len(ref) < MIN_HASH_PREFIX:
        raise CorpusError(f"hash prefix {ref!r} is too short: give {MIN_HASH_PREFIX}+ digits")
    return ref


def resolve(conn: sqlite3.Connection, ref: str) -> str:
    """The hash of the article *ref* names: a hash, a unique hash prefix (≥ 4 hex digits),
    or the article file's path (relative to the root, or any path ending in its name)."""
    prefix = hash_prefix(ref)
    # hex digits sort before "g", so [prefix, prefix+"g") is every hash starting with prefix.
    rows = conn.execute(
        "SELECT hash, title FROM articles WHERE hash >= ? AND hash < ? ORDER BY hash LIMIT 6",
        (prefix, prefix + "g"),
    ).fetchall()
    if not rows:
        raise CorpusError(f"no article with hash {prefix}")
    if len(rows) > 1:
        listed = "; ".join(f"{r['hash']} {r['title']}" for r in rows[:5])
        raise CorpusError(f"hash prefix {prefix} is ambiguous: {listed}")
    return str(rows[0]["hash"])


def article(conn: sqlite3.Connection, ref: str) -> ArticleView:
    """The article *ref* names (see :func:`resolve`) and every URL it was seen at: the one
    it was stored from first, then official pages, then the rest in crawl order."""
    body_hash = resolve(conn, ref)
    row = conn.execute("SELECT * FROM articles WHERE hash = ?", (body_hash,)).fetchone()
    sightings = [
        Sighting(
            url=r["url"],
            site=r["site"],
            official=bool(r["official"]),
            relation=r["relation"],
            similarity=r["similarity"],
            claimed_original=r["claimed_original"],
            crawled_at=r["crawled_at"],
        )
        for r in conn.execute(
            "SELECT * FROM urls WHERE hash = ? "
            "ORDER BY relation != 'stored', official DESC, crawled_at, url",
            (body_hash,),
        )
    ]
    return ArticleView(dict(row), sightings)
