"""Publication dates as the archive writes them: ``YYYY-MM-DD[ HH:MM[:SS]]``."""

from __future__ import annotations

import re
from datetime import date, datetime

# A date, then optionally a time: 2025-07-01 08:35, 2025/7/1 8:35:02, 2025-07-01T08:35,
# 2025年7月1日08:35, 2025年7月1 08时35分. Between date and time there may be a space (any
# width), a "T", or nothing at all (山西新闻网 prints 2025年07月01日08:35). With nothing between
# them, a day without 日 runs into the hour (2025年7月108:35), so there the hour must have two
# digits, and the day is read lazily so that it leaves those two digits to the hour.
_DATE_TIME = re.compile(
    r"(?<!\d)(?P<y>\d{4})\s*[-/.年]\s*(?P<mo>\d{1,2})\s*[-/.月]\s*"
    r"(?P<d>\d{1,2}?)(?:\s*日|(?=\d{2}\s*[:：时]\s*\d{2})|(?!\d))"
    r"(?:(?:(?:\s*T\s*|\s+|(?<=日))(?P<h>\d{1,2})|(?P<h2>\d{2}))"
    r"\s*[:：时]\s*(?P<mi>\d{2})(?:\s*[:：分]\s*(?P<s>\d{2}))?)?"
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
    found = find_datetime_span(text)
    return found[0] if found else None


def find_datetime_span(text: str) -> tuple[str, int, int] | None:
    """The first plausible date in *text*, normalized, with where it starts and ends.

    Impossible dates (month 13, 30 February) and years outside ``MIN_YEAR..MAX_YEAR`` are
    skipped; an impossible time (25:61) is dropped and the date kept."""
    for m in _DATE_TIME.finditer(text):
        y, mo, d = int(m["y"]), int(m["mo"]), int(m["d"])
        if not _valid(y, mo, d):
            continue
        out = f"{y:04d}-{mo:02d}-{d:02d}"
        hour = m["h"] if m["h"] is not None else m["h2"]
        if hour is not None and int(hour) < 24 and int(m["mi"]) < 60:
            out += f" {int(hour):02d}:{m['mi']}"
            if m["s"] is not None and int(m["s"]) < 60:
                out += f":{m['s']}"
        return out, m.start(), m.end()
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
