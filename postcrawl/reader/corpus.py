"""Read-only access to an archive's index: counts, full-text search, one article, row streams.

Everything here reads ``index.sqlite3`` through a read-only connection, so a researcher can
query an archive while a crawl writes to it (WAL: readers see the last committed state).
No Scrapy, no printing: the ``postcrawl`` commands format what these functions return.
"""

from __future__ import annotations

import calendar
import re
import sqlite3
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from postcrawl import index
from postcrawl.archive import INDEX
from postcrawl.textnorm import to_simplified

# The trigram tokenizer indexes every run of three characters, so a shorter term can never
# MATCH; such terms are looked up with LIKE instead (a scan, but only of what the other terms
# and filters leave).
TRIGRAM = 3
_DAY = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_HEX = re.compile(r"^[0-9a-f]+$")
_ARTICLE_NAME = re.compile(r"(?:^|/)\d{3,}_([0-9a-f]{16})\.txt$")
# Below this many full-text matches a search sorts its matches; above, it walks the articles
# newest first (see Corpus.search), for at most WALK_BUDGET x WALK_STEP SQLite VM steps before
# falling back to sorting. All ways give the same rows.
COMMON_MATCHES = 2000
WALK_BUDGET = 40  # ≈ 25 ms of walking on the benchmark machine
WALK_STEP = 1000  # VM steps between two budget checks
_FTS_ROWIDS = "a.rowid IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)"
_FTS_HAS_ROW = (
    "EXISTS (SELECT 1 FROM articles_fts f WHERE f.articles_fts MATCH ? AND f.rowid = a.rowid)"
)
# A prefix shorter than this would match half the archive; ask for more.
MIN_HASH_PREFIX = 4


class CorpusError(Exception):
    """The archive cannot be read as asked; ``str()`` is a one-line message for the user."""


@dataclass(frozen=True)
class Filters:
    """Which articles a command looks at. Empty fields do not filter.

    ``since``/``until`` take ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` and are inclusive
    (``until="2023-10"`` keeps all of October); they leave undated articles out.
    ``source`` matches part of the 来源 (``广东`` matches ``广东省邮政管理局``).
    """

    sites: tuple[str, ...] = ()
    since: str | None = None
    until: str | None = None
    source: str | None = None
    province: str | None = None

    def sql(self, alias: str = "a") -> tuple[list[str], list[Any]]:
        """``WHERE`` clauses and their parameters for an ``articles`` table called *alias*."""
        clauses: list[str] = []
        params: list[Any] = []
        if self.sites:
            clauses.append(f"{alias}.site IN ({','.join('?' * len(self.sites))})")
            params.extend(self.sites)
        if self.since:
            clauses.append(f"{alias}.day >= ?")
            params.append(day_bound(self.since, end=False))
        if self.until:
            clauses.append(f"{alias}.day <= ?")
            params.append(day_bound(self.until, end=True))
        if self.source:
            clauses.append(f"{alias}.source LIKE ? ESCAPE '\\'")
            params.append(f"%{like_escape(self.source)}%")
        if self.province:
            clauses.append(f"{alias}.province = ?")
            params.append(self.province)
        return clauses, params


def day_bound(text: str, *, end: bool) -> str:
    """``YYYY[-MM[-DD]]`` as the first (or, with *end*, last) ``YYYY-MM-DD`` it covers."""
    m = _DAY.match(text.strip())
    if not m:
        raise CorpusError(f"not a date: {text!r} (use YYYY, YYYY-MM or YYYY-MM-DD)")
    year, month, day = int(m[1]), int(m[2] or (12 if end else 1)), m[3]
    if not 1 <= month <= 12:
        raise CorpusError(f"not a date: {text!r} (month {month:02d})")
    last = calendar.monthrange(year, month)[1]
    number = int(day) if day else (last if end else 1)
    if not 1 <= number <= last:
        raise CorpusError(f"not a date: {text!r} (day {number:02d})")
    return f"{year:04d}-{month:02d}-{number:02d}"


def like_escape(text: str) -> str:
    """*text* as a literal inside a ``LIKE … ESCAPE '\\'`` pattern."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def query_terms(query: str) -> list[str]:
    """The terms of a search query, in the archive's form: NFKC-folded, simplified Chinese.

    Whitespace separates terms (all must occur); everything else is literal, so quotes,
    ``AND``, ``*`` or ``-`` are searched for as written, never read as FTS5 syntax.
    """
    text = to_simplified(unicodedata.normalize("NFKC", query))
    return list(dict.fromkeys(t for t in text.split() if t))


def fts_phrase(term: str) -> str:
    """*term* as an FTS5 string: double-quoted, inner quotes doubled (a literal phrase)."""
    return '"' + term.replace('"', '""') + '"'


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


@dataclass
class Stats:
    """What an archive holds, counted."""

    articles: int = 0
    undated: int = 0
    first_day: str | None = None
    last_day: str | None = None
    per_site: list[tuple[str, int]] = field(default_factory=list)
    per_province: list[tuple[str | None, int]] = field(default_factory=list)
    per_month: list[tuple[str, int]] = field(default_factory=list)
    urls: int = 0
    by_relation: dict[str, int] = field(default_factory=dict)
    # Further URLs (beyond the one each article was stored from), split by where they were:
    duplicates: int = 0  # on the site the article was stored from (a second URL, a re-fetch)
    reposts: int = 0  # on another site (an aggregator's copy, or the bureau's original)
    reposted_articles: int = 0  # articles seen on more than one site

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form (``postcrawl stats --json``)."""
        return {
            "articles": self.articles,
            "undated": self.undated,
            "date_range": {"first": self.first_day, "last": self.last_day},
            "per_site": dict(self.per_site),
            "per_province": {p or "": n for p, n in self.per_province},
            "per_month": dict(self.per_month),
            "urls": self.urls,
            "by_relation": self.by_relation,
            "duplicates": self.duplicates,
            "reposts": self.reposts,
            "reposted_articles": self.reposted_articles,
        }


@dataclass(frozen=True)
class MonthlyCounts:
    """Articles per month and group, every month of the range present (zeros filled in)."""

    months: list[str]
    series: dict[str, list[int]]  # group label -> count per month, largest group first


def _where(clauses: Sequence[str]) -> str:
    return f"WHERE {' AND '.join(clauses)}" if clauses else ""


def _months_between(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:7])
    out = []
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


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

    def close(self) -> None:
        self.conn.close()

    _size: int | None = None  # articles in the index, counted when first needed

    def __enter__(self) -> Corpus:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- counts ----------------------------------------------------------------------------
    def stats(self, filters: Filters | None = None) -> Stats:
        """Articles per site, province and month; undated ones; the date range; provenance."""
        clauses, params = (filters or Filters()).sql()
        where = _where(clauses)
        q = self.conn.execute
        stats = Stats()
        row = q(
            f"SELECT COUNT(*), SUM(a.day IS NULL), MIN(a.day), MAX(a.day) FROM articles a {where}",
            params,
        ).fetchone()
        stats.articles, stats.undated = row[0], row[1] or 0
        stats.first_day, stats.last_day = row[2], row[3]
        stats.per_site = [
            (r[0], r[1])
            for r in q(
                f"SELECT a.site, COUNT(*) n FROM articles a {where} "
                "GROUP BY a.site ORDER BY n DESC, a.site",
                params,
            )
        ]
        stats.per_province = [
            (r[0], r[1])
            for r in q(
                f"SELECT a.province, COUNT(*) n FROM articles a {where} "
                "GROUP BY a.province ORDER BY a.province IS NULL, n DESC, a.province",
                params,
            )
        ]
        month_where = _where([*clauses, "a.month IS NOT NULL"])
        stats.per_month = [
            (r[0], r[1])
            for r in q(
                f"SELECT a.month, COUNT(*) FROM articles a {month_where} "
                "GROUP BY a.month ORDER BY a.month",
                params,
            )
        ]
        url_sql = f"FROM urls u JOIN articles a ON a.hash = u.hash {where}"
        stats.by_relation = {
            r[0]: r[1]
            for r in q(
                f"SELECT u.relation, COUNT(*) n {url_sql} GROUP BY u.relation ORDER BY n DESC",
                params,
            )
        }
        stats.urls = sum(stats.by_relation.values())
        further = _where([*clauses, "u.relation != 'stored'"])
        row = q(
            "SELECT SUM(u.site = a.site), SUM(u.site != a.site) "
            f"FROM urls u JOIN articles a ON a.hash = u.hash {further}",
            params,
        ).fetchone()
        stats.duplicates, stats.reposts = row[0] or 0, row[1] or 0
        stats.reposted_articles = q(
            "SELECT COUNT(*) FROM (SELECT a.hash FROM urls u JOIN articles a ON a.hash = u.hash "
            f"{where} GROUP BY a.hash HAVING COUNT(DISTINCT u.site) > 1)",
            params,
        ).fetchone()[0]
        return stats

    def monthly_counts(self, by: str = "site", filters: Filters | None = None) -> MonthlyCounts:
        """Dated articles per month, split by ``site`` or ``province`` (bureau sites only have a
        province; the rest count under ``"(not a bureau)"``)."""
        if by not in ("site", "province"):
            raise CorpusError(f"cannot group by {by!r}: use site or province")
        clauses, params = (filters or Filters()).sql()
        rows = self.conn.execute(
            f"SELECT a.month, COALESCE(a.{by}, '(not a bureau)'), COUNT(*) FROM articles a "
            f"{_where([*clauses, 'a.month IS NOT NULL'])} GROUP BY 1, 2",
            params,
        ).fetchall()
        if not rows:
            return MonthlyCounts([], {})
        months = _months_between(min(r[0] for r in rows), max(r[0] for r in rows))
        position = {m: i for i, m in enumerate(months)}
        series: dict[str, list[int]] = {}
        for month, group, count in rows:
            series.setdefault(group, [0] * len(months))[position[month]] += count
        ordered = sorted(series.items(), key=lambda kv: (-sum(kv[1]), kv[0]))
        return MonthlyCounts(months, dict(ordered))

    # -- search ----------------------------------------------------------------------------
    def search(
        self, query: str, filters: Filters | None = None, limit: int | None = 20
    ) -> list[Hit]:
        """Articles whose title or body contains every term of *query*, newest first.

        Terms of three characters or more go through the FTS5 trigram index; shorter ones
        (``邮政``, ``局``) are matched with LIKE. Traditional queries find the simplified text.
        """
        terms = query_terms(query)
        if not terms:
            raise CorpusError("empty search query")
        clauses, params = (filters or Filters()).sql()
        for term in terms:
            if len(term) < TRIGRAM:
                clauses.append("(a.title LIKE ? ESCAPE '\\' OR a.body LIKE ? ESCAPE '\\')")
                params += [f"%{like_escape(term)}%"] * 2
        long_terms = [t for t in terms if len(t) >= TRIGRAM]
        rows = None
        if long_terms:
            match = " ".join(fts_phrase(t) for t in long_terms)
            if limit is not None and self._matches_at_least(match, self._common_threshold()):
                # A common word (邮政管理 is in most articles): sorting every match costs more
                # than walking the articles newest first and testing each until `limit` are
                # found, which takes few steps because most match. Filters can make the walk
                # long (a common word on one small site); past a budget it gives way.
                rows = self._bounded(
                    self._search_sql(
                        "articles a INDEXED BY articles_day",
                        [_FTS_HAS_ROW, *clauses],
                        limit,
                    ),
                    [match, *params, limit],
                )
            if rows is None:  # a rare word, or a walk too long: its matches, sorted
                rows = self._query(
                    self._search_sql("articles a", [_FTS_ROWIDS, *clauses], limit),
                    [match, *params] + ([limit] if limit is not None else []),
                )
        else:
            rows = self._query(
                self._search_sql("articles a", clauses, limit),
                params + ([limit] if limit is not None else []),
            )
        return [
            Hit(
                hash=r["hash"],
                published=r["published"],
                site=r["site"],
                title=r["title"],
                source=r["source"],
                path=r["path"],
                url=r["url"],
                snippet=make_snippet(r["body"], terms),
            )
            for r in rows
        ]

    @staticmethod
    def _search_sql(source: str, clauses: Sequence[str], limit: int | None) -> str:
        sql = (
            "SELECT a.hash, a.published, a.site, a.title, a.source, a.path, a.url, a.body "
            f"FROM {source} {_where(clauses)} ORDER BY a.day DESC, a.path DESC"
        )
        return sql + (" LIMIT ?" if limit is not None else "")

    def _query(self, sql: str, params: Sequence[Any]) -> list[sqlite3.Row]:
        try:
            return self.conn.execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:  # pragma: no cover - quoting makes this unreachable
            raise CorpusError(f"search failed: {exc}") from None

    def _bounded(self, sql: str, params: Sequence[Any]) -> list[sqlite3.Row] | None:
        """The rows of *sql*, or None when it needs more than :data:`WALK_BUDGET` times
        :data:`WALK_STEP` SQLite VM steps (counted, not timed: the outcome does not depend on
        the machine's speed)."""
        steps = 0

        def over_budget() -> int:
            nonlocal steps
            steps += 1
            return int(steps > WALK_BUDGET)

        self.conn.set_progress_handler(over_budget, WALK_STEP)
        try:
            return self.conn.execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:
            if steps > WALK_BUDGET:  # interrupted by the budget
                return None
            raise CorpusError(f"search failed: {exc}") from None  # pragma: no cover
        finally:
            self.conn.set_progress_handler(None, 0)

    def _common_threshold(self) -> int:
        """How many FTS matches make a word common enough to search newest-first by walking
        the articles: 1 % of the corpus, at least :data:`COMMON_MATCHES`."""
        if self._size is None:
            self._size = int(self.conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0])
        return max(COMMON_MATCHES, self._size // 100)

    def _matches_at_least(self, match: str, count: int) -> bool:
        """Whether the FTS query *match* has *count* matches or more (reads at most *count*)."""
        row = self.conn.execute(
            "SELECT COUNT(*) FROM (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? "
            "LIMIT ?)",
            (match, count),
        ).fetchone()
        return int(row[0]) >= count

    # -- one article -----------------------------------------------------------------------
    def resolve(self, ref: str) -> str:
        """The hash of the article *ref* names: a hash, a unique hash prefix (≥ 4 hex digits),
        or the article file's path (relative to the root, or any path ending in its name)."""
        ref = ref.strip()
        name = _ARTICLE_NAME.search(ref.replace("\\", "/"))
        if name:
            ref = name[1]
        elif "/" in ref or ref.endswith(".txt"):
            raise CorpusError(f"{ref} is not an article file (expected NNN_<hash16>.txt)")
        ref = ref.lower()
        if not _HEX.match(ref):
            raise CorpusError(f"{ref!r} is neither an article hash nor an article file")
        if len(ref) < MIN_HASH_PREFIX:
            raise CorpusError(f"hash prefix {ref!r} is too short: give {MIN_HASH_PREFIX}+ digits")
        # hex digits sort before "g", so [ref, ref+"g") is every hash starting with ref.
        rows = self.conn.execute(
            "SELECT hash, title FROM articles WHERE hash >= ? AND hash < ? ORDER BY hash LIMIT 6",
            (ref, ref + "g"),
        ).fetchall()
        if not rows:
            raise CorpusError(f"no article with hash {ref}")
        if len(rows) > 1:
            listed = "; ".join(f"{r['hash']} {r['title']}" for r in rows[:5])
            raise CorpusError(f"hash prefix {ref} is ambiguous: {listed}")
        return str(rows[0]["hash"])

    def article(self, ref: str) -> ArticleView:
        """The article *ref* names (see :meth:`resolve`) and every URL it was seen at: the one
        it was stored from first, then official pages, then the rest in crawl order."""
        body_hash = self.resolve(ref)
        row = self.conn.execute("SELECT * FROM articles WHERE hash = ?", (body_hash,)).fetchone()
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
            for r in self.conn.execute(
                "SELECT * FROM urls WHERE hash = ? "
                "ORDER BY relation != 'stored', official DESC, crawled_at, url",
                (body_hash,),
            )
        ]
        return ArticleView(dict(row), sightings)

    # -- rows for export -------------------------------------------------------------------
    def count(self, filters: Filters | None = None) -> int:
        """How many articles *filters* keep."""
        clauses, params = (filters or Filters()).sql()
        return int(
            self.conn.execute(
                f"SELECT COUNT(*) FROM articles a {_where(clauses)}", params
            ).fetchone()[0]
        )

    def iter_batches(
        self,
        filters: Filters | None = None,
        *,
        limit: int | None = None,
        batch_size: int = 1000,
    ) -> Iterator[list[dict[str, Any]]]:
        """The ``articles`` rows (:data:`EXPORT_COLUMNS`) in file order (by date, undated
        last), *batch_size* at a time: memory stays bounded whatever the corpus size."""
        clauses, params = (filters or Filters()).sql()
        # ORDER BY path walks the path index (UNIQUE): no sort of the whole corpus.
        sql = (
            f"SELECT {', '.join('a.' + c for c in EXPORT_COLUMNS)} FROM articles a "
            f"{_where(clauses)} ORDER BY a.path"
        )
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        cursor = self.conn.execute(sql, params)
        while batch := cursor.fetchmany(batch_size):
            yield [dict(r) for r in batch]


# One export row per article: the index's ``articles`` columns, body last.
EXPORT_COLUMNS: tuple[str, ...] = tuple(index.ARTICLE_COLUMNS)
