"""The article files: ``YYYY/MM/DD/NNN_<hash16>.txt`` (or ``undated/…``) under the archive root.

A file is first written whole to ``.tmp/<hash>.txt`` (same file system, so the later rename is
atomic), made durable, and only renamed into its day folder once its manifest line is written
(docs/archive-format.md, "Writing and recovery"). Files are created with the mode the umask
allows (0644 under the usual 022), like every other file of the archive.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from postcrawl import dates
from postcrawl.failpoints import failpoint

UNDATED = "undated"
TEMP_DIR = ".tmp"
ARTICLE_FILE = re.compile(r"^(\d{3,})_([0-9a-f]{16})\.txt$")
_Job = TypeVar("_Job")


def fsync_dir(folder: Path) -> None:
    """Make a rename or a new entry in *folder* durable."""
    _fsync_path(folder)


def sync_files(paths: list[Path]) -> None:
    """fsync *paths* (files, folders) all at once, from a few threads: the file system can
    then commit them in one journal flush instead of one flush per file, as a loop of fsyncs
    would. (Not ``syncfs``: that flushes every file of a whole, maybe shared, disk.)"""
    _on_threads(_fsync_path, paths)


_IO_THREADS = 8
_pool: ThreadPoolExecutor | None = None


def _on_threads(work: Callable[[_Job], object], jobs: list[_Job]) -> None:
    """Run *work* on every job, from a few threads kept for the process (on this thread when
    there is one job); the first error is raised once every job has ended."""
    global _pool
    if len(jobs) <= 1:
        for job in jobs:
            work(job)
        return
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=_IO_THREADS, thread_name_prefix="archive-io")
    futures = [_pool.submit(work, job) for job in jobs]
    wait(futures)
    for future in futures:
        future.result()


def _write_new(path: Path, data: bytes, sync: bool) -> None:
    """Create *path* holding *data* whole (synced if *sync*); on an error, no file is left."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except FileExistsError:
        # Left by a crash. It keeps its old mode under O_CREAT: remove it, so that the new
        # file gets 0666 less the umask of this process, whatever it is now.
        path.unlink()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        if sync:
            os.fsync(fd)
    except BaseException:
        os.close(fd)
        path.unlink(missing_ok=True)
        raise
    os.close(fd)


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def day_folder(published: str | None) -> str:
    """The folder of an article published at *published* (``undated`` without a date)."""
    if not published:
        return UNDATED
    return f"{dates.day_of(published):%Y/%m/%d}"


def article_files(root: Path | str) -> Iterator[Path]:
    """Every article file under the root (dated folders and ``undated/``), in path order."""
    root = Path(root)
    for path in sorted(root.glob("[0-9][0-9][0-9][0-9]/[0-9][0-9]/[0-9][0-9]/*.txt")):
        if ARTICLE_FILE.match(path.name):
            yield path
    for path in sorted((root / UNDATED).glob("*.txt")):
        if ARTICLE_FILE.match(path.name):
            yield path


def hash_of(path: Path | str) -> str | None:
    """The body hash in an article file's name."""
    m = ARTICLE_FILE.match(Path(path).name)
    return m[2] if m else None


@dataclass
class _FolderListing:
    """A day folder as last read: its mtime then, the next free number, hash → file name."""

    mtime_ns: int
    next_number: int
    names: dict[str, str]


class ArticleFiles:
    """Names, writes and removes the article files of one archive (archive lock held)."""

    def __init__(self, root: Path, *, fsync: bool = True) -> None:
        self.root = root
        self.temp = root / TEMP_DIR
        self.fsync = fsync
        self._listings: dict[str, _FolderListing] = {}
        self._temp_made = False  # .tmp/ made by this process (not looked for at every write)

    def new_path(self, published: str | None, body_hash: str) -> str:
        """``<folder>/NNN_<hash>.txt`` with NNN the next number in the day folder; an existing
        file of the same hash there (left by an older crash) keeps its name."""
        folder = day_folder(published)
        listing = self._listing(folder)
        name = listing.names.get(body_hash)
        if name is not None:
            return f"{folder}/{name}"
        return f"{folder}/{listing.next_number:03d}_{body_hash}.txt"

    def _listing(self, folder: str) -> _FolderListing:
        """What a day folder holds, read again only when its mtime changed since this process
        last looked (another writer added a file): one ``stat`` per write, not a listing."""
        target = self.root / folder
        try:
            mtime = target.stat().st_mtime_ns
        except FileNotFoundError:
            mtime = -1  # no folder yet: cached too, so names reserved in a group count
        cached = self._listings.get(folder)
        if cached is not None and cached.mtime_ns == mtime:
            return cached
        names: dict[str, str] = {}
        highest = -1
        if mtime != -1:
            for entry in os.scandir(target):
                m = ARTICLE_FILE.match(entry.name)
                if m is not None:
                    names[m[2]] = entry.name
                    highest = max(highest, int(m[1]))
        listing = _FolderListing(mtime, highest + 1, names)
        self._listings[folder] = listing
        return listing

    def reserve(self, rel: str) -> None:
        """Count *rel* as taken in its folder's cached listing before its file is there (a
        group commit names all its files before it renames any)."""
        folder, _, name = rel.rpartition("/")
        m = ARTICLE_FILE.match(name)
        cached = self._listings.get(folder)
        if m is None or cached is None:
            return
        cached.names[m[2]] = name
        cached.next_number = max(cached.next_number, int(m[1]) + 1)

    def forget_listings(self) -> None:
        """Drop the cached listings (a group was rolled back: its reservations are void)."""
        self._listings.clear()

    def _placed(self, rel: str) -> None:
        """Keep the cached listing of *rel*'s folder current after this process wrote it."""
        self.reserve(rel)
        folder = rel.rpartition("/")[0]
        cached = self._listings.get(folder)
        if cached is not None:
            cached.mtime_ns = (self.root / folder).stat().st_mtime_ns

    def temp_path(self, body_hash: str) -> Path:
        """Where an article waits between being written and its manifest line."""
        return self.temp / f"{body_hash}.txt"

    def write_temp(self, body_hash: str, text: str) -> Path:
        """Write *text* whole to the article's temp file, durable when fsync is on.

        On an error nothing is left behind."""
        failpoint("files:write")
        self._temp_folder()
        path = self.temp_path(body_hash)
        _write_new(path, text.encode("utf-8"), self.fsync)
        return path

    def write_temps(self, texts: dict[str, str]) -> list[Path]:
        """Write the temp files of a group commit (*texts*: body hash to text), each whole and
        durable (with fsync on), from a few threads, with the ``.tmp`` folder synced after.

        The threads wait on the disk, not on the interpreter, and the file system commits
        the files' data in shared journal flushes. On an error the files written are removed."""
        self._temp_folder()
        jobs = []
        for body_hash, text in texts.items():
            failpoint("files:write")  # here, on one thread: the drills count their hits
            jobs.append((self.temp_path(body_hash), text.encode("utf-8")))
        try:
            _on_threads(lambda job: _write_new(*job, self.fsync), jobs)
            if self.fsync and jobs:
                fsync_dir(self.temp)
        except BaseException:
            for path, _ in jobs:
                path.unlink(missing_ok=True)
            raise
        return [path for path, _ in jobs]

    def _temp_folder(self) -> None:
        if not self._temp_made:
            self.temp.mkdir(exist_ok=True)
            self._temp_made = True

    def place(self, body_hash: str, rel: str, *, sync: bool = True) -> None:
        """Rename the article's temp file to *rel* (creating its day folder); the folder is
        synced unless *sync* is false (a group syncs each of its folders once)."""
        target = self.root / rel
        created = self._make_folder(target.parent)
        try:
            os.replace(self.temp_path(body_hash), target)
        except BaseException:
            self._remove_empty(created)
            raise
        self._placed(rel)
        if self.fsync and sync:
            fsync_dir(target.parent)

    def discard_temp(self, body_hash: str) -> None:
        self.temp_path(body_hash).unlink(missing_ok=True)

    def temp_files(self) -> list[Path]:
        """Temp files left by writers that did not finish (crashed, or hit a full disk)."""
        if not self.temp.is_dir():
            return []
        return sorted(p for p in self.temp.iterdir() if p.is_file())

    def exists(self, rel: str) -> bool:
        return (self.root / rel).is_file()

    def unlink(self, rel: str) -> None:
        (self.root / rel).unlink(missing_ok=True)

    def read(self, rel: str) -> str:
        return (self.root / rel).read_text(encoding="utf-8")

    def _make_folder(self, folder: Path) -> list[Path]:
        """Create *folder* and missing parents; the ones created, deepest first."""
        created: list[Path] = []
        current = folder
        while not current.is_dir() and current != self.root:
            created.append(current)
            current = current.parent
        if created:  # (most writes go to a day folder that is there already)
            folder.mkdir(parents=True, exist_ok=True)
        return created

    @staticmethod
    def _remove_empty(folders: list[Path]) -> None:
        """Remove folders this write created, so a failed write leaves no empty day folder."""
        for folder in folders:
            try:
                folder.rmdir()
            except OSError:
                return
