"""Failpoints for the crash and full-disk drills (tests/test_crash_drills.py).

``POSTCRAWL_FAILPOINT=<name>[@<n>][:<action>]`` arms one named point of the write path: at its
*n*-th hit (default 1) the process is killed with SIGKILL, as a power cut would (``kill``, the
default), or from then on every hit raises ``OSError(ENOSPC)``, as a full disk would
(``enospc``). Unset — always, outside the drills — a hit costs one string comparison.
"""

from __future__ import annotations

import errno
import os
import signal
from collections import Counter

_ARMED = os.environ.get("POSTCRAWL_FAILPOINT", "")
_hits: Counter[str] = Counter()
_also_kill: list[int] = []


def kill_also(pid: int) -> None:
    """A ``kill`` failpoint hit in this process kills *pid* too: the pipeline process names
    the crawl process, so that a drill's power cut ends the whole crawl, not half of it."""
    _also_kill.append(pid)


def failpoint(name: str) -> None:
    """Act if the failpoint *name* is armed and due."""
    if not _ARMED:
        return
    spec, action = _ARMED, "kill"
    for known in (":kill", ":enospc"):
        if _ARMED.endswith(known):
            spec, action = _ARMED[: -len(known)], known[1:]
    point, _, nth = spec.partition("@")
    if point != name:
        return
    _hits[name] += 1
    if _hits[name] < int(nth or 1):
        return
    if action == "enospc":
        raise OSError(errno.ENOSPC, "No space left on device (failpoint)")
    for pid in _also_kill:
        os.kill(pid, signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL)
