"""What a reading command asks for, as SQL: filters, day bounds, LIKE escaping, search terms."""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from postcrawl.chinese_text import to_simplified
from postcrawl.reader.errors import CorpusError

_DAY = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


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


def where(clauses: Sequence[str]) -> str:
    """``WHERE`` the *clauses* joined with ``AND``; nothing when there are none."""
    return f"WHERE {' AND '.join(clauses)}" if clauses else ""


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
