"""Read-only access to an archive's index: counts, full-text search, one article, row streams.

Everything here reads ``index.sqlite3`` through a read-only connection, so a researcher can
query an archive while a crawl writes to it (WAL: readers see the last committed state).
No Scrapy, no printing: the ``postcrawl`` commands format what these functions return.

:class:`Corpus` opens the index and hands its connection to the module that does each job:
:mod:`~postcrawl.reader.query` (filters, search terms), :mod:`~postcrawl.reader.counts`
(stats, articles per month), :mod:`~postcrawl.reader.search` (the search planner),
:mod:`~postcrawl.reader.articles` (one article by hash or path) and
:mod:`~postcrawl.reader.rows` (export batches). The names callers import from here are
re-exported below.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from postcrawl import index
from postcrawl.archive import INDEX
from postcrawl.reader import articles, counts, rows, search
from postcrawl.reader.articles import MIN_HASH_PREFIX, ArticleView, Sighting
from postcrawl.reader.counts import MonthlyCounts, Stats
from postcrawl.reader.errors import CorpusError
from postcrawl.reader.query import Filters, day_bound, fts_phrase, like_escape, query_terms
from postcrawl.reader.rows import EXPORT_COLUMNS
from postcrawl.reader.search import (
    COMMON_MATCHES,
    DATE_WALK_BUDGET,
    DATE_WALK_ROWS,
    LISTED_MATCHES,
    TRIGRAM,
    WALK_BUDGET,
    WALK_STEP,
    Hit,
    Snippet,
    make_snippet,
)

__all__ = [
    "COMMON_MATCHES",
    "DATE_WALK_BUDGET",
    "DATE_WALK_ROWS",
    "EXPORT_COLUMNS",
    "LISTED_MATCHES",
    "MIN_HASH_PREFIX",
    "TRIGRAM",
    "WALK_BUDGET",
    "WALK_STEP",
    "ArticleView",
    "Corpus",
    "CorpusError",
    "Filters",
    "Hit",
    "MonthlyCounts",
    "Sighting",
    "Snippet",
    "Stats",
    "day_bound",
    "fts_phrase",
    "like_escape",
    "make_snippet",
    "query_terms",
]


class Corpus:
    """An archive opened for reading. Use as a context manager, or call :meth:`close`."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        db = self.root / INDEX
        if not db.is_file():
            raise CorpusError(
                f"no index at {db}: run a crawl, or `postcrawl reindex --data-dir {self.root}` "
                "to build it from the article files"
            )
        try:
            self.conn = index.connect_readonly(db)  # never writes, works on read-only copies
            self.conn.row_factory = sqlite3.Row
            self.conn.execute("SELECT hash FROM articles LIMIT 1").fetchall()
        except sqlite3.DatabaseError as exc:
            raise CorpusError(
                f"cannot read {db}: {exc} (rebuild it with `postcrawl reindex`)"
            ) from None
        self._size: int | None = None  # articles in the index, counted when first needed

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Corpus:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def stats(self, filters: Filters | None = None) -> Stats:
        """Articles per site, province and month; undated ones; the date range; provenance."""
        return counts.stats(self.conn, filters or Filters())

    def monthly_counts(self, by: str = "site", filters: Filters | None = None) -> MonthlyCounts:
        """Dated articles per month, split by ``site`` or ``province`` (bureau sites only have a
        province; the rest count under ``"(not a bureau)"``)."""
        return counts.monthly_counts(self.conn, by, filters or Filters())

    def search(
        self, query: str, filters: Filters | None = None, limit: int | None = 20
    ) -> list[Hit]:
        """Articles whose title or body contains every term of *query*, newest first.

        Terms of three characters or more go through the FTS5 trigram index; shorter ones
        (``邮政``, ``局``) are matched with LIKE. Traditional queries find the simplified text.
        """
        # The tuning is read from this module when the search runs, so setting
        # corpus.COMMON_MATCHES (as the tests do) changes how a Corpus searches.
        tuning = search.Tuning(
            COMMON_MATCHES, WALK_BUDGET, WALK_STEP, LISTED_MATCHES, DATE_WALK_ROWS, DATE_WALK_BUDGET
        )
        return search.search(
            self.conn,
            query,
            filters or Filters(),
            limit,
            tuning=tuning,
            corpus_size=self._articles_in_index,
        )

    def _articles_in_index(self) -> int:
        """How many articles the index holds, near enough for the search planner: the highest
        rowid (one B-tree descent), never less than the count and equal to it until articles
        are replaced. ``COUNT(*)`` reads a whole index: tens of milliseconds at 200,000
        articles, paid by every ``postcrawl search``."""
        if self._size is None:
            row = self.conn.execute("SELECT max(rowid) FROM articles").fetchone()
            self._size = int(row[0] or 0)
        return self._size

    def resolve(self, ref: str) -> str:
        """The hash of the article *ref* names: a hash, a unique hash prefix (≥ 4 hex digits),
        or the article file's path (relative to the root, or any path ending in its name)."""
        return articles.resolve(self.conn, ref)

    def article(self, ref: str) -> ArticleView:
        """The article *ref* names (see :meth:`resolve`) and every URL it was seen at: the one
        it was stored from first, then official pages, then the rest in crawl order."""
        return articles.article(self.conn, ref)

    def count(self, filters: Filters | None = None) -> int:
        """How many articles *filters* keep."""
        return counts.count(self.conn, filters or Filters())

    def iter_batches(
        self,
        filters: Filters | None = None,
        *,
        limit: int | None = None,
        batch_size: int = 1000,
    ) -> Iterator[list[dict[str, Any]]]:
        """The ``articles`` rows (:data:`EXPORT_COLUMNS`) in file order (by date, undated
        last), *batch_size* at a time: memory stays bounded whatever the corpus size."""
        return rows.iter_batches(
            self.conn, filters or Filters(), limit=limit, batch_size=batch_size
        )
