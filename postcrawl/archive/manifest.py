"""``manifest.jsonl``: the archive's primary record, one JSON object per line, append-only.

Every change to the archive is one manifest line (docs/archive-format.md, "Manifest"). The
line is the commit point: a change whose line is in the manifest happened, whatever the index
says (recovery replays it); a change whose line is not did not (its temp file is removed).
A crash can cut the last line short; :meth:`Manifest.repair_tail` cuts such a torn tail off
before anything is appended, so a torn line never ends up in the middle of the file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

MANIFEST = "manifest.jsonl"

Record = dict[str, Any]


def encode(record: Record) -> bytes:
    """One manifest line for *record* (UTF-8, compact, newline-terminated)."""
    return (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def decode(line: bytes) -> Record | None:
    """The record of one line; ``None`` for a line that is not a JSON object (torn, foreign)."""
    try:
        record = json.loads(line.decode("utf-8", errors="replace"))
    except json.JSONDecodeError:
        return None
    return record if isinstance(record, dict) else None


class Manifest:
    """Appends to and reads one archive's manifest. Writers hold the archive lock."""

    def __init__(self, root: Path, *, fsync: bool = True) -> None:
        self.path = root / MANIFEST
        self.fsync = fsync

    def size(self) -> int:
        """The manifest's length in bytes (0 when there is none yet)."""
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def append(self, record: Record) -> int:
        """Append *record* as one line and make it durable; the offset just past it.

        On any error (a full disk) the file is cut back to its old length, so a failed append
        leaves no partial line behind.
        """
        return self.append_many([record])

    def append_many(self, records: list[Record]) -> int:
        """Append *records*, a line each, in one write made durable by one fsync (a group
        commit); the offset just past the last. On any error nothing of them is left."""
        data = b"".join(encode(record) for record in records)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        try:
            start = os.fstat(fd).st_size
            try:
                # A disk filling up takes part of a write, then fails the next with ENOSPC:
                # write on until all is written or the error says why.
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                if self.fsync:
                    os.fsync(fd)
            except OSError:
                os.ftruncate(fd, start)
                raise
            return start + len(data)
        finally:
            os.close(fd)

    def records(self, start: int = 0) -> Iterator[tuple[Record | None, int]]:
        """``(record, end offset)`` for each line from byte *start*; ``None`` for a bad line.

        A last line without its newline is torn (a crash mid-append) and is not yielded.
        """
        if not self.path.exists():
            return
        with open(self.path, "rb") as fh:
            fh.seek(start)
            offset = start
            for line in fh:
                if not line.endswith(b"\n"):
                    return  # torn tail: not committed
                offset += len(line)
                if line.strip():
                    yield decode(line), offset

    def torn_tail(self) -> int:
        """How many bytes after the last newline (a torn last line); 0 when there are none."""
        size = self.size()
        if size == 0:
            return 0
        with open(self.path, "rb") as fh:
            back = min(size, 1 << 16)
            while True:
                fh.seek(size - back)
                chunk = fh.read(back)
                cut = chunk.rfind(b"\n")
                if cut >= 0:
                    return back - cut - 1
                if back == size:
                    return size
                back = min(size, back * 2)

    def repair_tail(self) -> int:
        """Cut a torn last line off (archive lock held); the number of bytes removed."""
        torn = self.torn_tail()
        if torn:
            with open(self.path, "r+b") as fh:
                fh.truncate(self.size() - torn)
                if self.fsync:
                    os.fsync(fh.fileno())
        return torn


def read_manifest(root: Path | str) -> Iterator[Record | None]:
    """The manifest's records in order; ``None`` for a line that is not valid JSON."""
    for record, _ in Manifest(Path(root), fsync=False).records():
        yield record
