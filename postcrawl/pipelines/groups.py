"""Running the ``ITEM_PIPELINES`` steps over a group of items, one group commit per group.

:class:`StepGroups` is what the pipeline process (:mod:`postcrawl.pipelines.process`) runs: the
steps that only read the page (extract, normalize) run item by item; the steps that use the
archive (:class:`~postcrawl.pipelines.ArchiveStep`: topic, dedupe, store) run inside one
:meth:`~postcrawl.archive.ArchiveStore.group`, so the whole group costs one index transaction
and one manifest fsync. Each item's outcome is only final once its group has committed: when
the commit fails, every item the group would have stored is reported as not archived.

The steps are the same classes, built by ``from_crawler`` from a :class:`StepHost` that stands
in for the crawler: the crawl's settings, :class:`RecordingStats` whose changes go back to the
crawl's stats, and no engine.
"""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass, field
from typing import Any, Literal

from scrapy import signals
from scrapy.exceptions import DropItem
from scrapy.settings import Settings
from scrapy.signalmanager import SignalManager
from scrapy.utils.conf import build_component_list
from scrapy.utils.misc import build_from_crawler, load_object

from postcrawl.archive import ArchiveError
from postcrawl.crawl_archive import archive_for
from postcrawl.extensions import ARCHIVE_ERROR_KEY
from postcrawl.pipelines import ArchiveStep

logger = logging.getLogger(__name__)

# What became of one item: kept (the processed item), dropped (message, log level), or an
# error in a step (its traceback).
Outcome = (
    tuple[Literal["item"], Any]
    | tuple[Literal["drop"], str, str | int | None]
    | tuple[Literal["error"], str]
)
# A change to the crawl's stats, replayed by the crawl process (RecordingStats.ops).
StatsOp = tuple[Any, ...]

NOT_ARCHIVED = "not archived (the archive failed): {url}"


class RecordingStats:
    """Stats for the steps in the pipeline process: kept here (the steps read their own
    counts back) and recorded as operations for the crawl process to replay on its stats."""

    def __init__(self) -> None:
        self._stats: dict[str, Any] = {}
        self.ops: list[StatsOp] = []

    def get_value(self, key: str, default: Any = None) -> Any:
        return self._stats.get(key, default)

    def get_stats(self) -> dict[str, Any]:
        return self._stats

    def set_value(self, key: str, value: Any) -> None:
        self._stats[key] = value
        self.ops.append(("set", key, value))

    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None:
        self._stats[key] = self._stats.get(key, start) + count
        self.ops.append(("inc", key, count, start))

    def max_value(self, key: str, value: Any) -> None:
        self._stats[key] = max(self._stats.get(key, value), value)
        self.ops.append(("max", key, value))

    def min_value(self, key: str, value: Any) -> None:
        self._stats[key] = min(self._stats.get(key, value), value)
        self.ops.append(("min", key, value))

    def record_failure(self, url: str, reason: str) -> None:
        """:func:`postcrawl.extensions.note_failure` here: the crawl process keeps the list."""
        self.ops.append(("failure", url, reason))

    def take_ops(self) -> list[StatsOp]:
        ops, self.ops = self.ops, []
        return ops


class StepHost:
    """Stands in for the crawler when the steps are built in the pipeline process: the
    crawl's settings and recording stats; ``engine`` is None (an archive error is recorded in
    the stats, and the crawl process stops the crawl)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.stats = RecordingStats()
        self.signals = SignalManager(self)
        self.engine = None
        self.spider = None

    def close(self) -> None:
        """Close what the steps opened (the archive closes on ``engine_stopped``)."""
        self.signals.send_catch_log(signal=signals.engine_stopped)


def step_classes(settings: Settings) -> list[type]:
    """The ``ITEM_PIPELINES`` classes, in order."""
    paths = build_component_list(settings.getwithbase("ITEM_PIPELINES"))
    return [load_object(path) if isinstance(path, str) else path for path in paths]


@dataclass
class GroupResult:
    """What a group came to: an outcome per item, in order, and the stats changes."""

    outcomes: list[Outcome]
    stats_ops: list[StatsOp] = field(default_factory=list)


class StepGroups:
    """Runs the steps over groups of items (see the module docstring).

    *part* builds only some of the steps: ``"pages"`` the page steps (no archive is opened),
    ``"archive"`` the archive steps, for when the two run in separate processes."""

    def __init__(self, host: StepHost, part: Literal["all", "pages", "archive"] = "all") -> None:
        self.host = host
        classes = step_classes(host.settings)
        # The steps before the first archive step need no lock: run them outside the group.
        split = next((i for i, cls in enumerate(classes) if _is_archive_step(cls)), len(classes))
        page_classes = classes[:split] if part != "archive" else []
        archive_classes = classes[split:] if part != "pages" else []
        self.page_steps = [build_from_crawler(cls, host) for cls in page_classes]
        self.archive_steps = [build_from_crawler(cls, host) for cls in archive_classes]
        self.archive = archive_for(host) if self.archive_steps else None  # type: ignore[arg-type]

    def run(self, items: list[Any]) -> GroupResult:
        """Process *items* as one group; never raises for a bad item."""
        return self.run_archive(items, self.run_pages(items))

    def run_pages(self, items: list[Any]) -> list[Outcome]:
        """The page steps of a group, item by item (no lock, no archive); never raises."""
        return [self._run_steps(self.page_steps, item) for item in items]

    def run_archive(self, items: list[Any], outcomes: list[Outcome]) -> GroupResult:
        """The archive steps of a group, for the items its page steps kept (*outcomes*), as
        one group commit; never raises for a bad item."""
        outcomes = list(outcomes)
        waiting = [i for i, outcome in enumerate(outcomes) if outcome[0] == "item"]
        if waiting and self.archive is not None and self.archive_steps:
            try:
                with self.archive.group():
                    for i in waiting:
                        outcomes[i] = self._run_steps(self.archive_steps, outcomes[i][1])
            except ArchiveError as exc:
                # Nothing of the group was written: no item of it is archived.
                self._archive_failed(str(exc))
                for i in waiting:
                    if outcomes[i][0] == "item":
                        outcomes[i] = ("drop", NOT_ARCHIVED.format(url=_url(items[i])), None)
            except Exception:  # a bug in the commit: the group is lost, the crawl goes on
                error = traceback.format_exc()
                logger.error("a group of %d items was not archived:\n%s", len(waiting), error)
                for i in waiting:
                    if outcomes[i][0] == "item":
                        outcomes[i] = ("error", f"not archived: {error}")
        return GroupResult(outcomes, self.host.stats.take_ops())

    def _run_steps(self, steps: list[Any], item: Any) -> Outcome:
        """Run *steps* on *item*: the item they return, or why it stopped."""
        try:
            for step in steps:
                item = step.process_item(item)
        except DropItem as exc:
            return ("drop", str(exc), getattr(exc, "log_level", None))
        except Exception:  # a bug in a step: reported for this item, the group goes on
            return ("error", traceback.format_exc())
        return ("item", item)

    def _archive_failed(self, error: str) -> None:
        if not self.host.stats.get_value(ARCHIVE_ERROR_KEY):
            logger.error("%s; stopping the crawl", error)
            self.host.stats.set_value(ARCHIVE_ERROR_KEY, error)

    def close(self) -> None:
        self.host.close()


def _is_archive_step(cls: Any) -> bool:
    return isinstance(cls, type) and issubclass(cls, ArchiveStep)


def _url(item: Any) -> str:
    return str(getattr(item, "url", item))
