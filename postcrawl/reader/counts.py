"""What an archive holds, counted: :class:`Stats` and :class:`MonthlyCounts`."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

from postcrawl.reader.errors import CorpusError
from postcrawl.reader.query import Filters, where


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


def count(conn: sqlite3.Connection, filters: Filters) -> int:
    """How many articles *filters* keep."""
    clauses, params = filters.sql()
    sql = f"SELECT COUNT(*) FROM articles a {where(clauses)}"
    return int(conn.execute(sql, params).fetchone()[0])


def stats(conn: sqlite3.Connection, filters: Filters) -> Stats:
    """Articles per site, province and month; undated ones; the date range; provenance."""
    clauses, params = filters.sql()
    out = Stats()
    _count_articles(conn, clauses, params, out)
    _count_urls(conn, clauses, params, out)
    return out


def _count_articles(
    conn: sqlite3.Connection, clauses: list[str], params: list[Any], out: Stats
) -> None:
    """The article side of :func:`stats`: totals, the date range, per site/province/month."""
    q, where_sql = conn.execute, where(clauses)
    row = q(
        f"SELECT COUNT(*), SUM(a.day IS NULL), MIN(a.day), MAX(a.day) FROM articles a {where_sql}",
        params,
    ).fetchone()
    out.articles, out.undated = row[0], row[1] or 0
    out.first_day, out.last_day = row[2], row[3]
    out.per_site = _per(conn, "a.site", where_sql, "n DESC, a.site", params)
    out.per_province = _per(
        conn, "a.province", where_sql, "a.province IS NULL, n DESC, a.province", params
    )
    dated = where([*clauses, "a.month IS NOT NULL"])
    out.per_month = _per(conn, "a.month", dated, "a.month", params)


def _per(
    conn: sqlite3.Connection, column: str, where_sql: str, order: str, params: list[Any]
) -> list[tuple[Any, int]]:
    """Articles per value of *column* (``n`` is the count, for *order*)."""
    sql = (
        f"SELECT {column}, COUNT(*) n FROM articles a {where_sql} "
        f"GROUP BY {column} ORDER BY {order}"
    )
    return [(r[0], r[1]) for r in conn.execute(sql, params)]


def _count_urls(
    conn: sqlite3.Connection, clauses: list[str], params: list[Any], out: Stats
) -> None:
    """The provenance side of :func:`stats`: URLs by relation, duplicates and reposts."""
    q, joined = conn.execute, "FROM urls u JOIN articles a ON a.hash = u.hash"
    out.by_relation = {
        r[0]: r[1]
        for r in q(
            f"SELECT u.relation, COUNT(*) n {joined} {where(clauses)} "
            "GROUP BY u.relation ORDER BY n DESC",
            params,
        )
    }
    out.urls = sum(out.by_relation.values())
    further = where([*clauses, "u.relation != 'stored'"])
    row = q(
        f"SELECT SUM(u.site = a.site), SUM(u.site != a.site) {joined} {further}", params
    ).fetchone()
    out.duplicates, out.reposts = row[0] or 0, row[1] or 0
    out.reposted_articles = q(
        f"SELECT COUNT(*) FROM (SELECT a.hash {joined} {where(clauses)} "
        "GROUP BY a.hash HAVING COUNT(DISTINCT u.site) > 1)",
        params,
    ).fetchone()[0]


def monthly_counts(conn: sqlite3.Connection, by: str, filters: Filters) -> MonthlyCounts:
    """Dated articles per month, split by ``site`` or ``province`` (bureau sites only have a
    province; the rest count under ``"(not a bureau)"``)."""
    if by not in ("site", "province"):
        raise CorpusError(f"cannot group by {by!r}: use site or province")
    clauses, params = filters.sql()
    rows = conn.execute(
        f"SELECT a.month, COALESCE(a.{by}, '(not a bureau)'), COUNT(*) FROM articles a "
        f"{where([*clauses, 'a.month IS NOT NULL'])} GROUP BY 1, 2",
        params,
    ).fetchall()
    if not rows:
        return MonthlyCounts([], {})
    months = months_between(min(r[0] for r in rows), max(r[0] for r in rows))
    position = {m: i for i, m in enumerate(months)}
    series: dict[str, list[int]] = {}
    for month, group, n in rows:
        series.setdefault(group, [0] * len(months))[position[month]] += n
    ordered = sorted(series.items(), key=lambda kv: (-sum(kv[1]), kv[0]))
    return MonthlyCounts(months, dict(ordered))


def months_between(first: str, last: str) -> list[str]:
    """Every ``YYYY-MM`` from *first*'s month to *last*'s, both included."""
    year, month = int(first[:4]), int(first[5:7])
    out = []
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out
