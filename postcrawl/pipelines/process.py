"""The pipeline process: the ``ITEM_PIPELINES`` steps run off the reactor, in group commits.

A crawl's reactor thread downloads and parses; extracting, normalizing, deduplicating and
writing each article on that thread too made it the bottleneck (and threads in the same
process do not help: the GIL). :class:`PipelineProcess` (Scrapy's ``ITEM_PROCESSOR``) instead
sends the items to two child processes running :class:`~postcrawl.pipelines.groups.StepGroups`
(one pair per crawl process, shared by its crawlers, each with its own steps there): the page
process runs the page steps (extract, normalize: Python, a core's worth) and passes each group
on to the archive process, which runs the archive steps (topic, dedupe, store) and commits,
so the two halves of the work run at once (threads of one process would take turns: a
measured try gained nothing). Together they are "the pipeline process" below:

- whatever items are waiting go as one group, at most ``POSTCRAWL_GROUP_MAX``, with at most
  two groups on their way (one being processed, the next queued): under load the groups grow,
  when the crawl is slow each item goes alone, so a group never waits to fill;
- an item is done (``item_scraped`` / ``item_dropped``) only when the group holding it has
  committed, so the crash rules of the archive hold: an item not acknowledged was not written,
  or was written whole and recovery finds it;
- the items waiting keep their responses in Scrapy's scraper slot, whose size limit
  (``SCRAPER_SLOT_MAX_ACTIVE_SIZE``) stops the engine from taking more requests: memory stays
  flat when the pipeline is the slower side;
- stats changes and log lines of the steps come back with each group and are replayed here; an
  archive error stops the crawl as before (finish reason ``archive_error``);
- the children die with the crawl (``PR_SET_PDEATHSIG``), as after a power cut, and if either
  dies the crawl stops with an archive error: nothing waits forever.

``POSTCRAWL_PIPELINE_PROCESS = False`` runs the same groups on the reactor thread instead
(for debugging a step, and for crawls too small to pay for a second interpreter).
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import pickle
import queue
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection, wait
from typing import Any, Self

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.settings import Settings
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import reactor
from twisted.internet.defer import Deferred

from postcrawl import failpoints
from postcrawl.crawl_archive import stop_for_archive_error
from postcrawl.extensions import ARCHIVE_ERROR_KEY, note_failure
from postcrawl.pipelines.groups import GroupResult, Outcome, StatsOp, StepGroups, StepHost

logger = logging.getLogger(__name__)

# Groups sent to the child and not yet answered: one being processed, one queued behind it.
IN_FLIGHT = 2
LogLine = tuple[str, int, str]


class PipelineStepError(Exception):
    """A step failed on an item with an unexpected error (its traceback is the message)."""


class PipelineProcess:
    """Scrapy's ``ITEM_PROCESSOR`` for postcrawl: the steps in a pipeline process, in groups
    (see the module docstring)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.max_group = max(1, settings.getint("POSTCRAWL_GROUP_MAX", 200))
        self.backend: _Backend = (
            _ChildBackend(settings, self._on_message)
            if settings.getbool("POSTCRAWL_PIPELINE_PROCESS", True)
            else _InlineBackend(settings, self._on_message)
        )
        self._waiting: list[tuple[Any, Deferred[Outcome]]] = []
        self._in_flight: dict[int, list[Deferred[Outcome]]] = {}
        self._next_id = 0
        self._ready: Deferred[None] = Deferred()
        self._closed: Deferred[None] = Deferred()
        self._failed: str | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    # -- ItemProcessorProtocol -------------------------------------------------------------
    async def open_spider_async(self) -> None:
        self.backend.start()
        await maybe_deferred_to_future(self._ready)
        if self._failed:
            raise PipelineStepError(f"the pipeline process did not start:\n{self._failed}")

    async def process_item_async(self, item: Any) -> Any:
        done: Deferred[Outcome] = Deferred()
        self._waiting.append((item, done))
        self._dispatch()
        outcome = await maybe_deferred_to_future(done)
        if outcome[0] == "item":
            return outcome[1]
        if outcome[0] == "drop":
            raise DropItem(outcome[1], log_level=outcome[2])
        raise PipelineStepError(outcome[1])

    async def close_spider_async(self) -> None:
        # The engine closes the spider once no item is in process; stop the child after it.
        self.backend.stop()
        await maybe_deferred_to_future(self._closed)

    # -- groups ----------------------------------------------------------------------------
    def _dispatch(self) -> None:
        while self._waiting and len(self._in_flight) < IN_FLIGHT and not self._failed:
            group, self._waiting = (
                self._waiting[: self.max_group],
                self._waiting[self.max_group :],
            )
            group_id, self._next_id = self._next_id, self._next_id + 1
            self._in_flight[group_id] = [done for _, done in group]
            self.crawler.stats.max_value("postcrawl/pipeline/max_group", len(group))
            self.crawler.stats.inc_value("postcrawl/pipeline/groups")
            self.backend.send(group_id, [item for item, _ in group])

    def _on_message(self, message: tuple[Any, ...]) -> None:
        """A message from the backend, on the reactor thread."""
        kind = message[0]
        if kind == "ready":
            self._ready.callback(None)
        elif kind == "done":
            _, group_id, result, logs = message
            self._replay(result.stats_ops, logs)
            for done, outcome in zip(self._in_flight.pop(group_id), result.outcomes, strict=True):
                done.callback(outcome)
            self._dispatch()
        elif kind == "closed":
            _, ops, logs = message
            self._replay(ops, logs)
            self._closed.callback(None)
        elif kind == "failed":  # the child could not start, or died
            self._fail(message[1])

    def _fail(self, why: str) -> None:
        """The pipeline process is gone: every waiting item fails, the crawl stops."""
        if self._failed:
            return
        self._failed = why
        stop_for_archive_error(self.crawler, f"the pipeline process failed: {why.strip()}")
        error: Outcome = ("error", f"the pipeline process failed: {why}")
        pending = [done for group in self._in_flight.values() for done in group]
        pending += [done for _, done in self._waiting]
        self._in_flight.clear()
        self._waiting.clear()
        for done in pending:
            done.callback(error)
        for waiter in (self._ready, self._closed):
            if not waiter.called:
                waiter.callback(None)

    def _replay(self, ops: list[StatsOp], logs: list[LogLine]) -> None:
        for name, level, text in logs:
            logging.getLogger(name).log(level, "%s", text)
        stats = self.crawler.stats
        assert stats is not None
        for op in ops:
            kind, key = op[0], op[1]
            if kind == "inc":
                stats.inc_value(key, op[2], op[3])
            elif kind == "failure":
                note_failure(stats, key, op[2])
            elif kind == "set" and key == ARCHIVE_ERROR_KEY:
                stop_for_archive_error(self.crawler, op[2])
            elif kind == "set":
                stats.set_value(key, op[2])
            elif kind == "max":
                stats.max_value(key, op[2])
            elif kind == "min":
                stats.min_value(key, op[2])


# -- backends: where the groups run ------------------------------------------------------------
Receiver = Callable[[tuple[Any, ...]], None]


class _Backend:
    """Where the groups run: :meth:`start`, :meth:`send` a group, :meth:`stop`; answers go to
    the receiver given when it was made."""

    def start(self) -> None: ...
    def send(self, group_id: int, items: list[Any]) -> None: ...
    def stop(self) -> None: ...


class _InlineBackend(_Backend):
    """The groups on the reactor thread: items of one reactor turn form a group."""

    def __init__(self, settings: Settings, receive: Receiver) -> None:
        self.settings = settings
        self.receive = receive
        self.groups: StepGroups | None = None
        self.host: StepHost | None = None

    def start(self) -> None:
        try:
            self.host = StepHost(self.settings)
            self.groups = StepGroups(self.host)
        except Exception:
            self.receive(("failed", traceback.format_exc()))
            return
        self.receive(("ready",))

    def send(self, group_id: int, items: list[Any]) -> None:
        reactor.callLater(0, self._run, group_id, items)  # type: ignore[attr-defined]

    def _run(self, group_id: int, items: list[Any]) -> None:
        assert self.groups is not None
        self.receive(("done", group_id, self.groups.run(items), []))

    def stop(self) -> None:
        ops: list[StatsOp] = []
        if self.groups is not None and self.host is not None:
            self.groups.close()
            ops = self.host.stats.take_ops()
        self.receive(("closed", ops, []))


class _ChildBackend(_Backend):
    """The groups in the crawl process's pipeline process (:class:`_PipelineChild`), as one
    session of it: each crawler of the process has its own steps and stats there."""

    def __init__(self, settings: Settings, receive: Receiver) -> None:
        self.settings = _picklable(settings)
        self.log_level = settings.get("LOG_LEVEL", "INFO")
        self.receive = receive
        self.session: int | None = None

    def start(self) -> None:
        self.session = _PipelineChild.shared(self.log_level).attach(self.settings, self.receive)

    def send(self, group_id: int, items: list[Any]) -> None:
        assert self.session is not None
        _PipelineChild.shared(self.log_level).send(("group", self.session, group_id, items))

    def stop(self) -> None:
        if self.session is not None:
            _PipelineChild.shared(self.log_level).detach(self.session)


class _PipelineChild:
    """The one pipeline process (its page and archive processes) of a crawl process, shared
    by its crawlers (``postcrawl crawl --all`` runs 37 in one process: 37 pairs of interpreters
    would cost more than they save). A thread sends to the page process (pickling a group must
    not hold up the reactor), another waits for the archive process's answers and for either
    child's death; answers go to the session they name. Both end when the last session
    closes."""

    _current: _PipelineChild | None = None

    @classmethod
    def shared(cls, log_level: str | int) -> _PipelineChild:
        if cls._current is None or cls._current.ended:
            cls._current = cls(log_level)
        return cls._current

    def __init__(self, log_level: str | int) -> None:
        self.ended = False
        self._sessions: dict[int, Receiver] = {}
        self._next_session = 0
        self._outbox: queue.SimpleQueue[tuple[Any, ...] | None] = queue.SimpleQueue()
        context = multiprocessing.get_context("spawn")
        to_pages_r, to_pages_w = context.Pipe(duplex=False)
        to_archive_r, to_archive_w = context.Pipe(duplex=False)
        from_child_r, from_child_w = context.Pipe(duplex=False)
        self.process = context.Process(
            target=archive_main,
            args=(to_archive_r, from_child_w, log_level, os.getpid()),
            name="postcrawl-archive",
            daemon=True,
        )
        self.pages = context.Process(
            target=pages_main,
            args=(to_pages_r, to_archive_w, log_level, os.getpid()),
            name="postcrawl-pages",
            daemon=True,
        )
        self.process.start()
        self.pages.start()
        for end in (to_pages_r, to_archive_r, to_archive_w, from_child_w):
            end.close()
        threading.Thread(
            target=self._send_loop, args=(to_pages_w,), name="pipeline-send", daemon=True
        ).start()
        threading.Thread(
            target=self._receive_loop, args=(from_child_r,), name="pipeline-receive", daemon=True
        ).start()

    def attach(self, settings: dict[str, Any], receive: Receiver) -> int:
        session, self._next_session = self._next_session, self._next_session + 1
        self._sessions[session] = receive
        self.send(("open", session, settings))
        return session

    def detach(self, session: int) -> None:
        self.send(("close", session))

    def send(self, message: tuple[Any, ...]) -> None:
        self._outbox.put(message)

    def _send_loop(self, conn: Connection) -> None:
        while (message := self._outbox.get()) is not None:
            try:
                conn.send(message)
            except (OSError, ValueError):
                return  # the child is gone: the receive loop reports it

    def _deliver(self, message: tuple[Any, ...]) -> None:
        """On the reactor thread: hand an answer to its session."""
        kind, session = message[0], message[1]
        receive = self._sessions.get(session)
        if kind == "closed":
            self._sessions.pop(session, None)
            if not self._sessions:  # the last crawler is done: the child may end
                self.ended = True
                self.send(("stop",))
                self.send(None)
        if receive is not None:
            receive((kind, *message[2:]))

    def _receive_loop(self, conn: Connection) -> None:
        call = reactor.callFromThread  # type: ignore[attr-defined]
        while True:
            ready = wait([conn, self.process.sentinel, self.pages.sentinel])
            if conn in ready:
                try:
                    message = conn.recv()
                except (EOFError, OSError):
                    message = None
                if message is not None:
                    if message[0] == "stopped":
                        # Reaped before the crawl ends: their CPU time counts in the crawl's.
                        self.pages.join(30)
                        self.process.join(30)
                        return
                    call(self._deliver, message)
                    continue
            # One of the two died (the other then ends too): name the first.
            dead = self.pages if self.pages.sentinel in ready else self.process
            dead.join(5)
            code = dead.exitcode
            why = f"signal {-code}" if code is not None and code < 0 else f"exit status {code}"
            call(self._died, f"its {dead.name} process ended unexpectedly ({why})")
            return

    def _died(self, why: str) -> None:
        self.ended = True
        self._outbox.put(None)
        sessions, self._sessions = self._sessions, {}
        for receive in sessions.values():
            receive(("failed", why))


def _picklable(settings: Settings) -> dict[str, Any]:
    """The crawl's settings that can travel to the child (not live objects a test set)."""
    values: dict[str, Any] = {}
    for key, value in settings.copy_to_dict().items():
        try:
            pickle.dumps(value)
        except Exception:
            continue
        values[key] = value
    return values


# -- the child ---------------------------------------------------------------------------------
class _LogLines(logging.Handler):
    """Keeps the child's log lines to send back with each group."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[LogLine] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        self.lines.append((record.name, record.levelno, text))

    def take(self) -> list[LogLine]:
        lines, self.lines = self.lines, []
        return lines


def _die_with(crawl_pid: int) -> None:
    """Be killed when the crawl process dies, as a power cut would end both."""
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != crawl_pid:  # the crawl died before the line above
        os._exit(1)


def _child_setup(log_level: str | int, crawl_pid: int) -> _LogLines:
    """Start of either child: die with the crawl, keep the log lines to send back."""
    _die_with(crawl_pid)
    failpoints.kill_also(crawl_pid)
    lines = _LogLines()
    root = logging.getLogger()
    root.addHandler(lines)
    root.setLevel(log_level)
    return lines


def pages_main(inbox: Connection, outbox: Connection, log_level: str | int, crawl_pid: int) -> None:
    """The page process: a session's page steps (extract, normalize) run on each group; the
    group goes on to the archive process with their outcomes, stats changes and log lines.
    Every other message is passed on as it came (``open`` with the error, if the page steps
    could not be built)."""
    lines = _child_setup(log_level, crawl_pid)
    sessions: dict[int, tuple[StepHost, StepGroups]] = {}
    while True:
        try:
            message = inbox.recv()
        except EOFError:
            return  # the crawl is gone
        kind = message[0]
        if kind == "open":
            error = None
            try:
                host = StepHost(Settings(message[2]))
                sessions[message[1]] = (host, StepGroups(host, "pages"))
            except Exception:
                error = traceback.format_exc()
            message = (*message, error)
        elif kind == "group":
            _, session, group_id, items = message
            host, groups = sessions[session]
            outcomes = groups.run_pages(items)
            message = ("group", session, group_id, items, outcomes, host.stats.take_ops())
        elif kind == "close":
            ops: list[StatsOp] = []
            if (entry := sessions.pop(message[1], None)) is not None:  # (None: failed to open)
                entry[1].close()
                ops = entry[0].stats.take_ops()
            message = ("close", message[1], ops)
        outbox.send((*message, lines.take()) if kind != "stop" else message)
        if kind == "stop":
            return


def archive_main(
    inbox: Connection, outbox: Connection, log_level: str | int, crawl_pid: int
) -> None:
    """The archive process: a session's archive steps (topic, dedupe, store) run on each group
    the page process passes on, as one group commit; it answers the crawl process."""
    lines = _child_setup(log_level, crawl_pid)
    sessions: dict[int, tuple[StepHost, StepGroups]] = {}
    try:
        while True:
            try:
                message = inbox.recv()
            except EOFError:
                return  # the crawl or the page process is gone
            kind = message[0]
            if kind == "stop":
                break
            session = message[1]
            if kind == "open":
                _, _, settings, error, logs = message
                lines.lines[:0] = logs  # they go back with the next answer
                try:
                    if error:
                        raise PipelineStepError(error)
                    host = StepHost(Settings(settings))
                    sessions[session] = (host, StepGroups(host, "archive"))
                except Exception:
                    outbox.send(("failed", session, traceback.format_exc()))
                    continue
                outbox.send(("ready", session))
            elif kind == "group":
                _, _, group_id, items, outcomes, ops, logs = message
                result: GroupResult = sessions[session][1].run_archive(items, outcomes)
                result.stats_ops[:0] = ops
                outbox.send(("done", session, group_id, result, logs + lines.take()))
            elif kind == "close":
                _, _, ops, logs = message
                if (entry := sessions.pop(session, None)) is not None:  # (None: failed to open)
                    entry[1].close()
                    ops = ops + entry[0].stats.take_ops()
                outbox.send(("closed", session, ops, logs + lines.take()))
    except Exception:
        for session in sessions:
            outbox.send(("failed", session, traceback.format_exc()))
        raise
    outbox.send(("stopped", -1))
