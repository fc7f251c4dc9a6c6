"""Walking a site's lists incrementally: which listed articles to fetch, and when to stop paging.

Every list a spider pages through (a channel's pages, its API pages, a start path) is one walk
(:class:`ListWalk`) under a stable key, ``<site>:<list name>``. The crawl frontier keeps the
head of the last *complete* walk of each key as its watermark; :meth:`ListWalking.page_verdict`
stops a walk early only at a page whose entries are all known and that reached that watermark,
so a list whose newest rows are all known still pages on when its history was never walked to
the end. A walk that ends records its own head (:meth:`ListWalk.done`).

``full=1`` ignores what the archive has seen and the watermarks; ``since=`` stops at entries
older than that day. :class:`ListWalking` is a mixin of :class:`postcrawl.spiders.base.ArchiveSpider`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from postcrawl.frontier import Frontier, Watermark
from postcrawl.items import ListWalkDone
from postcrawl.seen import SeenStore
from postcrawl.siteroots import SiteRoots
from postcrawl.sites import Site

PageVerdict = Literal["more", "end", "caught-up", "since"]


@dataclass
class ListWalk:
    """One walk down one list (a channel's pages, its API pages, a start path) in this run.

    *watermark* is where the last complete walk of the list began; the walk may stop early
    only once it has reached that point (:meth:`ListWalking.page_verdict`).
    """

    key: str
    watermark: Watermark | None
    head: Watermark | None = None
    reached: bool = False
    pages: int = field(default=0)

    def observe(self, entries: Sequence[tuple[str, str | None]]) -> None:
        """Note one page's entries (real URL, listed date), newest first."""
        self.pages += 1
        if self.head is None and entries:
            self.head = Watermark(*entries[0])
        if self.watermark is not None and any(self.watermark.covers(u, p) for u, p in entries):
            self.reached = True

    def done(self) -> ListWalkDone | None:
        """The record of this walk's completion (``None`` when it saw no entry at all)."""
        if self.head is None:
            return None
        return ListWalkDone(self.key, self.head.url, self.head.published)

    def finish(self, verdict: PageVerdict) -> Iterator[ListWalkDone]:
        """At the walk's last page (*verdict* of that page): its record, unless ``since=`` cut
        it short (the older entries were never walked) or it saw no entry."""
        if verdict != "since" and (done := self.done()) is not None:
            yield done


class ListWalking:
    """The incremental crawl of a spider's lists: :meth:`new_walk` per list, then
    :meth:`page_verdict` per page. The spider sets the attributes below."""

    site: Site
    roots: SiteRoots
    full: bool
    since: date | None
    seen: SeenStore | None
    frontier: Frontier | None
    crawler: Any  # scrapy.crawler.Crawler: its stats count the entries

    def new_walk(self, list_name: str) -> ListWalk:
        """A walk of one of this site's lists, with its watermark (``full=1``: none)."""
        key = f"{self.site.name}:{list_name}"
        watermark = None
        if self.frontier is not None and not self.full:
            watermark = self.frontier.watermark(key)
        return ListWalk(key, watermark)

    def page_verdict(
        self, walk: ListWalk, entries: Sequence[tuple[str, str | None]]
    ) -> tuple[list[int], PageVerdict]:
        """Which entries of one list page (real URL, listed date) to request, by position, and
        whether to page on: ``end`` (an empty page), ``since`` (all older than ``since=``),
        ``caught-up`` (all known, at or past the watermark of a complete walk) or ``more``."""
        stats = self.crawler.stats
        walk.observe(entries)
        wanted: list[int] = []
        known = too_old = 0
        for position, (url, published) in enumerate(entries):
            if self.too_old(published):
                too_old += 1
                continue
            if self.is_known(url):
                known += 1
                continue
            wanted.append(position)
            # A URL the frontier holds is requested again (pending ones were requested at
            # start, and Scrapy's dupefilter drops the repeat), but counts as known below.
            if self.frontier is not None and not self.full and self.frontier.is_listed(url):
                known += 1
        stats.inc_value("postcrawl/list/entries", len(entries))
        stats.inc_value("postcrawl/list/known", known)
        stats.inc_value("postcrawl/list/too_old", too_old)
        if not entries:
            return wanted, "end"
        if too_old == len(entries):
            return wanted, "since"
        if not self.full and walk.reached and known + too_old == len(entries):
            stats.inc_value("postcrawl/list/stopped_at_watermark")
            return wanted, "caught-up"
        return wanted, "more"

    def is_known(self, url: str) -> bool:
        """Whether the archive has already handled this article URL (``full=1``: never)."""
        if self.full or self.seen is None:
            return False
        return self.seen.url_seen(self.roots.real_url(url))

    def too_old(self, published: str | None) -> bool:
        """Whether a listed date falls before ``since``."""
        return bool(self.since and published and published[:10] < self.since.isoformat())
