"""Full-text search: the planner that picks how to find the newest matches, and the hits.

Terms of three characters or more go through the FTS5 trigram index; shorter ones (``邮政``,
``局``) are matched with LIKE. The first matches are read once (at most the common threshold):
fewer than that, and it is a rare word, whose matches are sorted by date; as many, and it is a
common word, found by walking the articles newest first and testing each, for a bounded number
of SQLite VM steps before falling back to sorting every match. All ways give the same rows.
Sorting orders the matches' dates first and reads the bodies (the snippets) of the page of hits
only: a body is kilobytes, read from overflow pages, and most matches are not shown.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from postcrawl.reader.errors import CorpusError
from postcrawl.reader.query import Filters, fts_phrase, like_escape, query_terms, where

# The trigram tokenizer indexes every run of three characters, so a shorter term can never
# MATCH; such terms are looked up with LIKE instead (a scan, but only of what the other terms
# and filters leave).
TRIGRAM = 3
# Below this many full-text matches a search sorts its matches; above, it walks the articles
# newest first, for at most WALK_BUDGET x WALK_STEP SQLite VM steps before falling back to
# sorting. (:class:`postcrawl.reader.corpus.Corpus` reads these through its own module.)
COMMON_MATCHES = 2000
WALK_BUDGET = 40  # ≈ 25 ms of walking on the benchmark machine
WALK_STEP = 1000  # VM steps between two budget checks
_FTS_ROWIDS = "a.rowid IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)"
# The matches a rare word's first read found, passed back as one JSON array (no limit on their
# number, unlike bound parameters).
_LISTED_ROWIDS = "a.rowid IN (SELECT value FROM json_each(?))"
_COLUMNS = "a.hash, a.published, a.site, a.title, a.source, a.path, a.url, a.body"
_ORDER = "ORDER BY a.day DESC, a.path DESC"
_FTS_HAS_ROW = (
    "EXISTS (SELECT 1 FROM articles_fts f WHERE f.articles_fts MATCH ? AND f.rowid = a.rowid)"
)


@dataclass(frozen=True)
class Tuning:
    """When a search walks instead of sorting, and how long a walk may run."""

    common_matches: int = COMMON_MATCHES
    walk_budget: int = WALK_BUDGET
    walk_step: int = WALK_STEP

    def common_threshold(self, articles: int) -> int:
        """How many FTS matches make a word common enough to walk for, in a corpus of
        *articles*: 1 % of it, at least :attr:`common_matches`."""
        return max(self.common_matches, articles // 100)


@dataclass(frozen=True)
class Snippet:
    """A piece of an article's text around the first match, and where the terms are in it."""

    text: str
    highlights: tuple[tuple[int, int], ...] = ()

    def marked(self, start: str, end: str) -> str:
        """The text with every highlight wrapped in *start* … *end*."""
        out, pos = [], 0
        for a, b in self.highlights:
            out += [self.text[pos:a], start, self.text[a:b], end]
            pos = b
        out.append(self.text[pos:])
        return "".join(out)


def make_snippet(body: str, terms: Sequence[str], width: int = 80) -> Snippet:
    """About *width* characters of *body* around the first occurrence of a term, terms marked."""
    flat = body.replace("\n", " ")
    if not terms:
        return Snippet(flat[:width])
    pattern = re.compile(
        "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.IGNORECASE
    )
    first = pattern.search(flat)
    if first is None:  # the terms were in the title only
        return Snippet(flat[:width] + ("…" if len(flat) > width else ""))
    start = max(0, first.start() - width // 4)
    stop = min(len(flat), start + width)
    prefix = "…" if start > 0 else ""
    suffix = "…" if stop < len(flat) else ""
    window = flat[start:stop]
    highlights = tuple(
        (m.start() + len(prefix), m.end() + len(prefix)) for m in pattern.finditer(window)
    )
    return Snippet(prefix + window + suffix, highlights)


@dataclass(frozen=True)
class Hit:
    """One search result."""

    hash: str
    published: str | None
    site: str
    title: str
    source: str | None
    path: str
    url: str | None
    snippet: Snippet


def search(
    conn: sqlite3.Connection,
    query: str,
    filters: Filters,
    limit: int | None,
    *,
    tuning: Tuning,
    corpus_size: Callable[[], int],
) -> list[Hit]:
    """Articles whose title or body contains every term of *query*, newest first (at most
    *limit*). *corpus_size* gives the number of articles; it is called only when needed."""
    terms = query_terms(query)
    if not terms:
        raise CorpusError("empty search query")
    clauses, params = filters.sql()
    # Short terms are tested last: LIKE reads a body, kilobytes from overflow pages, where a
    # filter (site, day, province) reads a few bytes of the row. SQLite tests the terms of a
    # WHERE in the order written.
    likes: list[str] = []
    like_params: list[Any] = []
    for term in terms:
        if len(term) < TRIGRAM:
            likes.append("(a.title LIKE ? ESCAPE '\\' OR a.body LIKE ? ESCAPE '\\')")
            like_params += [f"%{like_escape(term)}%"] * 2
    long_terms = [t for t in terms if len(t) >= TRIGRAM]
    limits = [limit] if limit is not None else []
    if not long_terms:
        sql = _search_sql("articles a", [*clauses, *likes], limit)
        rows = _query(conn, sql, [*params, *like_params, *limits])
    elif limit is None:  # every match, sorted (every body is wanted)
        sort = _search_sql("articles a", [_FTS_ROWIDS, *clauses, *likes], limit)
        rows = _query(conn, sort, [_match(long_terms), *params, *like_params])
    else:
        match = _match(long_terms)
        common = tuning.common_threshold(corpus_size())
        first = _first_matches(conn, match, common)
        if len(first) >= common:
            # A common word (邮政管理 is in most articles): sorting every match costs more
            # than walking the articles newest first and testing each until `limit` are
            # found, which takes few steps because most match. Filters can make the walk
            # long (a common word on one small site); past a budget it gives way. The
            # filters come before the full-text test, which seeks in the index.
            walk = _search_sql(
                "articles a INDEXED BY articles_day", [*clauses, _FTS_HAS_ROW, *likes], limit
            )
            walked = _bounded(conn, walk, [*params, match, *like_params, limit], tuning)
            if walked is None:  # a walk too long: every match, sorted
                sort = _sorted_sql([_FTS_ROWIDS, *clauses, *likes], limit)
                walked = _query(conn, sort, [match, *params, *like_params, limit])
            rows = walked
        else:  # a rare word: the matches just read are all of them; sort those
            sort = _sorted_sql([_LISTED_ROWIDS, *clauses, *likes], limit)
            rows = _query(conn, sort, [json.dumps(first), *params, *like_params, limit])
    return [_hit(r, terms) for r in rows]


def _hit(row: sqlite3.Row, terms: Sequence[str]) -> Hit:
    return Hit(
        hash=row["hash"],
        published=row["published"],
        site=row["site"],
        title=row["title"],
        source=row["source"],
        path=row["path"],
        url=row["url"],
        snippet=make_snippet(row["body"], terms),
    )


def _search_sql(source: str, clauses: Sequence[str], limit: int | None) -> str:
    sql = f"SELECT {_COLUMNS} FROM {source} {where(clauses)} {_ORDER}"
    return sql + (" LIMIT ?" if limit is not None else "")


def _sorted_sql(clauses: Sequence[str], limit: int) -> str:
    """The newest *limit* articles that meet *clauses*: their dates sorted first, then only
    those rows read whole (carrying every match's body through the sort would read kilobytes
    per match that are never shown)."""
    page = f"SELECT a.rowid FROM articles a {where(clauses)} {_ORDER} LIMIT ?"
    return f"SELECT {_COLUMNS} FROM articles a WHERE a.rowid IN ({page}) {_ORDER}"


def _match(long_terms: Sequence[str]) -> str:
    """The FTS5 query for the terms the trigram index can answer, each a literal phrase."""
    return " ".join(fts_phrase(t) for t in long_terms)


def _query(conn: sqlite3.Connection, sql: str, params: Sequence[Any]) -> list[sqlite3.Row]:
    try:
        return conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError as exc:  # pragma: no cover - quoting makes this unreachable
        raise CorpusError(f"search failed: {exc}") from None


def _bounded(
    conn: sqlite3.Connection, sql: str, params: Sequence[Any], tuning: Tuning
) -> list[sqlite3.Row] | None:
    """The rows of *sql*, or None when it needs more than ``walk_budget`` times ``walk_step``
    SQLite VM steps (counted, not timed: the outcome does not depend on the machine's speed)."""
    steps = 0

    def over_budget() -> int:
        nonlocal steps
        steps += 1
        return int(steps > tuning.walk_budget)

    conn.set_progress_handler(over_budget, tuning.walk_step)
    try:
        return conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError as exc:
        if steps > tuning.walk_budget:  # interrupted by the budget
            return None
        raise CorpusError(f"search failed: {exc}") from None  # pragma: no cover
    finally:
        conn.set_progress_handler(None, 0)


def _first_matches(conn: sqlite3.Connection, match: str, count: int) -> list[int]:
    """The rowids of the first *count* matches of the FTS query *match* (all, when fewer):
    whether a word is common, and for a rare one every match, in one read of the index."""
    sql = "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? LIMIT ?"
    return [r[0] for r in conn.execute(sql, (match, count))]
