"""One crawl at a time per archive root: ``<data>/.run.lock``.

Separate from the archive's write lock (``<data>/.lock``, held for each single change): the run
lock is held for a whole crawl, so that a cron or systemd timer firing while the previous run
is still going does not start a second crawl of the same archive. It is an ``flock`` on the
file, so the kernel releases it when the holder exits, however it exits (even SIGKILL); the
file's text (pid, start time, command) only serves the message the second run prints.
"""

from __future__ import annotations

import fcntl
import logging
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

logger = logging.getLogger(__name__)

RUN_LOCK = ".run.lock"
EXIT_LOCKED = 75  # EX_TEMPFAIL: try again later


class RunLocked(Exception):
    """Another crawl holds the run lock of this archive root."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.code = EXIT_LOCKED


class RunLock:
    """Hold ``<root>/.run.lock`` (``flock``) for a crawl; ``wait``: block until the other run
    ends, else raise :class:`RunLocked` at once with who holds it."""

    def __init__(self, root: Path, *, wait: bool = False) -> None:
        self.root = root
        self.path = root / RUN_LOCK
        self.wait = wait
        self._fh: IO[str] | None = None

    def holder(self) -> str:
        """What the lock file says about its holder: ``pid N, since …``."""
        try:
            fields = dict(
                line.split(" ", 1)
                for line in self.path.read_text(encoding="utf-8").splitlines()
                if " " in line
            )
        except OSError:
            return "pid unknown"
        return f"pid {fields.get('pid', '?')}, since {fields.get('since', '?')}"

    def acquire(self) -> RunLock:
        self.root.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 (held until release)
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            message = f"another crawl is running on {self.root} ({self.holder()})"
            if not self.wait:
                fh.close()
                raise RunLocked(message) from None
            logger.warning("%s; waiting for it to finish", message)
            print(f"postcrawl: {message}; waiting for it to finish", file=sys.stderr, flush=True)
            began = time.monotonic()
            fcntl.flock(fh, fcntl.LOCK_EX)
            logger.warning("the other crawl finished; waited %.0f s", time.monotonic() - began)
        fh.seek(0)
        fh.truncate()
        since = datetime.now(UTC).isoformat(timespec="seconds")
        fh.write(f"pid {os.getpid()}\nsince {since}\ncommand {' '.join(sys.argv)}\n")
        fh.flush()
        self._fh = fh
        return self

    def release(self) -> None:
        if self._fh is not None:
            fcntl.flock(self._fh, fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
