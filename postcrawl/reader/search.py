"""Full-text search: the planner that picks how to find the newest matches, and the hits.

Terms of three characters or more go through the FTS5 trigram index; shorter ones (``邮政``,
``局``) are matched with LIKE. The planner reads the word's matches (rowids) from the index,
up to :data:`LISTED_MATCHES`, and then:

* with that many or more (a very common word, in a tenth of the corpus or more), it walks
  the articles newest first and probes the full-text index for each, for a bounded number of
  SQLite VM steps before falling back to sorting every match;
* with fewer, it has every match: it walks the date index newest first keeping the listed
  rowids (no full-text probe, a few bytes per article) when that takes few steps, and
  otherwise sorts the matches by date (a rare word, or a narrow filter).

All ways give the same rows. A sort orders the matches' dates first and reads the bodies (the
snippets) of the page of hits only: a body is kilobytes, most matches are not shown.
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
# The planner reads the first COMMON_MATCHES full-text matches (or 1 % of the corpus, if more);
# a word with that many reads on, up to LISTED_MATCHES. A word with LISTED_MATCHES or more is
# found by probing the index article by article, newest first, for at most WALK_BUDGET x
# WALK_STEP SQLite VM steps (the index's own statements count too), then by sorting every
# match. A word with fewer has every match listed: the date index is walked, newest first,
# keeping the listed articles, when about DATE_WALK_ROWS entries or fewer should give a page
# of hits (and for at most DATE_WALK_BUDGET x WALK_STEP steps); else the matches are sorted.
# (:class:`postcrawl.reader.corpus.Corpus` reads these through its own module.)
COMMON_MATCHES = 2000
LISTED_MATCHES = 20_000
WALK_BUDGET = 40  # ≈ 25 ms of walking on the benchmark machine
WALK_STEP = 1000  # VM steps between two budget checks
DATE_WALK_ROWS = 10_000
DATE_WALK_BUDGET = 200  # ≈ 10 ms of the date index on the benchmark machine
_FTS_ROWIDS = "a.rowid IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)"
# The matches the planner read, passed back as one JSON array (no limit on their number, unlike
# bound parameters).
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
    listed_matches: int = LISTED_MATCHES
    date_walk_rows: int = DATE_WALK_ROWS
    date_walk_budget: int = DATE_WALK_BUDGET

    def common_threshold(self, articles: int) -> int:
        """How many FTS matches the first read takes, in a corpus of *articles*: 1 % of it,
        at least :attr:`common_matches`; a word with fewer needs no second read."""
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
        size = corpus_size()
        first = tuning.common_threshold(size)
        found = _matches(conn, match, first)
        # A common word: read on, unless the first read shows it is very common (its matches
        # as dense in the rowids read as in LISTED_MATCHES of the corpus, twice over): then
        # reading thousands more would only delay the walk.
        dense = bool(found) and len(found) * size >= 2 * tuning.listed_matches * found[-1]
        if first <= len(found) < tuning.listed_matches and not dense:
            found += _matches(conn, match, tuning.listed_matches - len(found), after=found[-1])
        where_sql = [*clauses, *likes]
        where_params = [*params, *like_params]
        if len(found) >= tuning.listed_matches or (len(found) >= first and dense):
            # A very common word (邮政管理 is in most articles): walking the articles newest
            # first and probing the index for each finds `limit` in few steps. Filters can
            # make the walk long (a common word on one small site); past a budget it gives
            # way. The filters come before the probe, which seeks in the index.
            walk = _search_sql(
                "articles a INDEXED BY articles_day", [*clauses, _FTS_HAS_ROW, *likes], limit
            )
            budget = (tuning.walk_budget, tuning.walk_step)
            rows = _bounded(conn, walk, [*params, match, *like_params, limit], *budget)
            if rows is None:
                # A walk too long (a narrow filter, or probes slowed by an index in many
                # segments while a crawl runs): every match listed, then found among as a
                # less common word is. Reading the rowids costs about a microsecond per
                # match; sorting them would read each match's row.
                found += _matches(conn, match, -1, after=found[-1])
                rows = _among(conn, found, where_sql, where_params, filters, limit, size, tuning)
        else:
            rows = _among(conn, found, where_sql, where_params, filters, limit, size, tuning)
    return [_hit(r, terms) for r in rows]


def _among(
    conn: sqlite3.Connection,
    found: list[int],
    clauses: list[str],
    params: list[Any],
    filters: Filters,
    limit: int,
    size: int,
    tuning: Tuning,
) -> list[sqlite3.Row]:
    """The newest *limit* articles among the listed matches *found* that meet *clauses*.

    Walking the date index newest first and keeping the listed rowids reads a few bytes per
    article and stops after a page of hits: about ``limit * size / len(found)`` entries.
    Sorting reads each match's row. So a word in thousands of articles walks; a rare one, or
    a search on some sites or a province (the sort can start from the site index), sorts; a
    walk that a date filter makes long gives way to the sort after its budget.
    """
    listed = json.dumps(found)
    expected = limit * size / max(1, len(found))
    # Only dates narrow the date walk itself; a site, province or 来源 filter would make it
    # read on through articles of other sites (measured: slower than the sort at the median).
    narrowed = bool(filters.sites or filters.province or filters.source)
    if not narrowed and expected <= tuning.date_walk_rows:
        walk = _sorted_sql([_LISTED_ROWIDS, *clauses], limit, "articles a INDEXED BY articles_day")
        # Listing the matches for the walk takes about four VM steps each (json_each and
        # the temporary index it fills): the budget is for the walk on top of that.
        budget = tuning.date_walk_budget + 4 * len(found) // tuning.walk_step
        rows = _bounded(conn, walk, [listed, *params, limit], budget, tuning.walk_step)
        if rows is not None:
            return rows
    sort = _sorted_sql([_LISTED_ROWIDS, *clauses], limit)
    return _query(conn, sort, [listed, *params, limit])


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


def _sorted_sql(clauses: Sequence[str], limit: int, source: str = "articles a") -> str:
    """The newest *limit* articles that meet *clauses*: their dates ordered first, then only
    those rows read whole (carrying every match's body through the sort would read kilobytes
    per match that are never shown)."""
    page = f"SELECT a.rowid FROM {source} {where(clauses)} {_ORDER} LIMIT ?"
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
    conn: sqlite3.Connection, sql: str, params: Sequence[Any], budget: int, step: int
) -> list[sqlite3.Row] | None:
    """The rows of *sql*, or None when it needs more than *budget* times *step* SQLite VM
    steps (counted, not timed: the outcome does not depend on the machine's speed)."""
    steps = 0

    def over_budget() -> int:
        nonlocal steps
        steps += 1
        return int(steps > budget)

    conn.set_progress_handler(over_budget, step)
    try:
        return conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError as exc:
        if steps > budget:  # interrupted by the budget
            return None
        raise CorpusError(f"search failed: {exc}") from None  # pragma: no cover
    finally:
        conn.set_progress_handler(None, 0)


def _matches(conn: sqlite3.Connection, match: str, count: int, after: int = 0) -> list[int]:
    """The rowids of the first *count* matches (-1: all) of the FTS query *match* past rowid
    *after*, in rowid order: the index reads them from where it left off."""
    sql = "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? AND rowid > ? LIMIT ?"
    return [r[0] for r in conn.execute(sql, (match, after, count))]
