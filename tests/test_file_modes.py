"""Archive files and folders get the modes the umask allows: 0644/0755 under the usual 022,
0600/0700 under 077 (nothing is made more open, or forced closed, behind the user's back)."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse

from postcrawl.archive import ArchiveStore
from postcrawl.article_text import normalize_extracted
from postcrawl.extensions import StatsFile
from postcrawl.extraction import Extracted
from postcrawl.warc import WarcRecorder


@pytest.fixture
def umask() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _article(n: int, published: str | None) -> Extracted:
    return normalize_extracted(
        Extracted(
            url=f"https://gd.spb.gov.cn/a/{n}.shtml",
            site="gd_spb",
            title=f"通知{n}",
            paragraphs=[f"第{n}号通知：邮政管理局召开会议。"],
            published=published,
            source="广东省邮政管理局",
        )
    )


def _fill(root: Path) -> dict[str, int]:
    (root / ".tmp").mkdir(parents=True)  # a temp file left by a crash, with another mode
    (root / ".tmp" / f"{_article(0, None).body_hash}.txt").write_text("x")
    (root / ".tmp" / f"{_article(0, None).body_hash}.txt").chmod(0o600)
    with ArchiveStore(root) as store:
        store.add(_article(0, None))
        store.add(_article(1, "2024-01-02 08:00:00"))
        # Still open: the WAL files exist now and are checked too.
        assert (root / "index.sqlite3-wal").exists()
        modes = _modes(root)
    recorder = WarcRecorder(root, "gd_spb", fsync=False)
    recorder.write(HtmlResponse("https://gd.spb.gov.cn/", body=b"<html></html>"))
    recorder.spider_closed(None)  # type: ignore[arg-type]
    stats = StatsFile(_Stats(), root / "runs" / "last" / "stats.json")
    stats.spider_closed(None, "finished")  # type: ignore[arg-type]
    assert json.loads((root / "runs" / "last" / "stats.json").read_text())["finish_reason"]
    return modes


class _Stats:
    def get_stats(self) -> dict[str, object]:
        return {"item_scraped_count": 1}


def _modes(root: Path) -> dict[str, int]:
    return {
        p.relative_to(root).as_posix(): stat.S_IMODE(p.stat().st_mode)
        for p in [root, *root.rglob("*")]
    }


@pytest.mark.parametrize(
    ("mask", "file_mode", "dir_mode"), [(0o022, 0o644, 0o755), (0o077, 0o600, 0o700)]
)
def test_modes_follow_the_umask(
    tmp_path: Path, umask: None, mask: int, file_mode: int, dir_mode: int
) -> None:
    os.umask(mask)
    root = tmp_path / "data"
    while_open = _fill(root)
    modes = {**while_open, **_modes(root)}
    names = set(modes)
    for expected in (
        ".",
        ".lock",
        "manifest.jsonl",
        "index.sqlite3",
        "index.sqlite3-wal",
        "index.sqlite3-shm",
        "undated",
        "2024",
        "2024/01",
        "2024/01/02",
        ".tmp",
        "warc",
        "runs",
        "runs/last",
        "runs/last/stats.json",
    ):
        assert expected in names, expected
    assert any(n.startswith("undated/000_") for n in names)
    assert any(n.startswith("2024/01/02/000_") for n in names)
    assert any(n.startswith("warc/gd_spb-") for n in names)
    wrong = {
        name: oct(mode)
        for name, mode in modes.items()
        if mode
        != (dir_mode if (root / name).is_dir() or name in ("2024", "2024/01") else file_mode)
    }
    assert wrong == {}
