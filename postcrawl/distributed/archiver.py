"""The archiver's one write path: :meth:`Archiver.archive_batch` runs stream entries through
the archive-side steps of ``ITEM_PIPELINES`` — the classes built on
:class:`postcrawl.pipelines.ArchiveStep` (topic → dedupe → store), in their order, the same
classes and the same archive code as an embedded crawl — and says, per entry, what became of
it and whether it may be acknowledged.

Each step commits its own write (the manifest line, then the index transaction) before it
returns, so an entry whose result says ``ack`` is in the archive. When the steps move to a
group writer (one index transaction and one manifest fsync per group), only
:meth:`Archiver.archive_batch` changes: it hands the whole batch over and acknowledges after
the group's commit.

A redelivered entry (its archiver died before acknowledging it) whose URL the archive's
``seen`` table holds was archived already and is not written again; one whose write was cut
short goes through the steps, where the store replays the manifest first and dedupe then
recognizes the article. After each batch the seen store in Redis is brought up to the
archive's ``seen`` rows of the batch's URLs, in one round trip, before anything is
acknowledged; that also covers marks a crash lost.
"""

from __future__ import annotations

import dataclasses
import inspect
import logging
from collections.abc import Sequence
from typing import Any

from scrapy import signals
from scrapy.exceptions import DropItem
from scrapy.settings import Settings
from scrapy.signalmanager import SignalManager
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.misc import load_object

from postcrawl.archive import ArchiveError, ArchiveStore, is_fatal
from postcrawl.crawl_archive import archive_for, seen_for
from postcrawl.distributed import keys
from postcrawl.distributed.itemcodec import StreamItem
from postcrawl.distributed.mode import archive_steps
from postcrawl.distributed.seen import RedisSeenStore
from postcrawl.extensions import ARCHIVE_ERROR_KEY
from postcrawl.items import ArticleItem, SkippedPage
from postcrawl.seen import SeenStore

logger = logging.getLogger(__name__)


# The steps' counters (postcrawl/pipelines/) that tell what became of an item, and the
# outcome each stands for.
_OUTCOME_STATS = {
    "postcrawl/store/stored": "stored",
    "postcrawl/store/replaced": "replaced",
    "postcrawl/store/duplicate": "duplicate",
    "postcrawl/dedupe/duplicate": "duplicate",
    "postcrawl/dedupe/near-duplicate": "near-duplicate",
    "postcrawl/dedupe/claimed": "claimed",
    "postcrawl/dedupe/suspicious": "suspicious",
    "postcrawl/topic/dropped": "off-topic",
}


@dataclasses.dataclass(frozen=True)
class Entry:
    """One stream entry: its id, the item, and how often it has been delivered (more than
    once: an archiver died holding it)."""

    id: str
    item: StreamItem
    deliveries: int = 1


@dataclasses.dataclass(frozen=True)
class Result:
    """What became of an entry: ``stored``, ``replaced`` (an official page in place of its
    repost), ``duplicate``, ``near-duplicate``, ``claimed`` (a copy, recorded as a further URL),
    ``off-topic``, ``skipped`` (skips recorded), ``suspicious`` or ``dropped`` (not recorded),
    ``archived already`` (a redelivery), ``error`` (a bug: kept aside as a dead letter),
    ``not archived`` (the archive failed). *ack*: whether it may be acknowledged."""

    id: str
    outcome: str
    detail: str = ""
    ack: bool = True


class StepContext:
    """What the steps' ``from_crawler`` read from a crawler: settings, stats and signals. No
    engine: on an archive error the archiver stops itself."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.signals = SignalManager(self)
        self.stats = MemoryStatsCollector(self)  # type: ignore[arg-type]
        self.engine = None
        self.spider = None


class Archiver:
    """The archive-side steps on one archive (``POSTCRAWL_DATA_DIR``), built once."""

    def __init__(self, settings: Settings) -> None:
        self.context = StepContext(settings)
        crawler: Any = self.context
        self.steps = [
            load_object(path).from_crawler(crawler) for path, _ in archive_steps(settings)
        ]
        if not self.steps:
            raise ValueError("ITEM_PIPELINES has no archive-side step (topic, dedupe, store)")
        self.archive: ArchiveStore = archive_for(crawler)
        self.seen: SeenStore = seen_for(crawler)

    def seed_seen(self, batch: int = 5000) -> int:
        """Copy the archive's ``seen`` rows into the shared seen store when it holds fewer URLs
        than the archive (a first distributed run on an archive an embedded crawl made, a Redis
        that lost its data): the archive is the record, and without this the workers would
        fetch again what it holds. How many rows were copied (0: nothing was missing)."""
        if not isinstance(self.seen, RedisSeenStore):
            return 0
        (rows,) = self.archive.conn.execute("SELECT count(*) FROM seen").fetchone()
        if self.seen.redis.hlen(keys.SEEN_URLS) >= rows:
            return 0
        copied = 0
        cursor = self.archive.conn.execute("SELECT url, hash, status, seen_at FROM seen")
        while chunk := cursor.fetchmany(batch):
            self.seen.mark_many(chunk)
            copied += len(chunk)
        return copied

    @property
    def stats(self) -> MemoryStatsCollector:
        return self.context.stats

    def close(self) -> None:
        """Close the archive (and the seen store), as a crawl does when its engine stops."""
        self.context.signals.send_catch_log(signal=signals.engine_stopped)

    def archive_batch(self, entries: Sequence[Entry]) -> list[Result]:
        """Archive *entries* in order: one result per entry handled. At an entry the archive
        cannot take (a full disk, …) it stops: that entry's result is not acknowledged, later
        entries get none, and :attr:`failure` says why. Before it returns, the shared seen
        store has every URL of the batch the archive now holds (one round trip)."""
        results: list[Result] = []
        marks: list[tuple[str, str | None, str, str | None]] = []
        for entry in entries:
            result = self._archive_one(entry)
            if self.failure is not None:
                results.append(dataclasses.replace(result, outcome="not archived", ack=False))
                break
            marks += self._seen_rows(entry.item)
            results.append(result)
        if marks and isinstance(self.seen, RedisSeenStore):
            self.seen.mark_many(marks)
        return results

    @property
    def failure(self) -> str | None:
        """Why the archive cannot be written, once it cannot (then nothing more is archived)."""
        error = self.stats.get_value(ARCHIVE_ERROR_KEY)
        return str(error) if error else None

    # -- one entry -------------------------------------------------------------------------
    def _archive_one(self, entry: Entry) -> Result:
        import redis

        item = entry.item
        if entry.deliveries > 1 and self._seen_row(item.url) is not None:
            self.stats.inc_value("postcrawl/archiver/archived_already")
            return Result(entry.id, "archived already", item.url)
        before = self._counts()
        try:
            for step in self.steps:
                item = step.process_item(item)
                if inspect.isawaitable(item):
                    raise TypeError(f"{type(step).__name__}.process_item is asynchronous")
        except DropItem as exc:
            return Result(entry.id, self._outcome(before, "dropped"), str(exc))
        except redis.RedisError:
            raise  # the seen store's server: retried, not a bad entry
        except Exception as exc:
            if isinstance(exc, ArchiveError) or is_fatal(exc):
                self.stats.set_value(ARCHIVE_ERROR_KEY, f"cannot write the archive: {exc}")
                return Result(entry.id, "not archived", str(exc), ack=False)
            logger.exception("could not archive stream entry %s (%s)", entry.id, entry.item.url)
            self.stats.inc_value("postcrawl/archiver/errors")
            return Result(entry.id, "error", f"{type(exc).__name__}: {exc}")
        if isinstance(item, SkippedPage):
            return Result(entry.id, "skipped", item.reason)
        path = item.path if isinstance(item, ArticleItem) else None
        return Result(entry.id, self._outcome(before, "stored"), path or "")

    def _counts(self) -> dict[str, int]:
        return {
            key: int(value)
            for key, value in self.stats.get_stats().items()
            if key in _OUTCOME_STATS and isinstance(value, int)
        }

    def _outcome(self, before: dict[str, int], default: str) -> str:
        """The outcome the steps counted for one entry (their stats moved), else *default*."""
        after = self._counts()
        for key, outcome in _OUTCOME_STATS.items():
            if after.get(key, 0) > before.get(key, 0):
                return outcome
        return default

    def _seen_row(self, url: str) -> tuple[str | None, str, str | None] | None:
        """The archive's ``seen`` row of *url*: (hash, status, seen_at)."""
        row = self.archive.conn.execute(
            "SELECT hash, status, seen_at FROM seen WHERE url = ?", (url,)
        ).fetchone()
        return (row[0], row[1], row[2]) if row else None

    def _seen_rows(self, item: StreamItem) -> list[tuple[str, str | None, str, str | None]]:
        """The archive's ``seen`` rows of the item's URLs (its own and its redirects')."""
        urls = [item.url]
        if isinstance(item, ArticleItem):
            urls += list(item.page.aliases)
        rows = []
        for url in urls:
            row = self._seen_row(url)
            if row is not None:
                rows.append((url, *row))
        return rows
