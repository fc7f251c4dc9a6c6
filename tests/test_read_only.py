"""Every reading command works on a read-only archive, and none of them writes to it.

The archive is made by the real store, closed, then ``chmod -R a-w``. Root ignores file modes,
so as root each command runs in a forked child that has dropped to ``nobody`` first: the
folder is then really unwritable, as on a shared copy. The command itself runs in-process
(``postcrawl.cli.main``) in both cases.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import shutil
import sqlite3
import stat
import tempfile
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest

from postcrawl import index
from postcrawl.cli import main
from postcrawl.reader.datasette import metadata
from tests.corpus_archive import BuiltArchive, build_archive

NOBODY = 65534


def _snapshot(root: Path) -> dict[str, tuple[int, bytes | None]]:
    """Every entry under *root*: its mode and, for files, its bytes."""
    out: dict[str, tuple[int, bytes | None]] = {}
    for path in sorted(root.rglob("*")):
        st = path.lstat()
        out[path.relative_to(root).as_posix()] = (
            stat.S_IMODE(st.st_mode),
            path.read_bytes() if path.is_file() else None,
        )
    return out


def _make_read_only(root: Path) -> None:
    for path in [root, *root.rglob("*")]:
        path.chmod(0o555 if path.is_dir() else 0o444)


def _make_writable(root: Path) -> None:
    for path in [root, *root.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)


def _warm_up(root: Path, scratch: Path) -> None:
    """Run every command once as ourselves on a copy, so that every module they import lazily
    (matplotlib, pyarrow, …) is loaded before a child drops to ``nobody``, who may not be able
    to read the Python installation (under /root, say)."""
    shutil.copytree(root, scratch)
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        for argv in (
            ["stats"],
            ["search", "邮政"],
            ["show", "2023"],
            ["export", "--format", "jsonl"],
            ["export", "--out", str(scratch / "x.csv")],
            ["plot", "--out", str(scratch / "x.png")],
            ["verify", "--no-recover"],
            ["datasette-metadata"],
        ):
            main(
                [*argv, *([] if argv[0] == "datasette-metadata" else ["--data-dir", str(scratch)])]
            )
    shutil.rmtree(scratch)


@pytest.fixture(scope="module")
def read_only() -> Iterator[tuple[BuiltArchive, Path]]:
    """A read-only archive and a writable folder for outputs, both reachable by ``nobody``
    (pytest's own temp folders are private to the user running the tests)."""
    base = Path(tempfile.mkdtemp(prefix="postcrawl-ro-"))
    base.chmod(0o755)
    built = build_archive(base / "data")
    out = base / "out"
    out.mkdir()
    out.chmod(0o777)
    _warm_up(built.root, base / "warm")
    _make_read_only(built.root)
    try:
        yield built, out
    finally:
        _make_writable(built.root)
        for path in sorted(base.rglob("*"), reverse=True):
            path.rmdir() if path.is_dir() else path.unlink()
        base.rmdir()


def run_unprivileged(argv: list[str]) -> tuple[int, str, str]:
    """``main(argv)``'s exit status, stdout and stderr, run by a user who cannot write the
    archive: this process if it is not root, else a forked child that became ``nobody``."""
    if os.geteuid() != 0:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
        return code, out.getvalue(), err.getvalue()
    with tempfile.TemporaryFile() as out_file, tempfile.TemporaryFile() as err_file:
        pid = os.fork()
        if pid == 0:  # the child: drop privileges, run, report through the files
            code = 99
            try:
                os.setgroups([])
                os.setgid(NOBODY)
                os.setuid(NOBODY)
                out, err = io.StringIO(), io.StringIO()
                with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                    code = main(argv)
                out_file.write(out.getvalue().encode())
                err_file.write(err.getvalue().encode())
                out_file.flush()
                err_file.flush()
            except BaseException:
                err_file.write(traceback.format_exc().encode())
                err_file.flush()
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        out_file.seek(0)
        err_file.seek(0)
        return os.waitstatus_to_exitcode(status), out_file.read().decode(), err_file.read().decode()


def _check(read_only: tuple[BuiltArchive, Path], *argv: str) -> tuple[str, str]:
    built, _ = read_only
    before = _snapshot(built.root)
    code, out, err = run_unprivileged([*argv, "--data-dir", str(built.root)])
    assert code == 0, err
    assert _snapshot(built.root) == before  # nothing written, created or left behind
    return out, err


def test_the_archive_is_really_read_only(read_only: tuple[BuiltArchive, Path]) -> None:
    built, _ = read_only
    probe = built.root / "probe"
    if os.geteuid() == 0:
        pid = os.fork()
        if pid == 0:
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            try:
                probe.touch()
            except PermissionError:
                os._exit(0)
            os._exit(1)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0  # nobody cannot create a file there
    else:
        with pytest.raises(PermissionError):
            probe.touch()


def test_stats(read_only: tuple[BuiltArchive, Path]) -> None:
    out, _ = _check(read_only, "stats", "--json")
    assert json.loads(out)["articles"] == len(read_only[0].stored)


def test_search(read_only: tuple[BuiltArchive, Path]) -> None:
    built, _ = read_only
    word = "邮政管理局"
    naming = [
        a for a in built.stored.values() if word in a.title or any(word in p for p in a.paragraphs)
    ]
    assert naming  # else the search below would rightly print nothing
    out, _ = _check(read_only, "search", word, "--limit", "100")
    for article in naming:  # a hit's first line: date, site and title
        assert f"  {article.site}  {article.title}\n" in out, article.title
    assert out.endswith(f"\n{len(naming)} article{'s' if len(naming) > 1 else ''}\n")


def test_show(read_only: tuple[BuiltArchive, Path]) -> None:
    built, _ = read_only
    gd = built.labels["gd"]
    out, _ = _check(read_only, "show", gd[:8], "--json")
    data = json.loads(out)
    assert data["hash"] == gd and data["title"] == built.stored[gd].title


def test_export(read_only: tuple[BuiltArchive, Path]) -> None:
    out, _ = _check(read_only, "export", "--format", "jsonl")
    rows = [json.loads(line) for line in out.splitlines()]
    assert {r["hash"] for r in rows} == set(read_only[0].stored)


def test_export_to_a_file(read_only: tuple[BuiltArchive, Path]) -> None:
    target = read_only[1] / "all.csv"
    _check(read_only, "export", "--out", str(target))
    with target.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["hash"] for r in rows} == set(read_only[0].stored)
    assert len(rows) == len(read_only[0].stored)


def test_plot(read_only: tuple[BuiltArchive, Path]) -> None:
    target = read_only[1] / "months.png"
    _, err = _check(read_only, "plot", "--out", str(target))
    assert target.read_bytes().startswith(b"\x89PNG")
    dated = sum(1 for a in read_only[0].stored.values() if a.published)
    assert err.startswith(f"wrote {target}: {dated} articles over ")


def test_verify_only_checks(read_only: tuple[BuiltArchive, Path]) -> None:
    out, _ = _check(read_only, "verify")
    assert "recovery skipped (the archive is read-only)" in out and "ok:" in out


def test_datasette_metadata_does_not_touch_the_archive(
    read_only: tuple[BuiltArchive, Path],
) -> None:
    built, _ = read_only
    before = _snapshot(built.root)
    code, out, _ = run_unprivileged(["datasette-metadata", "--data-dir", str(built.root)])
    assert code == 0 and json.loads(out) == metadata("index")
    assert _snapshot(built.root) == before


def test_connect_readonly_falls_back_to_immutable(
    read_only: tuple[BuiltArchive, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where ``mode=ro`` cannot open the index (it needs to create the WAL's -shm file), the
    reader opens the file as immutable and still gets every row."""
    built, _ = read_only
    real_connect = sqlite3.connect
    uris: list[str] = []

    def connect(database: str, **kwargs: object) -> sqlite3.Connection:
        uris.append(database)
        if "mode=ro" in database:
            raise sqlite3.OperationalError("unable to open database file")
        return real_connect(database, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(index.sqlite3, "connect", connect)
    conn = index.connect_readonly(built.root / "index.sqlite3")
    try:
        assert index.count_articles(conn) == len(built.stored)
    finally:
        conn.close()
    assert uris[-1].endswith("?immutable=1")


def test_connect_readonly_tries_no_write_in_an_unwritable_folder(
    read_only: tuple[BuiltArchive, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a -shm file (no writer has the index open) and without write access to the
    folder, the index is opened immutable at once: mode=ro would try to create the -shm."""
    built, _ = read_only
    real_connect = sqlite3.connect
    uris: list[str] = []

    def connect(database: str, **kwargs: object) -> sqlite3.Connection:
        uris.append(database)
        return real_connect(database, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(index.sqlite3, "connect", connect)
    monkeypatch.setattr(index.os, "access", lambda path, mode: False)
    conn = index.connect_readonly(built.root / "index.sqlite3")
    try:
        assert index.count_articles(conn) == len(built.stored)
    finally:
        conn.close()
    assert len(uris) == 1 and uris[0].endswith("?immutable=1")
