"""The ``articles`` rows an export writes, a bounded batch at a time."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

from postcrawl import index
from postcrawl.reader.query import Filters, where

# One export row per article: the index's ``articles`` columns, body last.
EXPORT_COLUMNS: tuple[str, ...] = tuple(index.ARTICLE_COLUMNS)


def iter_batches(
    conn: sqlite3.Connection, filters: Filters, *, limit: int | None, batch_size: int
) -> Iterator[list[dict[str, Any]]]:
    """The ``articles`` rows (:data:`EXPORT_COLUMNS`) in file order (by date, undated last),
    *batch_size* at a time: memory stays bounded whatever the corpus size."""
    clauses, params = filters.sql()
    # ORDER BY path walks the path index (UNIQUE): no sort of the whole corpus.
    sql = (
        f"SELECT {', '.join('a.' + c for c in EXPORT_COLUMNS)} FROM articles a "
        f"{where(clauses)} ORDER BY a.path"
    )
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    cursor = conn.execute(sql, params)
    while batch := cursor.fetchmany(batch_size):
        yield [dict(r) for r in batch]
