"""How Scrapy logs what happens to items: a dropped item in one line.

Scrapy's own :meth:`~scrapy.logformatter.LogFormatter.dropped` logs the reason and then the
whole item, every paragraph of the article included: a backfill that meets a few hundred
duplicates buries the log. Ours logs the URL and the reason, at the level Scrapy chose.
"""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy import Spider
from scrapy.http import Response
from scrapy.logformatter import LogFormatter, LogFormatterResult
from twisted.python.failure import Failure


def item_url(item: Any) -> str | None:
    """The URL of *item*, when it is an item that has one."""
    if not ItemAdapter.is_item(item):
        return None
    url = ItemAdapter(item).get("url")
    return str(url) if url else None


class OneLineLogFormatter(LogFormatter):
    """Scrapy's log formatter, with dropped items logged as ``Dropped <url>: <reason>``."""

    def dropped(
        self,
        item: Any,
        exception: BaseException,
        response: Response | Failure | None,
        spider: Spider,
    ) -> LogFormatterResult:
        # Scrapy's result carries the level (DropItem's log_level, else the setting).
        level = super().dropped(item, exception, response, spider)["level"]
        reason = " ".join(str(exception).split()) or type(exception).__name__
        url = item_url(item)
        if url is None or url in reason:  # our pipelines' reasons already name the URL
            return {"level": level, "msg": "Dropped: %(reason)s", "args": {"reason": reason}}
        return {
            "level": level,
            "msg": "Dropped %(url)s: %(reason)s",
            "args": {"url": url, "reason": reason},
        }
