"""Publication dates as the archive writes them: ``YYYY-MM-DD[ HH:MM[:SS]]``."""

from __future__ import annotations

import re
from datetime import date, datetime

_DATE_TIME = re.compile(
    r"(?<!\d)(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:\s*(\d{1,2})\s*[:：时]\s*(\d{2})(?:\s*[:：分]\s*(\d{2}))?)?"
)
_URL_DAY_PATTERNS = (
    re.compile(r"/t(\d{4})(\d{2})(\d{2})_\d+"),  # old TRS: t20190510_1828821.html
    re.compile(r"/(\d{4})[-/]?(\d{2})/?(\d{2})/"),  # 2023/1026/, 2024-05/11/, 20240511/
)
_URL_MONTH = re.compile(r"/(\d{4})(\d{2})/")  # bureau CMS month folder: /202310/

MIN_YEAR, MAX_YEAR = 1990, 2100


def _valid(y: int, m: int, d: int) -> bool:
    if not MIN_YEAR <= y <= MAX_YEAR:
        return False
    try:
        date(y, m, d)
    except ValueError:
        return False
    return True


def find_datetime(text: str) -> str | None:
    """The first plausible date (with time, when given) in *text*, normalized, or ``None``."""
    for m in _DATE_TIME.finditer(text):
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
        if not _valid(y, mo, d):
            continue
        out = f"{y:04d}-{mo:02d}-{d:02d}"
        if m[4] is not None and int(m[4]) < 24 and int(m[5]) < 60:
            out += f" {int(m[4]):02d}:{m[5]}"
            if m[6] is not None and int(m[6]) < 60:
                out += f":{m[6]}"
        return out
    return None


def from_epoch_ms(value: float | int | str) -> str | None:
    """A JSON-API epoch in milliseconds (China time) as ``YYYY-MM-DD HH:MM:SS``."""
    try:
        seconds = float(value) / 1000
    except (TypeError, ValueError):
        return None
    from datetime import timedelta, timezone

    moment = datetime.fromtimestamp(seconds, tz=timezone(timedelta(hours=8)))
    return moment.strftime("%Y-%m-%d %H:%M:%S") if MIN_YEAR <= moment.year <= MAX_YEAR else None


def day_from_url(url: str) -> str | None:
    """A publication day that the URL itself spells (``t20190510_``, ``/2023/1026/``)."""
    for pattern in _URL_DAY_PATTERNS:
        m = pattern.search(url)
        if m and _valid(int(m[1]), int(m[2]), int(m[3])):
            return f"{m[1]}-{m[2]}-{m[3]}"
    return None


def month_from_url(url: str) -> str | None:
    """The ``YYYY-MM`` month folder of a bureau CMS URL, when there is one."""
    m = _URL_MONTH.search(url)
    if m and _valid(int(m[1]), int(m[2]), 1):
        return f"{m[1]}-{m[2]}"
    return None


def day_of(published: str) -> date:
    """The calendar day of a normalized ``published`` value."""
    return date.fromisoformat(published[:10])
