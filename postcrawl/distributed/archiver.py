"""The archiver's one write path: :meth:`Archiver.archive_batch` writes a batch of stream
entries as one group commit of the archive steps — :class:`postcrawl.pipelines.groups.
StepGroups`, the pipeline process's group writer, over the ``ITEM_PIPELINES`` classes built on
:class:`postcrawl.pipelines.ArchiveStep` (topic → dedupe → store, in their order): the same
classes and the same archive code as an embedded crawl, one index transaction and one manifest
fsync per batch. It says, per entry, what became of it and whether it may be acknowledged: only
once its group has committed.

A redelivered entry (its archiver died before acknowledging it) whose URL the archive's ``seen``
table holds was archived already and is not written again; one whose write was cut short goes
through the steps, where the store replays the manifest first and dedupe then recognizes the
article. After each batch the seen store in Redis is brought up to the archive's ``seen`` rows of
the batch's URLs, in one round trip, before anything is acknowledged; that also covers marks a
crash lost. :meth:`Archiver.seed_seen` copies the whole table when Redis lacks URLs.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter
from collections.abc import Sequence
from typing import Any

from scrapy.settings import Settings

from postcrawl.crawl_archive import seen_for
from postcrawl.distributed import keys
from postcrawl.distributed.itemcodec import StreamItem
from postcrawl.distributed.seen import RedisSeenStore
from postcrawl.extensions import ARCHIVE_ERROR_KEY
from postcrawl.items import ArticleItem, SkippedPage
from postcrawl.pipelines.groups import StepGroups, StepHost

logger = logging.getLogger(__name__)

SeenRow = tuple[str, str | None, str, str | None]  # url, hash, status, seen_at

# The steps' counters (postcrawl/pipelines/) the archiver reports, under its own words.
REPORTED = {
    "postcrawl/store/stored": "stored",
    "postcrawl/store/replaced": "replaced",
    "postcrawl/store/duplicate": "duplicate",
    "postcrawl/dedupe/duplicate": "duplicate",
    "postcrawl/dedupe/near-duplicate": "near-duplicate",
    "postcrawl/dedupe/claimed": "claimed",
    "postcrawl/dedupe/suspicious": "suspicious",
    "postcrawl/topic/dropped": "off-topic",
    "postcrawl/store/skipped_pages": "skipped pages",
    "postcrawl/archiver/archived_already": "archived already",
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
    """What became of an entry: ``archived`` (kept by the steps: stored, an official page in
    place of its repost, or found archived by the store), ``skipped`` (a skipped page
    recorded), ``dropped`` (a step dropped it: a copy recorded as a further URL, off-topic,
    suspicious — *detail* says which), ``archived already`` (a redelivery), ``error`` (a bug:
    kept aside as a dead letter), ``not archived`` (the archive failed). *ack*: whether it may
    be acknowledged."""

    id: str
    outcome: str
    detail: str = ""
    ack: bool = True


class Archiver:
    """The archive steps on one archive (``POSTCRAWL_DATA_DIR``), built once. *settings* must
    name only the archive steps in ``ITEM_PIPELINES`` (:func:`postcrawl.distributed.mode.
    configure` with the ``archiver`` role does): the items come extracted and normalized."""

    def __init__(self, settings: Settings) -> None:
        self.host = StepHost(settings)
        self.groups = StepGroups(self.host)
        if self.groups.page_steps or not self.groups.archive_steps:
            self.host.close()
            raise ValueError("the archiver runs the archive steps only (topic, dedupe, store)")
        assert self.groups.archive is not None
        self.archive = self.groups.archive
        self.seen = seen_for(self.host)  # type: ignore[arg-type]
        self.totals: Counter[str] = Counter()  # the steps' counters, summed

    def close(self) -> None:
        """Close the archive (merging its full-text index, as a crawl's end does) and the
        seen store."""
        self.groups.close()

    @property
    def failure(self) -> str | None:
        """Why the archive cannot be written, once it cannot (then nothing more is archived)."""
        error = self.host.stats.get_value(ARCHIVE_ERROR_KEY)
        return str(error) if error else None

    def summary(self) -> dict[str, int]:
        """What the steps did so far, in the archiver's words (``stored``, ``off-topic``, …)."""
        out: Counter[str] = Counter()
        for key, word in REPORTED.items():
            out[word] += self.totals.get(key, 0)
        return {word: n for word, n in out.items() if n}

    def archive_batch(self, entries: Sequence[Entry]) -> list[Result]:
        """Archive *entries* as one group commit: one result per entry, in order. When the
        archive cannot be written (a full disk, …) nothing of the group is, no result of it
        is acknowledged, and :attr:`failure` says why. Before it returns, the shared seen store
        has every URL of the batch the archive now holds."""
        results: dict[str, Result] = {}
        todo: list[Entry] = []
        for entry in entries:
            if entry.deliveries > 1 and self._seen_row(entry.item.url) is not None:
                self.totals["postcrawl/archiver/archived_already"] += 1
                results[entry.id] = Result(entry.id, "archived already", entry.item.url)
            else:
                todo.append(entry)
        if todo:  # (after a failure, _result reports every entry of the group not archived)
            for entry, outcome in zip(todo, self._run(todo), strict=True):
                results[entry.id] = _result(entry, outcome, self.failure)
        marks = [row for entry in entries for row in self._seen_rows(entry.item)]
        if marks and isinstance(self.seen, RedisSeenStore):
            self.seen.mark_many(marks)
        return [results[entry.id] for entry in entries]

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

    # -- helpers ---------------------------------------------------------------------------
    def _run(self, entries: list[Entry]) -> list[tuple[Any, ...]]:
        """The group outcomes of *entries*. Entries that fail with an error are tried again
        one per group: a group commit that fails loses the whole group (an error for each
        item), and an entry alone tells its own error from its neighbours'."""
        group = self.groups.run([entry.item for entry in entries])
        self._replay(group.stats_ops)
        outcomes = list(group.outcomes)
        if len(entries) > 1 and self.failure is None:
            for i, outcome in enumerate(outcomes):
                if outcome[0] == "error":
                    alone = self.groups.run([entries[i].item])
                    self._replay(alone.stats_ops)
                    outcomes[i] = alone.outcomes[0]
        return outcomes

    def _replay(self, ops: list[tuple[Any, ...]]) -> None:
        """Sum the group's counter increments (the steps' ``inc_value`` calls)."""
        for op in ops:
            if op[0] == "inc":
                self.totals[op[1]] += int(op[2])

    def _seen_row(self, url: str) -> tuple[str | None, str, str | None] | None:
        """The archive's ``seen`` row of *url*: (hash, status, seen_at)."""
        row = self.archive.conn.execute(
            "SELECT hash, status, seen_at FROM seen WHERE url = ?", (url,)
        ).fetchone()
        return (row[0], row[1], row[2]) if row else None

    def _seen_rows(self, item: StreamItem) -> list[SeenRow]:
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


def _result(entry: Entry, outcome: tuple[Any, ...], failed: str | None) -> Result:
    """The result of one entry from its group outcome (``failed``: the group was not
    written)."""
    if failed is not None:
        return Result(entry.id, "not archived", failed, ack=False)
    if outcome[0] == "drop":
        return Result(entry.id, "dropped", str(outcome[1]))
    if outcome[0] == "error":
        logger.error(
            "could not archive stream entry %s (%s):\n%s", entry.id, entry.item.url, outcome[1]
        )
        return Result(entry.id, "error", str(outcome[1]).strip().splitlines()[-1])
    item = outcome[1]
    if isinstance(item, SkippedPage):
        return Result(entry.id, "skipped", item.reason)
    return Result(entry.id, "archived", getattr(item, "path", None) or "")
