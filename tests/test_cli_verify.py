"""``postcrawl verify`` and ``postcrawl reindex`` on archives left in a bad state."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from postcrawl import document
from postcrawl.archive import MANIFEST, ArchiveStore, article_files, verify
from postcrawl.article_text import normalize_extracted
from postcrawl.cli import main
from postcrawl.extraction import Extracted


def _synthetic(n: int) -> Extracted:
    return normalize_extracted(
        Extracted(
            url=f"https://gd.spb.gov.cn/a/{n}.shtml",
            site="gd_spb",
            title=f"通知{n}",
            paragraphs=[f"第{n}号通知：邮政管理局召开第{n}次会议。", f"会议要求落实第{n}项任务。"],
            published="2024-01-02 08:00:00",
            source="广东省邮政管理局",
        )
    )


def _archive(root: Path, n: int = 2) -> list[str]:
    with ArchiveStore(root, fsync=False) as store:
        return [store.add(_synthetic(i)).path for i in range(n)]


def _unapplied_line(root: Path) -> None:
    """Leave a manifest line the index lacks, as a crash after the commit point does: the
    index is put back to where it was before the last write."""
    db = root / "index.sqlite3"
    before = db.read_bytes()
    with ArchiveStore(root, fsync=False) as store:
        store.add(_synthetic(9))
    db.write_bytes(before)


def test_verify_clean_archive_exits_0(
    archive_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _archive(archive_root)
    assert main(["verify", "--data-dir", str(archive_root)]) == 0
    out = capsys.readouterr().out
    assert "recovery: nothing to do" in out
    assert "2 article files, 2 indexed, 2 manifest lines" in out
    assert "ok:" in out


def test_verify_recovers_first_and_reports_it(
    archive_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _archive(archive_root)
    _unapplied_line(archive_root)
    (archive_root / ".tmp").mkdir(exist_ok=True)
    (archive_root / ".tmp" / "0123456789abcdef.txt").write_text("half", encoding="utf-8")
    with open(archive_root / MANIFEST, "ab") as fh:
        fh.write(b'{"event":"url","ha')
    assert main(["verify", "--data-dir", str(archive_root)]) == 0
    out = capsys.readouterr().out
    assert "cut off a torn last manifest line (18 bytes)" in out
    assert "replayed 1 manifest line into the index (1 article" in out
    assert "removed 1 temp file" in out
    assert "3 article files, 3 indexed, 3 manifest lines" in out
    assert verify(archive_root).findings == []


def test_verify_no_recover_only_checks(
    archive_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _archive(archive_root)
    _unapplied_line(archive_root)
    manifest = (archive_root / MANIFEST).read_bytes()
    assert main(["verify", "--data-dir", str(archive_root), "--no-recover"]) == 1
    out = capsys.readouterr().out
    assert "recovery skipped (--no-recover)" in out
    assert "problem: 1 manifest line not applied to the index" in out
    assert "problem: 1 manifest article not in the index" in out
    assert "problem: index holds 2 articles, disk 3 files" in out
    assert (archive_root / MANIFEST).read_bytes() == manifest
    assert verify(archive_root).unindexed_lines == 1  # still there: nothing was written


def test_verify_lists_up_to_20_example_paths(
    archive_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _archive(archive_root, 1)
    for n in range(25):
        orphan = archive_root / f"2024/02/01/{n:03d}_{n:016x}.txt"
        orphan.parent.mkdir(parents=True, exist_ok=True)
        orphan.write_text(document.render(document.Document("孤", None, "某局", ("正文。",))))
    assert main(["verify", "--data-dir", str(archive_root)]) == 1
    out = capsys.readouterr().out
    assert "problem: 25 article files named by no manifest line" in out
    assert "    2024/02/01/019_0000000000000013.txt" in out
    assert "2024/02/01/020_" not in out
    assert "… and 5 more" in out
    assert "run `postcrawl reindex` to repair" in out


def test_verify_json(archive_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths = _archive(archive_root)
    (archive_root / paths[0]).unlink()
    assert main(["verify", "--data-dir", str(archive_root), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["missing_files"] == [paths[0]]
    assert data["files"] == 1 and data["indexed"] == 2
    assert data["recovery"]["lines"] == 0 and data["recovery_skipped"] is None
    assert any("missing" in f for f in data["findings"])


def test_verify_missing_archive_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["verify", "--data-dir", str(tmp_path / "none")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("postcrawl: no archive at") and err.count("\n") == 1
    (tmp_path / "empty").mkdir()
    assert main(["verify", "--data-dir", str(tmp_path / "empty")]) == 1
    assert "no manifest.jsonl or index.sqlite3" in capsys.readouterr().err
    assert not (tmp_path / "empty" / ".lock").exists()  # nothing created in a non-archive


def test_verify_on_a_read_only_archive_only_checks(
    archive_root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import postcrawl.cli.verify as verify_cli

    _archive(archive_root)
    # Root may write anywhere, so "read-only" is what os.access says, as it would for a user.
    monkeypatch.setattr(verify_cli, "writable", lambda root: False)
    monkeypatch.setattr(verify_cli, "ArchiveStore", None)  # opening for writing would fail
    assert main(["verify", "--data-dir", str(archive_root)]) == 0
    out = capsys.readouterr().out
    assert "recovery skipped (the archive is read-only)" in out and "ok:" in out


def _index_count(root: Path) -> int:
    with sqlite3.connect(root / "index.sqlite3") as conn:
        return int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])


def test_reindex_reports_every_repair_with_agreeing_counts(
    archive_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = _archive(archive_root, 3)
    (archive_root / paths[0]).unlink()  # lost
    second = archive_root / paths[1].replace("/001_", "/007_")  # a second file of one hash
    second.write_bytes((archive_root / paths[1]).read_bytes())
    orphan = archive_root / "2024/01/03/000_0123456789abcdef.txt"
    orphan.parent.mkdir(parents=True)
    orphan.write_text(document.render(document.Document("孤儿", "2024-01-03", "某局", ("正文。",))))
    (archive_root / ".tmp").mkdir(exist_ok=True)
    (archive_root / ".tmp" / "fedcba9876543210.txt").write_text("x", encoding="utf-8")
    with open(archive_root / MANIFEST, "ab") as fh:
        fh.write(b'{"event":"ur')
    assert main(["reindex", "--data-dir", str(archive_root)]) == 0
    out = capsys.readouterr().out
    files = len(list(article_files(archive_root)))
    assert files == _index_count(archive_root) == 3  # two kept, one adopted
    assert f"reindexed {archive_root}: 3 articles" in out
    assert "cut off a torn last manifest line (12 bytes)" in out
    assert "removed 1 temp file" in out
    assert "removed 1 second files of stored hashes" in out
    assert "adopted 1 files without a manifest line" in out
    assert "recorded 1 lost files" in out and paths[0] in out
    assert verify(archive_root).findings == []


def test_reindex_reports_a_corrupt_index_moved_aside(
    archive_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _archive(archive_root, 1)
    (archive_root / "index.sqlite3").write_bytes(b"not a database" * 200)
    assert main(["reindex", "--data-dir", str(archive_root)]) == 0
    out = capsys.readouterr().out
    assert "1 article (" in out and "moved the corrupt index aside to index.sqlite3.corrupt-" in out


def test_reindex_has_a_description(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["reindex", "--help"])
    assert "manifest" in capsys.readouterr().out.split("options:")[0].split("\n", 2)[2]
